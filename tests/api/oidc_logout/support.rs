//! A signed-in user, an OpenID Connect client with logout settings, and
//! the sign-in that gives it an ID token.

use serde_json::Value;
use tessera::oauth::logout::ClientLogoutSettings;
use tessera::users::{NewAccount, Role};

use crate::helpers::TestApp;
use crate::oauth::support::{
    App, PASSWORD, Registration, authorize_path, exchange, get, location, params, pkce, register,
    submit_consent,
};

pub const SCOPES: &str = "openid profile";
pub const BYE: &str = "https://app.example.com/bye";

pub async fn alice(app: &TestApp) -> (i64, reqwest::Client) {
    let id = app
        .state
        .users
        .create(
            app.default_site_id(),
            NewAccount {
                username: "alice".into(),
                display_name: Some("Alice Liddell".into()),
                email: None,
                role: Role::Pro,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap()
        .id;
    let (browser, _) = app.signed_in_client("alice", PASSWORD).await;
    (id, browser)
}

/// A client with `BYE` as its post-logout URI and, when given, a
/// back-channel logout URI.
pub async fn logout_client(app: &TestApp, backchannel: Option<&str>) -> App {
    let client = register(
        app,
        Registration {
            scopes: Some(SCOPES),
            ..Registration::default()
        },
    )
    .await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .clients
        .set_logout(
            &site,
            &client.client_id,
            &ClientLogoutSettings {
                post_logout_redirect_uris: vec![BYE.into()],
                backchannel_logout_uri: backchannel.map(str::to_string),
                backchannel_logout_session_required: true,
            },
            &tessera::audit::Actor::Cli,
        )
        .await
        .expect("logout settings");
    client
}

/// Authorizes (with consent) and redeems the code; the token response.
pub async fn sign_in(app: &TestApp, browser: &reqwest::Client, client: &App) -> Value {
    let (verifier, challenge) = pkce();
    let path = authorize_path(client, Some(SCOPES), &challenge, &[]);
    let response = get(browser, app, &path).await;
    let response = if response.status() == 200 {
        let page = response.text().await.unwrap();
        submit_consent(browser, app, &page, "allow").await
    } else {
        response
    };
    assert_eq!(response.status(), 303);
    let code = params(&location(&response))["code"].clone();
    let response = exchange(app, client, &code, &verifier).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Whether the browser is still signed in (the account page shows).
pub async fn signed_in(app: &TestApp, browser: &reqwest::Client) -> bool {
    get(browser, app, "/account").await.status() == 200
}

/// `GET /oauth/logout` with these parameters.
pub async fn logout(
    app: &TestApp,
    browser: &reqwest::Client,
    query: &[(&str, &str)],
) -> reqwest::Response {
    browser
        .get(app.url("/oauth/logout"))
        .query(query)
        .send()
        .await
        .unwrap()
}
