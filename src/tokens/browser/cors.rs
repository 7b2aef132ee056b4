//! The CORS answer for browser API tokens, as plain data: which headers to
//! send and whether to refuse, from the request's origin and the site's.

use super::Origin;

/// Answered in `Access-Control-Allow-Methods` on preflight.
pub const ALLOW_METHODS: &str = "GET, HEAD, POST, PUT, DELETE, OPTIONS";
/// Answered in `Access-Control-Allow-Headers` on preflight.
pub const ALLOW_HEADERS: &str = "X-Deki-Token, Authorization, Content-Type";
/// How long a browser may cache a preflight answer.
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 600;

/// How a request's `Origin` stands with the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginCheck {
    /// No `Origin` header. Browsers send one on every cross-origin request,
    /// so this is a same-origin GET or not a browser at all.
    Absent,
    /// The site's own origin.
    SameOrigin,
    /// A cross origin that the caller's patterns trust. `raw` is echoed back.
    Trusted { origin: Origin, raw: String },
    /// A cross origin not trusted, or `null`, or unparseable.
    Untrusted,
}

impl OriginCheck {
    /// `is_trusted` is the caller's policy: for a request carrying a browser
    /// token, that token's patterns; otherwise (and on preflight, which
    /// carries no token) whether any active browser token of the site matches.
    pub fn classify(
        request_origin: Option<&str>,
        site_origin: &Origin,
        is_trusted: impl FnOnce(&Origin) -> bool,
    ) -> OriginCheck {
        let Some(raw) = request_origin else {
            return OriginCheck::Absent;
        };
        match Origin::parse(raw.trim()) {
            Ok(origin) if origin == *site_origin => OriginCheck::SameOrigin,
            Ok(origin) if is_trusted(&origin) => OriginCheck::Trusted {
                origin,
                raw: raw.trim().to_owned(),
            },
            _ => OriginCheck::Untrusted,
        }
    }

