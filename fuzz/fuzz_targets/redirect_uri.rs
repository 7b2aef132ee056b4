//! Redirect URIs: registration (`RedirectUri::parse`), matching a presented
//! URI against a registered one (exact, or the port of a loopback URI per
//! RFC 8252 section 7.3), and the redirect built back to the client.
//!
//! Input: `registered\npresented\nstate`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::oauth::response::{ClientResponse, ResponseMode, query_redirect};
use tessera::oauth::clients::RedirectUri;
use tessera_fuzz::{site, three_fields};
use url::Url;

fn is_loopback(url: &Url) -> bool {
    url.scheme() == "http" && matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"))
}

fuzz_target!(|data: &str| {
    let (registered, presented, state) = three_fields(data);
    // Whatever a developer registers and whatever a browser presents, parse
    // both ways round: neither may panic.
    let _ = RedirectUri::parse(presented);
    let Ok(uri) = RedirectUri::parse(registered) else {
        return;
    };

    // The stored form is a fixed point: it parses back to itself and
    // matches itself.
    let stored = uri.as_str();
    assert_eq!(RedirectUri::parse(stored).as_ref(), Ok(&uri), "{stored:?}");
    assert!(uri.matches(stored));
    let registered_url = Url::parse(stored).unwrap();
    assert!(registered_url.fragment().is_none());
    assert!(registered_url.username().is_empty() && registered_url.password().is_none());

    if !uri.matches(presented) {
        return;
    }
    // A match is the same string, or a loopback URI that differs in the
    // port alone.
    if presented != stored {
        assert!(
            is_loopback(&registered_url),
            "{stored:?} matched {presented:?}"
        );
        assert!(!presented.contains('#'));
        let mut candidate = Url::parse(presented).unwrap();
        assert_eq!(candidate.as_str(), presented, "a match is in normal form");
        assert!(is_loopback(&candidate));
        candidate.set_port(registered_url.port()).unwrap();
        assert_eq!(
            candidate.as_str(),
            stored,
            "{presented:?} differs beyond the port"
        );
    }

    // The redirect back to a matched URI keeps its scheme, host and path;
    // what the client sent as `state` comes back unchanged, once, and
    // cannot add or replace a parameter.
    let response = ClientResponse {
        client_id: "fuzz".into(),
        redirect_uri: presented.to_string(),
        mode: ResponseMode::Query,
        state: Some(state.to_string()),
        params: vec![("code", "c0de".to_string())],
    };
    let back = query_redirect(site(), &response);
    let back = Url::parse(&back).unwrap();
    let before = Url::parse(presented).unwrap();
    assert_eq!(back.scheme(), before.scheme());
    assert_eq!(back.host_str(), before.host_str());
    assert_eq!(back.port(), before.port());
    assert_eq!(back.path(), before.path());
    assert!(back.fragment().is_none());
    let ours: Vec<(String, String)> = back
        .query_pairs()
        .skip(before.query_pairs().count())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        ours,
        vec![
            ("code".to_owned(), "c0de".to_owned()),
            ("state".to_owned(), state.to_owned()),
            ("iss".to_owned(), site().issuer.clone()),
        ]
    );
});
