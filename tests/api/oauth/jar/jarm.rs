//! JARM (`response_mode` `jwt`, `query.jwt`, `form_post.jwt`) and the
//! plain `form_post` mode: the response is verified against the site's
//! JWKS and the code in it redeemed; errors after the client is known go
//! back the same way.

use super::*;
use crate::helpers::hidden_input;
use crate::oauth::support::{
    App, Registration, authorize_path, exchange, get, pkce, register, signed_in_browser,
    submit_consent,
};

/// Asks for `profile` in `mode` and answers the consent screen.
async fn answered(
    app: &TestApp,
    client: &App,
    mode: &str,
    decision: &str,
) -> (reqwest::Response, String) {
    let browser = signed_in_browser(app).await;
    let (verifier, challenge) = pkce();
    let path = authorize_path(
        client,
        Some("profile"),
        &challenge,
        &[("response_mode", mode)],
    );
    let response = get(&browser, app, &path).await;
    assert_eq!(response.status(), 200, "the consent screen");
    let page = response.text().await.unwrap();
    (
        submit_consent(&browser, app, &page, decision).await,
        verifier,
    )
}

/// The `response` JWT of a query.jwt redirect; nothing else is in the query.
fn response_in_query(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 303);
    let location = location(response);
    assert!(location.starts_with(REDIRECT), "{location}");
    let back = params(&location);
    assert_eq!(back.len(), 1, "only the response parameter: {back:?}");
    back["response"].clone()
}

#[tokio::test]
async fn a_jwt_response_carries_a_signed_code_the_client_can_redeem() {
    let app = crate::helpers::spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let (response, verifier) = answered(&app, &client, "jwt", "allow").await;
    let jwt = response_in_query(&response);
    let claims = verify_jarm(&app, &client.client_id, &jwt).await;
    assert_eq!(claims["state"], "xyz-state");
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > now(&app) && exp <= now(&app) + 600);
    let code = claims["code"].as_str().expect("a code");
    let response = exchange(&app, &client, code, &verifier).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["scope"], "profile");
}

#[tokio::test]
async fn a_form_post_jwt_response_is_a_page_that_posts_the_signed_response() {
    let app = crate::helpers::spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let (response, verifier) = answered(&app, &client, "form_post.jwt", "allow").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    assert!(
        page.contains(&format!(r#"method="post" action="{REDIRECT}""#)),
        "{page}"
    );
    assert!(page.contains("<noscript>") && page.contains(r#"<button type="submit">"#));
    assert!(hidden_input(&page, "code").is_none());
    let jwt = hidden_input(&page, "response").expect("the response field");
    let claims = verify_jarm(&app, &client.client_id, &jwt).await;
    let code = claims["code"].as_str().unwrap();
    assert_eq!(exchange(&app, &client, code, &verifier).await.status(), 200);
}

#[tokio::test]
async fn a_form_post_response_posts_the_plain_parameters() {
    let app = crate::helpers::spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let (response, verifier) = answered(&app, &client, "form_post", "allow").await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert_eq!(hidden_input(&page, "state").as_deref(), Some("xyz-state"));
    assert_eq!(hidden_input(&page, "iss"), Some(app.address.clone()));
    let code = hidden_input(&page, "code").expect("the code field");
    assert_eq!(
        exchange(&app, &client, &code, &verifier).await.status(),
        200
    );
}

#[tokio::test]
async fn a_denied_request_is_answered_as_a_jarm_error() {
    let app = crate::helpers::spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let (response, _) = answered(&app, &client, "query.jwt", "deny").await;
    let jwt = response_in_query(&response);
    let claims = verify_jarm(&app, &client.client_id, &jwt).await;
    assert_eq!(claims["error"], "access_denied");
    assert_eq!(claims["state"], "xyz-state");
    assert!(claims.get("code").is_none());
}

#[tokio::test]
async fn an_invalid_request_in_a_jwt_mode_is_answered_as_a_jarm_error() {
    let app = crate::helpers::spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let (_, challenge) = pkce();
    let path = authorize_path(
        &client,
        Some("admin:everything"),
        &challenge,
        &[("response_mode", "jwt")],
    );
    let response = new_client(app.port)
        .get(app.url(&path))
        .send()
        .await
        .unwrap();
    let claims = verify_jarm(&app, &client.client_id, &response_in_query(&response)).await;
    assert_eq!(claims["error"], "invalid_scope");
}

#[tokio::test]
async fn an_unknown_response_mode_is_refused_in_the_query() {
    let app = crate::helpers::spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let (_, challenge) = pkce();
    let path = authorize_path(&client, None, &challenge, &[("response_mode", "fragment")]);
    let response = new_client(app.port)
        .get(app.url(&path))
        .send()
        .await
        .unwrap();
    let back = refused_to_client(&response, "invalid_request");
    assert!(back["error_description"].contains("response_mode"));
}

#[tokio::test]
async fn the_metadata_lists_request_objects_and_response_modes_as_enforced() {
    let app = crate::helpers::spawn_app().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let document: Value = new_client(app.port)
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            document["response_modes_supported"],
            json!(["query", "form_post", "jwt", "query.jwt", "form_post.jwt"])
        );
        assert_eq!(document["request_parameter_supported"], true);
        assert_eq!(document["request_uri_parameter_supported"], false);
        assert_eq!(
            document["request_object_signing_alg_values_supported"],
            json!(["ES256", "RS256", "PS256", "EdDSA"])
        );
        let jarm = document["authorization_signing_alg_values_supported"].clone();
        assert_eq!(jarm, document_algs(&app).await, "{path}");
    }
}

/// The algorithms of the site's published keys.
async fn document_algs(app: &TestApp) -> Value {
    let config: Value = new_client(app.port)
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    config["id_token_signing_alg_values_supported"].clone()
}
