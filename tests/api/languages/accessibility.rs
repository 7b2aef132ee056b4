//! An accessibility check of a page in the browser, in the spirit of
//! axe-core's basic rules, computed by script in the page: the document has
//! a language, every form field a label, every image an alt text, every
//! button a name, text contrasts with its background at 4.5:1 or more, and
//! Tab reaches the form's fields in their order.

use std::time::Duration;

use serde_json::Value;

use crate::browser::Browser;

/// What the page gets wrong, in words; empty when it passes.
const CHECK: &str = r#"
const problems = [];
const shown = el => {
  if (!el.getClientRects().length) return false;
  const style = getComputedStyle(el);
  return style.visibility !== 'hidden' && style.display !== 'none';
};
const describe = el => el.outerHTML.slice(0, 140);
if (!document.documentElement.lang) problems.push('the document has no lang');
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type) || !shown(el)) continue;
  const labelled = [...(el.labels || [])].some(l => l.textContent.trim())
    || (el.getAttribute('aria-label') || '').trim()
    || (el.getAttribute('aria-labelledby') || '').split(' ').some(id => {
      const by = id && document.getElementById(id);
      return by && by.textContent.trim();
    });
  if (!labelled) problems.push('a field without a label: ' + describe(el));
}
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) problems.push('an image without alt: ' + describe(img));
}
for (const b of document.querySelectorAll('button, input[type=submit], [role=button]')) {
  if (!shown(b)) continue;
  const name = (b.textContent || '').trim() || (b.getAttribute('aria-label') || '').trim()
    || (b.value || '').trim();
  if (!name) problems.push('a button without a name: ' + describe(b));
}
for (const el of document.querySelectorAll('[tabindex]')) {
  if (el.tabIndex > 0) problems.push('a positive tabindex changes the focus order: ' + describe(el));
}
const rgba = text => {
  const m = /rgba?\(([^)]*)\)/.exec(text);
  if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const over = (top, under) => ({
  r: top.r * top.a + under.r * (1 - top.a),
  g: top.g * top.a + under.g * (1 - top.a),
  b: top.b * top.a + under.b * (1 - top.a),
  a: 1,
});
const backgroundOf = el => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  return layers.reverse().reduce((under, top) => over(top, under), { r: 255, g: 255, b: 255, a: 1 });
};
const luminance = c => {
  const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
};
for (const el of document.body.querySelectorAll('*')) {
  const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
  if (!text || !shown(el) || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'OPTION'].includes(el.tagName)) continue;
  const background = backgroundOf(el);
  const colour = over(rgba(getComputedStyle(el).color), background);
  const [light, dark] = [luminance(colour), luminance(background)].sort((a, b) => b - a);
  const ratio = (light + 0.05) / (dark + 0.05);
  if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)}:1 of "${text.slice(0, 40)}" in ${el.tagName}`);
}
return problems;
"#;

/// What the check finds wrong with the page the browser shows.
pub async fn problems(browser: &Browser) -> Vec<String> {
    let problems = browser
        .client
        .execute(CHECK, vec![])
        .await
        .expect("run the check");
    serde_json::from_value(problems).expect("a list of problems")
}

/// Checks the page the browser shows; `fields` are the ids of the form
/// fields Tab must reach, in this order, from the top of the page.
pub async fn assert_accessible(browser: &Browser, page: &str, fields: &[&str]) {
    let problems = problems(browser).await;
    assert!(problems.is_empty(), "{page}: {problems:#?}");
    if !fields.is_empty() {
        assert_tab_order(browser, page, fields).await;
    }
}

/// Presses Tab from the site's name at the top of the page and records
/// where the focus goes.
async fn assert_tab_order(browser: &Browser, page: &str, fields: &[&str]) {
    let start =
        "document.querySelector('header .brand').focus(); return document.activeElement.className;";
    browser
        .client
        .execute(start, vec![])
        .await
        .expect("focus the top of the page");
    let mut visited = Vec::new();
    for _ in 0..40 {
        browser
            .client
            .active_element()
            .await
            .expect("the focused element")
            .send_keys("\u{e004}")
            .await
            .expect("press Tab");
        tokio::time::sleep(Duration::from_millis(20)).await;
        let focused = browser
            .client
            .execute(
                "return document.activeElement.id || document.activeElement.tagName;",
                vec![],
            )
            .await
            .expect("the focused element's id");
        if let Value::String(id) = focused {
            visited.push(id);
        }
        if fields
            .last()
            .is_some_and(|last| visited.iter().any(|v| v == last))
        {
            break;
        }
    }
    let mut at = 0;
    for field in fields {
        match visited[at..].iter().position(|v| v == field) {
            Some(offset) => at += offset + 1,
            None => {
                panic!("{page}: Tab does not reach `{field}` after {fields:?}[..]: {visited:?}")
            }
        }
    }
}

#[tokio::test]
async fn the_check_finds_each_problem_it_looks_for() {
    let Some(browser) = crate::browser::start_browser().await else {
        return;
    };
    let page = r#"<!doctype html><html><body style="background:#fff">
        <p style="color:#aaa">faint text</p>
        <input id="unlabelled" type="text">
        <label for="labelled">Name</label><input id="labelled" type="text">
        <img src="data:,">
        <button type="button"></button>
        <a href="/" tabindex="3">jumps the queue</a>
        </body></html>"#;
    let url = format!("data:text/html,{}", urlencoding(page));
    browser.client.goto(&url).await.expect("open the page");
    let found = problems(&browser).await.join("\n");
    for expected in [
        "the document has no lang",
        "a field without a label: <input id=\"unlabelled\"",
        "an image without alt",
        "a button without a name",
        "a positive tabindex",
        "of \"faint text\" in P",
    ] {
        assert!(found.contains(expected), "`{expected}` not in:\n{found}");
    }
    let labelled = "<input id=\"labelled\"";
    assert!(
        !found.contains(labelled),
        "a labelled field counted:\n{found}"
    );
    browser
        .client
        .clone()
        .close()
        .await
        .expect("close the browser");
}

/// Percent-encodes a page for a `data:` URL.
fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
