//! Pages driven the way a person uses them: headless Chromium through
//! ChromeDriver. In CI a missing browser fails the test; elsewhere the test
//! is skipped with a printed reason.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use tessera::users::Role;

use crate::helpers::spawn_app;

/// A running ChromeDriver and a browser session; both end when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn find(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(env) {
        return Some(PathBuf::from(path));
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Starts a headless browser, or returns `None` (after saying why) on a
/// machine without one. In CI that is a failure.
pub async fn start_browser() -> Option<Browser> {
    start_browser_speaking(None).await
}

/// A browser whose `Accept-Language` is `languages` (such as `de-DE,de`)
/// instead of the machine's.
pub async fn start_browser_speaking(languages: Option<&str>) -> Option<Browser> {
    let driver_path = find(
        "CHROMEDRIVER",
        &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
    );
    let chromium = find(
        "CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    let (Some(driver_path), Some(chromium)) = (driver_path, chromium) else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the browser tests: install chromium and chromium-driver"
        );
        eprintln!("skipping browser test: chromium or chromedriver is not installed");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let driver = Command::new(&driver_path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().expect("a browser profile directory");
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1100,900",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }
    });
    let mut capabilities = capabilities;
    if let Some(languages) = languages {
        capabilities["goog:chromeOptions"]["prefs"] =
            serde_json::json!({ "intl.accept_languages": languages });
    }
    let capabilities = match capabilities {
        serde_json::Value::Object(map) => map,
        _ => unreachable!(),
    };
    let url = format!("http://127.0.0.1:{port}");
    let mut last_error = None;
    for _ in 0..50 {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Some(Browser {
                    client,
                    driver,
                    _profile: profile,
                });
            }
            Err(e) => {
                last_error = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("the browser did not start: {last_error:?}");
}

impl Browser {
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .expect("the field appears");
        field.clear().await.expect("clear the field");
        field.send_keys(text).await.expect("type into the field");
    }

    pub async fn click(&self, css: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .expect("the button appears")
            .click()
            .await
            .expect("click");
    }

    /// The text of the first shown element that matches, waiting for one
    /// to appear (a click may still be loading the next page). Hidden
    /// matches are passed over: the sign-in page holds a hidden error
    /// paragraph for passkeys, which must not be mistaken for the answer
    /// to a form still on its way; an element of a page being replaced
    /// (stale) is looked for again.
    pub async fn text_of(&self, css: &str) -> String {
        for _ in 0..400 {
            if let Ok(found) = self.client.find_all(Locator::Css(css)).await {
                for element in found {
                    if element.is_displayed().await.unwrap_or(false)
                        && let Ok(text) = element.text().await
                    {
                        return text;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no shown element matches {css}");
    }

    /// Waits until the current URL's path starts with `prefix`.
    pub async fn wait_for_path(&self, prefix: &str) -> url::Url {
        for _ in 0..400 {
            let url = self.client.current_url().await.expect("current URL");
            if url.path().starts_with(prefix) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("never reached {prefix}");
    }

    /// Signs in on the page at `base` as a person would.
    pub async fn sign_in(&self, base: &str, username: &str, password: &str) {
        self.client
            .goto(&format!("{base}/login"))
            .await
            .expect("open the sign-in page");
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
    }
}

#[tokio::test]
async fn a_person_signs_in_sees_their_account_and_signs_out() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let Some(browser) = start_browser().await else {
        return;
    };

    browser
        .sign_in(&app.address, "alice", "alice-nope-nope")
        .await;
    assert!(
        browser
            .text_of(".form-error")
            .await
            .contains("Incorrect username or password.")
    );

    browser
        .sign_in(&app.address, "alice", "alice-password-1")
        .await;
    browser.wait_for_path("/account").await;
    assert_eq!(browser.text_of("#account-username").await, "alice");
    assert_eq!(browser.text_of("#account-role").await, "pro");

    browser.click("header form[action='/logout'] button").await;
    browser.wait_for_path("/login").await;
    assert!(browser.text_of(".notice").await.contains("signed out"));
    browser
        .client
        .clone()
        .close()
        .await
        .expect("close the browser");
}
