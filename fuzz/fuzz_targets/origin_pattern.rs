//! Browser-token origin patterns (`OriginPatterns::parse`), the `Origin`
//! header (`Origin::parse`), matching one against the other, and the CORS
//! answer that echoes a trusted origin.
//!
//! Input: `pattern list\nOrigin header value`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::tokens::browser::{
    CorsAnswer, CorsRequest, Origin, OriginCheck, OriginPattern, OriginPatterns,
};
use tessera_fuzz::{site, two_fields};

fuzz_target!(|data: &str| {
    let (list, header) = two_fields(data);
    let _ = OriginPattern::parse(list);
    let parsed_origin = Origin::parse(header);
    if let Ok(origin) = &parsed_origin {
        // The canonical form parses back to the same origin.
        assert_eq!(Origin::parse(&origin.to_string()).as_ref(), Ok(origin));
        assert!(!origin.host.is_empty() && origin.port != 0);
    }
    let site_origin = site().origin.clone().unwrap();

    let Ok(patterns) = OriginPatterns::parse(list) else {
        return;
    };
    // What is stored and shown parses back to the same list.
    let shown = patterns.to_string();
    assert_eq!(
        OriginPatterns::parse(&shown).as_ref(),
        Ok(&patterns),
        "{shown:?}"
    );
    assert!(!patterns.patterns().is_empty());

    let trusted = patterns.matches(header);
    assert_eq!(
        trusted,
        parsed_origin
            .as_ref()
            .is_ok_and(|o| patterns.matches_origin(o))
    );
    if let Ok(origin) = &parsed_origin {
        for pattern in patterns.patterns() {
            if !pattern.matches(origin) {
                continue;
            }
            // A pattern trusts its own origin, or hosts strictly below its
            // parent with the same scheme and port: nothing else.
            let shown = pattern.to_string();
            match shown.split_once("://*.") {
                None => assert_eq!(Origin::parse(&shown).as_ref(), Ok(origin), "{shown:?}"),
                Some((scheme, rest)) => {
                    assert_eq!(scheme, origin.scheme.as_str());
                    let parent = match rest.rsplit_once(':') {
                        Some((parent, port)) if !parent.ends_with(']') => {
                            assert_eq!(port.parse::<u16>().ok(), Some(origin.port));
                            parent
                        }
                        _ => {
                            assert_eq!(origin.port, origin.scheme.default_port());
                            rest
                        }
                    };
                    let below = origin.host.strip_suffix(parent).unwrap();
                    assert!(
                        below.len() > 1 && below.ends_with('.'),
                        "{origin} under {shown}"
                    );
                }
            }
        }
    }

    // The CORS answer: a trusted origin is echoed as sent (trimmed), and
    // what is echoed can never split or extend the header.
    let check = OriginCheck::classify(Some(header), &site_origin, |o| patterns.matches_origin(o));
    for request in [
        CorsRequest::Preflight,
        CorsRequest::Actual {
            browser_token: true,
        },
        CorsRequest::Actual {
            browser_token: false,
        },
    ] {
        let answer = CorsAnswer::decide(&check, request);
        for (name, value) in answer.headers() {
            if *name == "Access-Control-Allow-Origin" {
                assert!(matches!(check, OriginCheck::Trusted { .. }));
                assert_eq!(value, header.trim());
                assert!(
                    value.bytes().all(|b| b.is_ascii_graphic() && b != b','),
                    "{value:?}"
                );
            }
        }
        if matches!(answer, CorsAnswer::OriginNotTrusted(_)) {
            assert_eq!(check, OriginCheck::Untrusted);
        }
    }
});
