//! Form bodies and queries of the OAuth endpoints, decoded as actix's
//! `web::Form` and `web::Query` decode them (serde_urlencoded), then the
//! field parsers they feed: grant type, scope, PKCE, user code, and client
//! authentication from the `Authorization` header and the body.
//!
//! Input: `Authorization header value\nbody or query string`.

#![no_main]

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use tessera::next_path::NextPath;
use tessera::oauth::clients::GrantType;
use tessera::oauth::device::{DeviceAuthorizationRequest, normalize_user_code};
use tessera::oauth::grants::TokenRequest;
use tessera::oauth::pkce::{CodeChallenge, CodeVerifier};
use tessera::oauth::{AuthorizationRequest, PresentedClient, ScopeSet};
use tessera::tokens::callers::legacy::api_key_in_query;
use tessera_fuzz::two_fields;

fn check_scope(raw: Option<&str>) {
    if let Some(Ok(set)) = raw.map(ScopeSet::parse) {
        // The printed form (what responses and the store carry) reads back.
        assert_eq!(ScopeSet::parse(&set.to_string()), Ok(set));
        assert_eq!(ScopeSet::from_stored(&set.to_string()), set);
    }
}

fn check_client(authorization: &str, client_id: Option<&str>, client_secret: Option<&str>) {
    for header in [None, Some(authorization)] {
        let presented = PresentedClient {
            authorization: header,
            client_id,
            client_secret,
            ..PresentedClient::default()
        };
        let Ok((id, secret)) = presented.fuzz_credentials() else {
            continue;
        };
        if header.is_none() {
            assert_eq!(Some(id.as_str()), client_id);
            assert_eq!(secret.as_deref(), client_secret);
            continue;
        }
        // The same credentials, encoded as a client would, read back alike.
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let secret = secret.unwrap();
        let again = format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", encode(&id), encode(&secret)))
        );
        let presented = PresentedClient {
            authorization: Some(&again),
            ..PresentedClient::default()
        };
        assert_eq!(presented.fuzz_credentials().ok(), Some((id, Some(secret))));
    }
}

fuzz_target!(|data: &str| {
    let (authorization, body) = two_fields(data);
    let _ = api_key_in_query(Some(body));
    let _ = serde_urlencoded::from_str::<HashMap<String, String>>(body);

    if let Ok(form) = serde_urlencoded::from_str::<TokenRequest>(body) {
        if let Some(grant) = form.grant_type.as_deref().and_then(GrantType::parse) {
            assert_eq!(GrantType::parse(grant.as_str()), Some(grant));
        }
        check_scope(form.scope.as_deref());
        let verifier = form.code_verifier.as_deref().and_then(CodeVerifier::parse);
        let challenge = form.code.as_deref().and_then(CodeChallenge::parse);
        if let (Some(verifier), Some(challenge)) = (verifier, challenge) {
            let _ = challenge.is_met_by(&verifier);
        }
        check_client(
            authorization,
            form.client_id.as_deref(),
            form.client_secret.as_deref(),
        );
    }

    if let Ok(form) = serde_urlencoded::from_str::<DeviceAuthorizationRequest>(body) {
        check_scope(form.scope.as_deref());
        check_client(
            authorization,
            form.client_id.as_deref(),
            form.client_secret.as_deref(),
        );
    }
    if let Some(code) = normalize_user_code(body) {
        assert_eq!(normalize_user_code(&code).as_ref(), Some(&code));
    }

    if let Ok(query) = serde_urlencoded::from_str::<AuthorizationRequest>(body) {
        check_scope(query.scope.as_deref());
        if let Some(challenge) = query
            .code_challenge
            .as_deref()
            .and_then(CodeChallenge::parse)
        {
            assert_eq!(challenge.as_str().len(), 43);
        }
        // The request survives the trip through the login page: encoded
        // again, it decodes to the same parameters.
        let encoded = serde_urlencoded::to_string(&query).unwrap();
        let again: AuthorizationRequest = serde_urlencoded::from_str(&encoded).unwrap();
        assert_eq!(format!("{again:?}"), format!("{query:?}"));
        let next = format!("/oauth/authorize?{encoded}");
        if let Some(path) = NextPath::parse(&next) {
            assert!(path.as_str().starts_with("/oauth/authorize?"));
        }
    }
});
