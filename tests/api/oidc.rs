//! OpenID Connect end to end: ID tokens verified against the published
//! JWKS, userinfo, discovery, signing-key rotation (by command line, and
//! between two processes on one database), and a client no one here wrote.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tessera::signing::SigningError;
use tessera::users::{NewAccount, Role};

use crate::helpers::{TestApp, new_client, spawn_app, spawn_app_on};
use crate::oauth::support::{
    App, PASSWORD, Registration, exchange, get, location, params, pkce, register, submit_consent,
};

const SCOPES: &str = "openid profile email content:read";

async fn alice(app: &TestApp) -> (i64, reqwest::Client) {
    let id = app
        .state
        .users
        .create(
            app.default_site_id(),
            NewAccount {
                username: "alice".into(),
                display_name: Some("Alice Liddell".into()),
                email: Some("alice@example.com".into()),
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

async fn oidc_client(app: &TestApp) -> App {
    register(
        app,
        Registration {
            scopes: Some(SCOPES),
            ..Registration::default()
        },
    )
    .await
}

/// Authorize (with consent) and redeem the code; returns the token response.
async fn sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &App,
    scope: &str,
    nonce: Option<&str>,
) -> Value {
    let (verifier, challenge) = pkce();
    let extra: Vec<(&str, &str)> = nonce.map(|n| ("nonce", n)).into_iter().collect();
    let path = crate::oauth::support::authorize_path(client, Some(scope), &challenge, &extra);
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

async fn jwks(app: &TestApp) -> JwkSet {
    let response = reqwest::get(app.url("/.well-known/jwks.json"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// Verifies `token` with the key its `kid` names in `set`, as a relying party would.
fn verify(token: &str, set: &JwkSet, audience: &str, issuer: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = set
        .find(header.kid.as_deref().unwrap())
        .expect("the kid is published");
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[issuer]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("the signature and claims check out")
        .claims
}

fn site_slug(app: &TestApp) -> String {
    app.state
        .sites
        .by_id(app.default_site_id())
        .unwrap()
        .slug
        .clone()
}

#[tokio::test]
async fn the_id_token_is_signed_by_a_published_key_and_carries_the_claims() {
    let app = spawn_app().await;
    let (user_id, browser) = alice(&app).await;
    let client = oidc_client(&app).await;
    let tokens = sign_in(&app, &browser, &client, SCOPES, Some("n-0S6_WzA2Mj")).await;
    let id_token = tokens["id_token"].as_str().expect("an id_token");
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(
        header.alg,
        jsonwebtoken::Algorithm::ES256,
        "ES256 by default"
    );
    let claims = verify(id_token, &jwks(&app).await, &client.client_id, &app.address);
    assert_eq!(claims["iss"], app.address);
    assert_eq!(claims["sub"], user_id.to_string());
    assert_eq!(claims["aud"], client.client_id);
    assert_eq!(claims["azp"], client.client_id);
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj", "the nonce is echoed");
    assert_eq!(claims["name"], "Alice Liddell");
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["email"], "alice@example.com");
    let now = app.clock_now();
    assert!(claims["iat"].as_i64().unwrap() <= now);
    assert!(claims["exp"].as_i64().unwrap() > now);
    let auth_time = claims["auth_time"].as_i64().expect("auth_time");
    assert!(auth_time <= claims["iat"].as_i64().unwrap());
    // at_hash: the left half of SHA-256 of the access token (ES256).
    let access_token = tokens["access_token"].as_str().unwrap();
    let digest = Sha256::digest(access_token.as_bytes());
    assert_eq!(claims["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..16]));
}

impl TestApp {
    fn clock_now(&self) -> i64 {
        use tessera::clock::Clock;
        self.clock.now()
    }
}

#[tokio::test]
async fn claims_follow_the_granted_scopes_and_no_openid_means_no_id_token() {
    let app = spawn_app().await;
    let (_, browser) = alice(&app).await;
    let client = oidc_client(&app).await;
    let tokens = sign_in(&app, &browser, &client, "openid", None).await;
    let claims = verify(
        tokens["id_token"].as_str().unwrap(),
        &jwks(&app).await,
        &client.client_id,
        &app.address,
    );
    assert!(claims.get("nonce").is_none());
    assert!(claims.get("email").is_none() && claims.get("name").is_none());

    let tokens = sign_in(&app, &browser, &client, "profile", None).await;
    assert!(tokens.get("id_token").is_none());
}

#[tokio::test]
async fn userinfo_answers_for_an_openid_access_token_only() {
    let app = spawn_app().await;
    let (user_id, browser) = alice(&app).await;
    let client = oidc_client(&app).await;
    let tokens = sign_in(&app, &browser, &client, "openid email", None).await;
    let access = tokens["access_token"].as_str().unwrap();
    let http = reqwest::Client::new();

    let info: Value = http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], user_id.to_string());
    assert_eq!(info["email"], "alice@example.com");
    assert!(info.get("name").is_none(), "profile was not granted");

    let posted = http
        .post(app.url("/oauth/userinfo"))
        .form(&[("access_token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);

    let missing = http.get(app.url("/oauth/userinfo")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(
        missing.headers()["www-authenticate"],
        format!(
            r#"Bearer realm="tessera", resource_metadata="{}/.well-known/oauth-protected-resource""#,
            app.address
        )
        .as_str()
    );

    let forged = http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(format!("{access}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    assert!(
        forged.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );

    let without_openid = sign_in(&app, &browser, &client, "profile", None).await;
    let refused = http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(without_openid["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(
        refused.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
}

#[tokio::test]
async fn discovery_extends_the_oauth_metadata_with_what_is_enforced() {
    let app = spawn_app().await;
    let oidc: Value = reqwest::get(app.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let oauth: Value = reqwest::get(app.url("/.well-known/oauth-authorization-server"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (name, value) in oauth.as_object().unwrap() {
        assert_eq!(&oidc[name], value, "{name} is the same in both documents");
    }
    assert_eq!(oidc["userinfo_endpoint"], app.url("/oauth/userinfo"));
    assert_eq!(oidc["jwks_uri"], app.url("/.well-known/jwks.json"));
    assert_eq!(
        oidc["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    assert_eq!(
        oidc["subject_types_supported"],
        serde_json::json!(["public"])
    );
    assert_eq!(
        oidc["response_types_supported"],
        serde_json::json!(["code"])
    );
    let scopes = oidc["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&"openid".into()) && scopes.contains(&"email".into()));
    let claims = oidc["claims_supported"].as_array().unwrap();
    for claim in [
        "sub",
        "nonce",
        "auth_time",
        "at_hash",
        "azp",
        "email",
        "name",
    ] {
        assert!(claims.contains(&claim.into()), "{claim}");
    }
    let set = jwks(&app).await;
    assert_eq!(set.keys.len(), 2, "the current key and the next one");
}

/// Waits until the app publishes `kid` (another process changed the keys).
async fn wait_for_kid(app: &TestApp, kid: &str) -> JwkSet {
    for _ in 0..100 {
        let set = jwks(app).await;
        if set.find(kid).is_some() {
            return set;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{kid} never appeared in the JWKS");
}

#[tokio::test]
async fn rotation_by_command_line_keeps_old_tokens_verifiable_and_signs_with_the_published_next_key()
 {
    let app = spawn_app().await;
    let (_, browser) = alice(&app).await;
    let client = oidc_client(&app).await;
    let before = jwks(&app).await;
    let first = sign_in(&app, &browser, &client, "openid", None).await;
    let first = first["id_token"].as_str().unwrap().to_string();
    let first_kid = kid_of(&first);
    let next_kid = before
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .find(|kid| *kid != first_kid)
        .expect("a next key is published before it signs");

    let output = app.cli(
        &["--json", "keys", "rotate", "--site", &site_slug(&app)],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rotated: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rotated["current"], next_kid);
    assert_eq!(rotated["retired"], first_kid);
    let new_next = rotated["next"].as_str().unwrap();

    // The server hears of it through the change feed.
    let after = wait_for_kid(&app, new_next).await;
    assert_eq!(after.keys.len(), 3, "retired, current and next");
    verify(&first, &after, &client.client_id, &app.address);

    let second = sign_in(&app, &browser, &client, "openid", None).await;
    let second = second["id_token"].as_str().unwrap();
    assert_eq!(
        kid_of(second),
        next_kid,
        "the key published as next now signs"
    );
    verify(second, &after, &client.client_id, &app.address);

    let listed = app.cli(
        &["--json", "keys", "list", "--site", &site_slug(&app)],
        None,
    );
    assert!(listed.status.success());
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let states: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["retired", "current", "next"]);
}

#[tokio::test]
async fn retired_keys_leave_the_jwks_once_their_tokens_have_expired() {
    let app = spawn_app().await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let signing = &app.state.signing;
    let first = signing.keys(site.id).await.unwrap().current.kid.clone();
    signing.rotate(&site).await.unwrap();
    assert!(jwks(&app).await.find(&first).is_some());
    // Past the longest token lifetime and the cache slack, then the schedule runs.
    app.clock.advance(site.oauth.access_token_ttl_secs + 3600);
    signing.rotate_due(&app.state.sites).await.unwrap();
    assert!(jwks(&app).await.find(&first).is_none());
}

#[tokio::test]
async fn the_schedule_rotates_a_key_older_than_the_rotation_period() {
    let app = spawn_app().await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let signing = &app.state.signing;
    let keys = signing.keys(site.id).await.unwrap();
    assert_eq!(signing.rotate_due(&app.state.sites).await.unwrap(), 0);
    app.clock.advance(tessera::signing::DEFAULT_ROTATION_SECS);
    assert_eq!(signing.rotate_due(&app.state.sites).await.unwrap(), 1);
    let now = signing.keys(site.id).await.unwrap();
    assert_ne!(now.current.kid, keys.current.kid);
    assert_eq!(now.current.id, keys.next_id);
}

#[tokio::test]
async fn each_algorithm_can_be_chosen_per_site() {
    let app = spawn_app().await;
    let (_, browser) = alice(&app).await;
    let client = oidc_client(&app).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    for (alg, name) in [
        (tessera::signing::keygen::SigningAlg::Rs256, "RS256"),
        (tessera::signing::keygen::SigningAlg::EdDsa, "EdDSA"),
    ] {
        app.state
            .signing
            .set_algorithm(site.id, alg, None)
            .await
            .unwrap();
        app.state.signing.rotate(&site).await.unwrap();
        let tokens = sign_in(&app, &browser, &client, "openid", None).await;
        let id_token = tokens["id_token"].as_str().unwrap();
        assert_eq!(
            serde_json::to_value(jsonwebtoken::decode_header(id_token).unwrap().alg).unwrap(),
            name
        );
        verify(id_token, &jwks(&app).await, &client.client_id, &app.address);
        let oidc: Value = reqwest::get(app.url("/.well-known/openid-configuration"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(oidc["id_token_signing_alg_values_supported"][0], name);
    }
}

/// What `app` publishes for `site_id` once it has heard of `kid`.
async fn wait_for_kid_in(app: &TestApp, site_id: i64, kid: &str) {
    for _ in 0..100 {
        let set = app.state.signing.jwks(site_id).await.unwrap();
        if set.contains(kid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{kid} never appeared in this process's JWKS");
}

#[tokio::test]
async fn two_processes_on_one_database_agree_on_the_signing_key() {
    let a = spawn_app().await;
    let b = spawn_app_on(
        a.database_url.clone(),
        a.master_key.clone(),
        tempfile::tempdir().unwrap(),
    )
    .await;
    let site_id = a.default_site_id();
    let site_a = a.state.sites.by_id(site_id).unwrap();
    let site_b = b.state.sites.by_id(site_id).unwrap();
    // Both start at once: one installs the first keys, both use them.
    let (ka, kb) = tokio::join!(a.state.signing.keys(site_id), b.state.signing.keys(site_id));
    assert_eq!(ka.unwrap().current.kid, kb.unwrap().current.kid);
    // Both rotate at once. A process rotating from a view the other has
    // already changed loses (conditional updates); one whose view was
    // refreshed in between by the change feed may rotate once more. Either
    // way the rotations happen one after the other, never side by side.
    let (ra, rb) = tokio::join!(
        a.state.signing.rotate(&site_a),
        b.state.signing.rotate(&site_b)
    );
    let won: Vec<_> = [ra, rb]
        .into_iter()
        .filter_map(|r| match r {
            Ok(rotated) => Some(rotated),
            Err(SigningError::Contended) => None,
            Err(e) => panic!("rotation failed: {e}"),
        })
        .collect();
    assert!(!won.is_empty(), "at least one process rotates");
    if let [first, second] = won.as_slice() {
        assert!(
            first.current_kid == second.retired_kid || second.current_kid == first.retired_kid,
            "the second rotation starts from the key the first one promoted"
        );
    }
    let last = won
        .iter()
        .find(|r| !won.iter().any(|o| o.retired_kid == r.current_kid))
        .unwrap();
    wait_for_kid_in(&a, site_id, &last.next_kid).await;
    wait_for_kid_in(&b, site_id, &last.next_kid).await;
    for app in [&a, &b] {
        let keys = app.state.signing.keys(site_id).await.unwrap();
        assert_eq!(keys.current.kid, last.current_kid);
    }
}

// The openidconnect crate as a relying party: strict discovery, JWKS,
// signature, nonce, at_hash and userinfo checks.
mod relying_party {
    use openidconnect::core::{
        CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
        CoreUserInfoClaims,
    };
    use openidconnect::{
        AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
        OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
    };

    use super::*;
    use crate::oauth::support::REDIRECT;

    async fn send(
        request: openidconnect::HttpRequest,
    ) -> Result<openidconnect::HttpResponse, reqwest::Error> {
        let response = reqwest::Client::new()
            .request(request.method().clone(), request.uri().to_string())
            .headers(request.headers().clone())
            .body(request.body().clone())
            .send()
            .await?;
        let mut builder = openidconnect::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        Ok(builder.body(response.bytes().await?.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_openidconnect_crate_signs_in_with_discovery_jwks_and_userinfo() {
        let app = spawn_app().await;
        let (user_id, browser) = alice(&app).await;
        let registered = oidc_client(&app).await;
        let http = |request| send(request);
        let metadata = CoreProviderMetadata::discover_async(
            IssuerUrl::new(app.address.clone()).unwrap(),
            &http,
        )
        .await
        .expect("discovery and JWKS are accepted");
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(registered.client_id.clone()),
            registered.secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();

        let response = browser.get(url.as_str()).send().await.unwrap();
        let page = response.text().await.unwrap();
        let response = submit_consent(&browser, &app, &page, "allow").await;
        let back = params(&location(&response));
        assert_eq!(&back["state"], state.secret());

        let tokens = client
            .exchange_code(AuthorizationCode::new(back["code"].clone()))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .expect("the token response is accepted");
        let id_token = tokens.id_token().expect("an ID token");
        let id_verifier = client
            .id_token_verifier()
            .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
        let claims = id_token
            .claims(&id_verifier, &nonce)
            .expect("signature, issuer, audience, expiry and nonce check out");
        assert_eq!(claims.subject().as_str(), user_id.to_string());
        assert_eq!(
            claims.preferred_username().map(|u| u.as_str()),
            Some("alice")
        );
        let expected = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&id_verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(claims.access_token_hash(), Some(&expected));

        let info: CoreUserInfoClaims = client
            .user_info(
                tokens.access_token().to_owned(),
                Some(claims.subject().clone()),
            )
            .unwrap()
            .request_async(&http)
            .await
            .expect("userinfo is accepted");
        assert_eq!(info.email().map(|e| e.as_str()), Some("alice@example.com"));
    }
}

#[tokio::test]
async fn a_client_created_with_jwt_access_tokens_gets_rfc_9068_tokens_the_api_accepts() {
    let app = spawn_app().await;
    let (user_id, browser) = alice(&app).await;
    let output = app.cli(
        &[
            "--json",
            "client",
            "create",
            "--site",
            &site_slug(&app),
            "--name",
            "Offline Verifier",
            "--redirect-uri",
            crate::oauth::support::REDIRECT,
            "--scopes",
            "openid profile content:read",
            "--jwt-access-tokens",
        ],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(created["jwt_access_tokens"], true);
    let client = App {
        client_id: created["client_id"].as_str().unwrap().to_string(),
        secret: created["client_secret"].as_str().map(str::to_string),
        redirect_uri: crate::oauth::support::REDIRECT.to_string(),
    };
    let tokens = sign_in(&app, &browser, &client, "openid profile", None).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert!(
        access.len() > 255,
        "documented: JWT access tokens exceed 255 characters"
    );
    let header = jsonwebtoken::decode_header(access).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let claims = verify(access, &jwks(&app).await, &app.address, &app.address);
    assert_eq!(claims["sub"], user_id.to_string());
    assert_eq!(claims["client_id"], client.client_id);
    assert_eq!(claims["scope"], "profile openid");
    // The token's id, as revoking it records.
    assert!(
        claims["jti"]
            .as_str()
            .is_some_and(|j| j.parse::<i64>().is_ok())
    );
    assert!(claims["gid"].is_i64(), "the grant behind it");

    // The ID token's at_hash covers the JWT as sent.
    let id_claims = verify(
        tokens["id_token"].as_str().unwrap(),
        &jwks(&app).await,
        &client.client_id,
        &app.address,
    );
    let digest = Sha256::digest(access.as_bytes());
    assert_eq!(id_claims["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..16]));

    // The API and userinfo take it like an opaque token.
    let me = app.current_user_bearer(access).await;
    assert_eq!(me["credential"], "oauth");
    assert_eq!(me["username"], "alice");
    let info = reqwest::Client::new()
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);

    // A forged signature is refused.
    let (rest, _) = access.rsplit_once('.').unwrap();
    let forged = format!("{rest}.{}", URL_SAFE_NO_PAD.encode([7u8; 64]));
    let refused = reqwest::Client::new()
        .get(app.url("/api/users/current"))
        .bearer_auth(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    // Refreshing keeps the JWT form.
    let refreshed = crate::oauth::support::token(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(access).unwrap().typ.as_deref(),
        Some("at+jwt")
    );

    // Introspection (RFC 7662) and revocation (RFC 7009) take the JWT too.
    let seen = crate::oauth::support::introspect(&app, &client, access).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["client_id"], client.client_id);
    let revoked = new_client(app.port)
        .post(app.url("/oauth/revoke"))
        .basic_auth(&client.client_id, client.secret.as_ref())
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let seen = crate::oauth::support::introspect(&app, &client, access).await;
    assert_eq!(seen["active"], false, "{seen}");
    let refused = reqwest::Client::new()
        .get(app.url("/api/users/current"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}
