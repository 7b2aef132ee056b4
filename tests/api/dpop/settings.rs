//! What turns DPoP on: a client that requires proofs, a site that requires
//! server nonces, an authorization request's `dpop_jkt`; and how metadata,
//! registration and the CLI say so.

use serde_json::{Value, json};
use tessera::clock::Clock;

use super::support::{Proofer, call, client_credentials, refusal, service_client, token_with};
use crate::helpers::{TestApp, new_client, spawn_app};
use crate::oauth::support::{
    Registration, authorize_path, get, location, params, pkce, register, signed_in_browser,
    submit_consent,
};

const ALGS: [&str; 9] = [
    "ES256", "ES384", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
];

async fn require_nonces(app: &TestApp) {
    app.state
        .store
        .set_site_dpop_nonce_required(app.default_site_id(), true, app.clock.now())
        .await
        .unwrap();
    app.state.sites.reload().await.unwrap();
}

#[tokio::test]
async fn client_that_requires_dpop_is_refused_without_a_proof() {
    let app = spawn_app().await;
    let client = service_client(&app).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .clients
        .set_dpop_required(&site, &client.client_id, true, &tessera::audit::Actor::Cli)
        .await
        .unwrap();
    let (status, error, description) = refusal(client_credentials(&app, &client, None).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_dpop_proof"));
    assert!(description.contains("proof is required"), "{description}");
    let proof = Proofer::es256().for_token(&app);
    let response = client_credentials(&app, &client, Some(&proof)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
}

#[tokio::test]
async fn nonce_challenge_then_success_at_the_token_endpoint_and_the_api() {
    let app = spawn_app().await;
    require_nonces(&app).await;
    let client = register(&app, Registration::default()).await;
    let proofer = Proofer::es256();

    // The code flow's redemption: first without a nonce.
    let browser = signed_in_browser(&app).await;
    let (code, verifier) =
        crate::oauth::support::authorize_code(&app, &browser, &client, None).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let challenged = token_with(&app, &client, Some(&proofer.for_token(&app)), &form).await;
    let nonce = challenged.headers()["dpop-nonce"]
        .to_str()
        .unwrap()
        .to_string();
    let (status, error, _) = refusal(challenged).await;
    assert_eq!((status, error.as_str()), (400, "use_dpop_nonce"));

    let mut claims = Proofer::claims(&app, "POST", &app.url("/oauth/token"));
    claims["nonce"] = json!(nonce);
    let response = token_with(&app, &client, Some(&proofer.sign(&claims)), &form).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().contains_key("dpop-nonce"),
        "a fresh nonce"
    );
    let tokens: Value = response.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();

    // The API asks for a nonce the same way, with a 401 challenge.
    let api = "/api/users/current";
    let challenged = call(
        &app,
        api,
        "DPoP",
        access,
        Some(&proofer.proof(&app, "GET", api, Some(access))),
    )
    .await;
    assert_eq!(challenged.status(), 401);
    let challenge = challenged.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with(r#"DPoP error="use_dpop_nonce""#),
        "{challenge}"
    );
    let nonce = challenged.headers()["dpop-nonce"]
        .to_str()
        .unwrap()
        .to_string();
    let mut claims = Proofer::claims(&app, "GET", &app.url(api));
    claims["ath"] = json!(super::support::ath(access));
    claims["nonce"] = json!(nonce);
    let response = call(&app, api, "DPoP", access, Some(&proofer.sign(&claims))).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().contains_key("dpop-nonce"),
        "a fresh nonce"
    );

    // Nonces expire: two slots later the same nonce is challenged again.
    app.clock
        .advance(2 * tessera::oauth::dpop::nonce::NONCE_SLOT_SECS);
    let mut claims = Proofer::claims(&app, "POST", &app.url("/oauth/token"));
    claims["nonce"] = json!(nonce);
    let service = service_client(&app).await;
    let (status, error, _) =
        refusal(client_credentials(&app, &service, Some(&proofer.sign(&claims))).await).await;
    assert_eq!((status, error.as_str()), (400, "use_dpop_nonce"));
}

#[tokio::test]
async fn dpop_jkt_binds_the_code_to_the_key() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let proofer = Proofer::es256();
    let browser = signed_in_browser(&app).await;
    let (verifier, challenge) = pkce();
    let jkt = proofer.jkt();
    let path = authorize_path(&client, None, &challenge, &[("dpop_jkt", jkt.as_str())]);
    // Round one: another key's proof is refused, and the failed attempt
    // spends the code (issue 10, item 8). Round two: the bound key redeems.
    for wrong_key_first in [true, false] {
        let first = get(&browser, &app, &path).await;
        let response = if first.status() == 200 {
            let page = first.text().await.unwrap();
            submit_consent(&browser, &app, &page, "allow").await
        } else {
            first
        };
        let code = params(&location(&response))["code"].clone();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        let right = || proofer.for_token(&app);
        if wrong_key_first {
            let other = Proofer::es256().for_token(&app);
            let (status, error, _) =
                refusal(token_with(&app, &client, Some(&other), &form).await).await;
            assert_eq!((status, error.as_str()), (400, "invalid_grant"));
            let (status, error, _) =
                refusal(token_with(&app, &client, Some(&right()), &form).await).await;
            assert_eq!((status, error.as_str()), (400, "invalid_grant"), "spent");
        } else {
            let response = token_with(&app, &client, Some(&right()), &form).await;
            assert_eq!(response.status(), 200);
        }
    }

    let bad = authorize_path(
        &client,
        None,
        &challenge,
        &[("dpop_jkt", "not-a-thumbprint")],
    );
    let refused = params(&location(&get(&browser, &app, &bad).await));
    assert_eq!(refused["error"], "invalid_request");
}

