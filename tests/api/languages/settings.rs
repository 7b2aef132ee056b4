//! A site's default language and look, through the admin API and the CLI,
//! as every page shows them.

use reqwest::Method;
use serde_json::json;

use crate::admin_api::{admin_token, call};
use crate::helpers::{TestApp, new_client, spawn_app};

async fn login_page(app: &TestApp) -> String {
    let client = new_client(app.port);
    let response = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("GET /login");
    response.text().await.expect("the page")
}

#[tokio::test]
async fn the_admin_api_sets_the_default_language_and_refuses_others() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let (status, site) = call(&app, &token, Method::GET, "/api/admin/site", None).await;
    assert_eq!(status, 200);
    assert_eq!(site["default_locale"], "en");

    let change = json!({"default_locale": "de"});
    let (status, site) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(change)).await;
    assert_eq!(status, 200, "{site}");
    assert_eq!(site["default_locale"], "de");
    app.state.sites.reload().await.expect("reload sites");
    assert!(login_page(&app).await.contains(r#"<html lang="de">"#));

    for bad in ["fr", "DE", "", "de-DE"] {
        let change = json!({"default_locale": bad});
        let (status, body) =
            call(&app, &token, Method::PATCH, "/api/admin/site", Some(change)).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("default_locale"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_admin_api_sets_the_look_every_page_shows_and_clears_it() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let look = json!({
        "display_name": "  Docs Hub ",
        "logo_url": "https://cdn.example.com/logo.svg",
        "accent_colour": "#1D4ED8",
    });
    let (status, site) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(look)).await;
    assert_eq!(status, 200, "{site}");
    assert_eq!(site["display_name"], "Docs Hub");
    assert_eq!(site["logo_url"], "https://cdn.example.com/logo.svg");
    assert_eq!(site["accent_colour"], "#1d4ed8");
    app.state.sites.reload().await.expect("reload sites");
    let page = login_page(&app).await;
    assert!(page.contains("<title>Sign in · Docs Hub</title>"), "{page}");
    assert!(
        page.contains(r#"<img class="brand-logo" src="https://cdn.example.com/logo.svg" alt="Logo of Docs Hub""#),
        "{page}"
    );
    // A dark accent: white text on it.
    assert!(
        page.contains("--site-accent: #1d4ed8; --site-accent-text: #ffffff;"),
        "{page}"
    );

    let refusals = [
        (
            json!({"logo_url": "http://cdn.example.com/logo.svg"}),
            "logo_url",
        ),
        (json!({"logo_url": "javascript:alert(1)"}), "logo_url"),
        (json!({"accent_colour": "red"}), "accent_colour"),
        (json!({"accent_colour": "#12345"}), "accent_colour"),
        (
            json!({"accent_colour": "#123456; color: red"}),
            "accent_colour",
        ),
        (json!({"display_name": "x".repeat(101)}), "display_name"),
    ];
    for (change, field) in refusals {
        let (status, body) = call(
            &app,
            &token,
            Method::PATCH,
            "/api/admin/site",
            Some(change.clone()),
        )
        .await;
        assert_eq!(status, 400, "{change}: {body}");
        assert!(body["message"].as_str().unwrap().contains(field), "{body}");
    }
    // A refused change changes nothing, even the valid parts of it.
    let mixed = json!({"display_name": "Other", "accent_colour": "blue"});
    let (status, _) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(mixed)).await;
    assert_eq!(status, 400);
    let (_, site) = call(&app, &token, Method::GET, "/api/admin/site", None).await;
    assert_eq!(site["display_name"], "Docs Hub");

    let clear = json!({"display_name": "", "logo_url": "", "accent_colour": ""});
    let (status, site) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(clear)).await;
    assert_eq!(status, 200, "{site}");
    assert!(site["display_name"].is_null() && site["logo_url"].is_null());
    assert!(site["accent_colour"].is_null());
    app.state.sites.reload().await.expect("reload sites");
    let page = login_page(&app).await;
    assert!(
        !page.contains("brand-logo") && !page.contains("--site-accent"),
        "{page}"
    );
    assert!(!page.contains("Docs Hub"));
}

#[tokio::test]
async fn the_cli_sets_the_default_language_and_the_look() {
    let app = spawn_app().await;
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(app.cli(
        &["site", "set-default-locale", "--site", "default", "de"],
        None,
    ));
    let look = [
        "site",
        "set-look",
        "--site",
        "default",
        "--display-name",
        "Wiki",
        "--accent-colour",
        "#ffd700",
    ];
    let said = ok(app.cli(&look, None));
    assert!(said.contains("accent colour #ffd700"), "{said}");
    let shown = ok(app.cli(&["site", "show", "--site", "default"], None));
    assert!(shown.contains("default language: de"), "{shown}");
    assert!(shown.contains("display name: Wiki"), "{shown}");
    assert!(shown.contains("logo: (none)"), "{shown}");

    let refused = app.cli(
        &[
            "site",
            "set-look",
            "--site",
            "default",
            "--logo-url",
            "ftp://x",
        ],
        None,
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("logo_url"));
    let refused = app.cli(
        &["site", "set-default-locale", "--site", "default", "fr"],
        None,
    );
    assert!(!refused.status.success());

    app.state.sites.reload().await.expect("reload sites");
    let page = login_page(&app).await;
    assert!(page.contains(r#"<html lang="de">"#), "{page}");
    assert!(page.contains("<title>Anmelden · Wiki</title>"), "{page}");
    // A light accent: black text on it.
    assert!(
        page.contains("--site-accent: #ffd700; --site-accent-text: #000000;"),
        "{page}"
    );
}