    /// Whether a browser token presented with this origin is accepted.
    pub fn allows_browser_token(&self) -> bool {
        !matches!(self, OriginCheck::Untrusted)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorsRequest {
    /// `OPTIONS` with `Access-Control-Request-Method`.
    Preflight,
    /// Anything else; `browser_token` when it carries `X-Deki-Token` with a
    /// browser token key.
    Actual { browser_token: bool },
}

pub type Headers = Vec<(&'static str, String)>;

/// What to answer. Every variant's headers include `Vary: Origin`, since
/// the answer depends on the origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsAnswer {
    /// Go on to the handler and add these headers to its response.
    Proceed(Headers),
    /// Answer the preflight at once: 204 with these headers.
    Preflight(Headers),
    /// 403 with a JSON error saying the origin is not trusted.
    OriginNotTrusted(Headers),
}

impl CorsAnswer {
    pub fn decide(check: &OriginCheck, request: CorsRequest) -> CorsAnswer {
        let mut headers: Headers = vec![("Vary", "Origin".to_owned())];
        match (check, request) {
            (OriginCheck::Trusted { raw, .. }, request) => {
                // Never `*`: credentials are allowed, so the origin is echoed.
                headers.push(("Access-Control-Allow-Origin", raw.clone()));
                headers.push(("Access-Control-Allow-Credentials", "true".to_owned()));
                if request == CorsRequest::Preflight {
                    headers.push(("Access-Control-Allow-Methods", ALLOW_METHODS.to_owned()));
                    headers.push(("Access-Control-Allow-Headers", ALLOW_HEADERS.to_owned()));
                    headers.push(("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_SECS.to_string()));
                    CorsAnswer::Preflight(headers)
                } else {
                    CorsAnswer::Proceed(headers)
                }
            }
            (OriginCheck::Untrusted, CorsRequest::Preflight)
            | (
                OriginCheck::Untrusted,
                CorsRequest::Actual {
                    browser_token: true,
                },
            ) => CorsAnswer::OriginNotTrusted(headers),
            (_, CorsRequest::Preflight) => CorsAnswer::Preflight(headers),
            // Without CORS headers the browser keeps the answer from a
            // foreign page; same-origin and non-browser callers need none.
            (_, CorsRequest::Actual { .. }) => CorsAnswer::Proceed(headers),
        }
    }

    pub fn headers(&self) -> &Headers {
        match self {
            CorsAnswer::Proceed(h) | CorsAnswer::Preflight(h) | CorsAnswer::OriginNotTrusted(h) => {
                h
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::browser::OriginPatterns;

    fn patterns(list: &str) -> OriginPatterns {
        OriginPatterns::parse(list).unwrap()
    }

    fn site() -> Origin {
        Origin::from_base_url("https://wiki.example.org/some/path").unwrap()
    }

    fn origin(raw: &str) -> Origin {
        Origin::parse(raw).unwrap()
    }

    #[test]
    fn origin_checks_tell_same_origin_trusted_untrusted_and_absent_apart() {
        let p = patterns("app.example.com");
        let trust = |o: &Origin| p.matches_origin(o);
        assert_eq!(
            OriginCheck::classify(None, &site(), trust),
            OriginCheck::Absent
        );
        assert_eq!(
            OriginCheck::classify(Some("https://wiki.example.org"), &site(), trust),
            OriginCheck::SameOrigin
        );
        assert_eq!(
            OriginCheck::classify(Some("https://app.example.com"), &site(), trust),
            OriginCheck::Trusted {
                origin: origin("https://app.example.com"),
                raw: "https://app.example.com".into()
            }
        );
        for raw in [
            "https://evil.example.com",
            "null",
            "https://app.example.com/",
        ] {
            let check = OriginCheck::classify(Some(raw), &site(), trust);
            assert_eq!(check, OriginCheck::Untrusted, "{raw}");
            assert!(!check.allows_browser_token());
        }
        assert!(OriginCheck::Absent.allows_browser_token());
        assert!(OriginCheck::SameOrigin.allows_browser_token());
    }

    fn header<'a>(answer: &'a CorsAnswer, name: &str) -> Option<&'a str> {
        answer
            .headers()
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn trusted() -> OriginCheck {
        OriginCheck::classify(Some("https://app.example.com"), &site(), |_| true)
    }

    #[test]
    fn a_trusted_preflight_is_answered_with_credentials_and_the_echoed_origin() {
        let answer = CorsAnswer::decide(&trusted(), CorsRequest::Preflight);
        assert!(matches!(answer, CorsAnswer::Preflight(_)));
        assert_eq!(
            header(&answer, "Access-Control-Allow-Origin"),
            Some("https://app.example.com")
        );
        assert_eq!(
            header(&answer, "Access-Control-Allow-Credentials"),
            Some("true")
        );
        assert_eq!(header(&answer, "Vary"), Some("Origin"));
        let allowed = header(&answer, "Access-Control-Allow-Headers").unwrap();
        for name in ["X-Deki-Token", "Authorization", "Content-Type"] {
            assert!(allowed.contains(name), "{name}");
        }
        assert!(
            header(&answer, "Access-Control-Allow-Methods")
                .unwrap()
                .contains("PUT")
        );
        assert_eq!(header(&answer, "Access-Control-Max-Age"), Some("600"));
    }

    #[test]
    fn a_trusted_request_proceeds_with_cors_headers() {
        let answer = CorsAnswer::decide(
            &trusted(),
            CorsRequest::Actual {
                browser_token: true,
            },
        );
        assert!(matches!(answer, CorsAnswer::Proceed(_)));
        assert_eq!(
            header(&answer, "Access-Control-Allow-Origin"),
            Some("https://app.example.com")
        );
        assert_eq!(
            header(&answer, "Access-Control-Allow-Credentials"),
            Some("true")
        );
        assert_eq!(header(&answer, "Access-Control-Allow-Methods"), None);
    }

    #[test]
    fn untrusted_origins_are_refused_for_preflight_and_browser_tokens() {
        let check = OriginCheck::Untrusted;
        for request in [
            CorsRequest::Preflight,
            CorsRequest::Actual {
                browser_token: true,
            },
        ] {
            let answer = CorsAnswer::decide(&check, request);
            assert!(
                matches!(answer, CorsAnswer::OriginNotTrusted(_)),
                "{request:?}"
            );
            assert_eq!(header(&answer, "Access-Control-Allow-Origin"), None);
            assert_eq!(header(&answer, "Vary"), Some("Origin"));
        }
        // Without a browser token the browser itself hides the answer.
        let plain = CorsAnswer::decide(
            &check,
            CorsRequest::Actual {
                browser_token: false,
            },
        );
        assert!(matches!(plain, CorsAnswer::Proceed(_)));
        assert_eq!(header(&plain, "Access-Control-Allow-Origin"), None);
    }

    #[test]
    fn same_origin_and_absent_origins_need_no_cors_headers() {
        for check in [OriginCheck::SameOrigin, OriginCheck::Absent] {
            let answer = CorsAnswer::decide(
                &check,
                CorsRequest::Actual {
                    browser_token: true,
                },
            );
            assert_eq!(answer, CorsAnswer::Proceed(vec![("Vary", "Origin".into())]));
        }
    }

    #[test]
    fn no_answer_ever_carries_a_wildcard_origin() {
        let checks = [
            OriginCheck::Absent,
            OriginCheck::SameOrigin,
            trusted(),
            OriginCheck::Untrusted,
        ];
        let requests = [
            CorsRequest::Preflight,
            CorsRequest::Actual {
                browser_token: true,
            },
            CorsRequest::Actual {
                browser_token: false,
            },
        ];
        for check in &checks {
            for request in requests {
                let answer = CorsAnswer::decide(check, request);
                assert_ne!(header(&answer, "Access-Control-Allow-Origin"), Some("*"));
            }
        }
    }
}
