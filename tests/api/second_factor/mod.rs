//! Second factors and step-up: TOTP enrolment and sign-in with codes
//! computed here (totp-rs), recovery codes, the refusals (a code reused in
//! its step, wrong codes throttled), the per-site policy, and the OpenID
//! Connect parameters that ask for a fresh or stronger sign-in.

mod browser;
mod oidc;
mod signin;

use tessera::clock::Clock;
use totp_rs::{Builder, Secret};

use crate::helpers::{TestApp, hidden_input};

pub const PASSWORD: &str = "correct horse battery";

/// Undoes the HTML escaping of a value as askama writes it.
pub fn unescape(text: &str) -> String {
    text.replace("&#38;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A hidden input's value, unescaped.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(unescape(&html[start..start + end]))
}

/// The text of the element with `id` in a page (no nested tags).
pub fn text_of_id(html: &str, id: &str) -> Option<String> {
    let marker = format!(r#"id="{id}">"#);
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('<')?;
    Some(html[start..start + end].trim().to_string())
}

/// The recovery codes listed on a page.
pub fn recovery_codes(html: &str) -> Vec<String> {
    let Some(start) = html.find(r#"id="recovery-codes""#) else {
        return Vec::new();
    };
    let list = &html[start
        ..html[start..]
            .find("</ul>")
            .map_or(html.len(), |e| start + e)];
    list.split("<code>")
        .skip(1)
        .filter_map(|part| part.split("</code>").next())
        .map(str::to_string)
        .collect()
}

/// An authenticator app holding the secret an enrolment page showed.
pub struct Authenticator {
    secret: Vec<u8>,
}

impl Authenticator {
    pub fn from_page(html: &str) -> Self {
        Self::from_key(&text_of_id(html, "totp-secret").expect("the page shows the key"))
    }

    /// From the key as shown (base32 in groups of four).
    pub fn from_key(shown: &str) -> Self {
        let secret = Secret::try_from_base32(shown.replace(' ', ""))
            .expect("base32")
            .as_bytes()
            .to_vec();
        Authenticator { secret }
    }

    /// The code for `unix` seconds.
    pub fn code_at(&self, unix: i64) -> String {
        Builder::new()
            .with_secret(self.secret.clone())
            .build()
            .expect("a TOTP")
            .generate(u64::try_from(unix).unwrap())
            .to_string()
    }

    /// The code for the app's clock now.
    pub fn code(&self, app: &TestApp) -> String {
        self.code_at(app.clock.now())
    }
}

/// Sets up TOTP for the user signed in on `browser`; returns the app and
/// the recovery codes shown.
pub async fn enrol(app: &TestApp, browser: &reqwest::Client) -> (Authenticator, Vec<String>) {
    let csrf = app.account_csrf(browser).await;
    let response = browser
        .post(app.url("/account/second-factor/start"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let page = browser
        .get(app.url("/account/second-factor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg"), "a QR code drawn on the server");
    let authenticator = Authenticator::from_page(&page);
    let csrf = hidden_input(&page, "csrf_token").unwrap();
    let response = browser
        .post(app.url("/account/second-factor/confirm"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", authenticator.code(app).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let codes = recovery_codes(&response.text().await.unwrap());
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    // The next code accepted must be of a later step than the one used.
    app.clock.advance(30);
    (authenticator, codes)
}

/// Posts username and password; returns the response (a redirect to the
/// second step when the user has a second factor).
pub async fn password_step(
    app: &TestApp,
    browser: &reqwest::Client,
    username: &str,
    next: Option<&str>,
) -> reqwest::Response {
    app.post_login_on(browser, &app.address, username, PASSWORD, next)
        .await
}

/// Posts a code to the second-step page that `location` names.
pub async fn code_step(
    app: &TestApp,
    browser: &reqwest::Client,
    location: &str,
    code: &str,
) -> reqwest::Response {
    let page = browser
        .get(app.url(location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_input(&page, "csrf_token").expect("a code form");
    let next = hidden(&page, "next").unwrap_or_default();
    let action = if location.starts_with("/login/enrol") {
        "/login/enrol"
    } else {
        "/login/second-factor"
    };
    browser
        .post(app.url(action))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", code),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap()
}

/// Sets the default site's second-factor policy (`optional`, `admins`,
/// `everyone`) through the CLI, as an operator would, and has the app see
/// it at once.
pub async fn set_policy(app: &TestApp, policy: &str) {
    let slug = app
        .state
        .sites
        .by_id(app.default_site_id())
        .unwrap()
        .slug
        .clone();
    let out = app.cli(
        &["site", "set-second-factor-policy", "--site", &slug, policy],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.state.sites.reload().await.unwrap();
}