#[tokio::test]
async fn metadata_lists_the_proof_algorithms_in_both_documents() {
    let app = spawn_app().await;
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
            document["dpop_signing_alg_values_supported"],
            json!(ALGS),
            "{path}"
        );
    }
}

#[tokio::test]
async fn registration_metadata_sets_dpop_bound_access_tokens() {
    let app = spawn_app().await;
    // An open site that lets anonymous clients use client_credentials.
    for args in [
        ["site", "set-registration", "--site", "default", "open"],
        [
            "site",
            "set-anonymous-client-credentials",
            "--site",
            "default",
            "true",
        ],
    ] {
        let cli = app.cli(&args, None);
        assert!(
            cli.status.success(),
            "{}",
            String::from_utf8_lossy(&cli.stderr)
        );
    }
    let registered: Value = new_client(app.port)
        .post(app.url("/oauth/register"))
        .json(&json!({
            "redirect_uris": ["https://app.example.com/callback"],
            "grant_types": ["client_credentials"],
            "dpop_bound_access_tokens": true,
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(registered["dpop_bound_access_tokens"], true, "{registered}");
    let client = crate::oauth::support::App {
        client_id: registered["client_id"].as_str().unwrap().into(),
        secret: registered["client_secret"].as_str().map(str::to_string),
        redirect_uri: String::new(),
    };
    let (status, error, _) = refusal(client_credentials(&app, &client, None).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_dpop_proof"));
}

#[tokio::test]
async fn cli_sets_the_client_and_site_requirements() {
    let app = spawn_app().await;
    let created = app.cli(
        &[
            "client",
            "create",
            "--site",
            "default",
            "--name",
            "Bot",
            "--grant-types",
            "client_credentials",
            "--dpop-required",
            "--json",
        ],
        None,
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(created["dpop_bound_access_tokens"], true);
    let client_id = created["client_id"].as_str().unwrap();
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let record = app
        .state
        .store
        .find_client(site.id, client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(record.dpop_required);

    let off = app.cli(
        &[
            "client",
            "set-dpop-required",
            "--site",
            "default",
            client_id,
            "false",
        ],
        None,
    );
    assert!(
        off.status.success(),
        "{}",
        String::from_utf8_lossy(&off.stderr)
    );
    let record = app
        .state
        .store
        .find_client(site.id, client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(!record.dpop_required);

    let nonces = app.cli(
        &[
            "site",
            "set-dpop-nonce-required",
            "--site",
            "default",
            "true",
        ],
        None,
    );
    assert!(
        nonces.status.success(),
        "{}",
        String::from_utf8_lossy(&nonces.stderr)
    );
    app.state.sites.reload().await.unwrap();
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    assert!(site.oauth.dpop_nonce_required);
}

#[tokio::test]
async fn a_proof_at_the_par_endpoint_binds_the_code_to_its_key() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let proofer = Proofer::es256();
    let (verifier, challenge) = pkce();
    let form = [
        ("response_type", "code"),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("state", "xyz-state"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let push = |proof: String, extra: Option<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> = form.iter().map(|(k, v)| (*k, v.to_string())).collect();
        form.extend(extra);
        new_client(app.port)
            .post(app.url("/oauth/par"))
            .basic_auth(&client.client_id, client.secret.as_ref())
            .header("DPoP", proof)
            .form(&form)
            .send()
    };
    // A dpop_jkt naming another key than the proof's is refused.
    let other = Proofer::es256().jkt();
    let refused = push(
        proofer.proof(&app, "POST", "/oauth/par", None),
        Some(("dpop_jkt", other)),
    )
    .await
    .unwrap();
    let (status, error, _) = refusal(refused).await;
    assert_eq!((status, error.as_str()), (400, "invalid_request"));

    let browser = signed_in_browser(&app).await;
    // Round one: a redemption without the proof's key is refused and spends
    // the code (issue 10, item 8). Round two: the key's proof redeems.
    for without_proof_first in [true, false] {
        let pushed: Value = push(proofer.proof(&app, "POST", "/oauth/par", None), None)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let request_uri = pushed["request_uri"].as_str().unwrap();
        let path = format!(
            "/oauth/authorize?client_id={}&request_uri={}",
            client.client_id,
            url::form_urlencoded::byte_serialize(request_uri.as_bytes()).collect::<String>()
        );
        let first = get(&browser, &app, &path).await;
        let response = if first.status() == 200 {
            let page = first.text().await.unwrap();
            submit_consent(&browser, &app, &page, "allow").await
        } else {
            first
        };
        let code = params(&location(&response))["code"].clone();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        let right = || proofer.for_token(&app);
        if without_proof_first {
            let (status, error, _) = refusal(token_with(&app, &client, None, &form).await).await;
            assert_eq!((status, error.as_str()), (400, "invalid_grant"));
            let (status, error, _) =
                refusal(token_with(&app, &client, Some(&right()), &form).await).await;
            assert_eq!((status, error.as_str()), (400, "invalid_grant"), "spent");
        } else {
            let response = token_with(&app, &client, Some(&right()), &form).await;
            assert_eq!(response.status(), 200);
        }
    }
}
