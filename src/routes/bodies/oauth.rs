//! Bodies of the OAuth endpoints. Anything that cannot be read is
//! `invalid_request` as OAuth JSON with `Cache-Control: no-store`, through
//! `OAuthError`'s one response mapping.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

use super::{FORM_URLENCODED, JSON, OAUTH_FORM_LIMIT, Unread, precheck, read_limited, shown};
use crate::oauth::OAuthError;

/// An `application/x-www-form-urlencoded` body (RFC 6749 appendix B), read
/// strictly: UTF-8 only, every `%` a valid escape, and no parameter twice
/// (RFC 6749 3.1 and 3.2: "parameters MUST NOT be included more than once").
pub struct OAuthForm<T, const LIMIT: usize = OAUTH_FORM_LIMIT>(pub T);

impl<T, const LIMIT: usize> Deref for OAuthForm<T, LIMIT> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for OAuthForm<T, LIMIT> {
    type Error = OAuthError;
    type Future = LocalBoxFuture<'static, Result<Self, OAuthError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = precheck(req, FORM_URLENCODED, LIMIT);
        let payload = payload.take();
        Box::pin(async move {
            let body = match checked {
                Ok(()) => read_limited(payload, LIMIT).await,
                Err(unread) => Err(unread),
            }
            .map_err(|unread| refused(&unread, FORM_URLENCODED))?;
            parse_form(&body).map(OAuthForm)
        })
    }
}

/// A JSON body (client metadata, RFC 7591 3.1), handed over as bytes: what
/// it says is the endpoint's to judge (`invalid_client_metadata`).
pub struct JsonBody<const LIMIT: usize>(pub Bytes);

impl<const LIMIT: usize> Deref for JsonBody<LIMIT> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl<const LIMIT: usize> FromRequest for JsonBody<LIMIT> {
    type Error = OAuthError;
    type Future = LocalBoxFuture<'static, Result<Self, OAuthError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = precheck(req, JSON, LIMIT);
        let payload = payload.take();
        Box::pin(async move {
            let body = match checked {
                Ok(()) => read_limited(payload, LIMIT).await,
                Err(unread) => Err(unread),
            }
            .map_err(|unread| refused(&unread, JSON))?;
            Ok(JsonBody(body))
        })
    }
}

fn refused(unread: &Unread, wanted: &str) -> OAuthError {
    OAuthError::invalid_request(unread.description(wanted))
}

fn parse_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, OAuthError> {
    // RFC 8707 section 2: a token has one audience here, so a second
    // `resource` is `invalid_target`, not just a repeated parameter.
    let resources = url::form_urlencoded::parse(body)
        .filter(|(name, _)| name == "resource")
        .count();
    if resources > 1 {
        return Err(OAuthError::InvalidTarget(
            crate::oauth::resources::ONE_RESOURCE,
        ));
    }
    check_parameters(body).map_err(OAuthError::invalid_request)?;
    // Checked above, serde_urlencoded's lenient decoding reads the same
    // parameters; what it still refuses is a value of the wrong type.
    serde_urlencoded::from_bytes(body).map_err(|e| {
        OAuthError::invalid_request(format!("the request body is not a valid form: {e}"))
    })
}

/// Every parameter decodes to UTF-8 and none is there twice; the error is
/// the `error_description`. Public for the fuzz target of form bodies.
pub fn check_parameters(body: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|_| "the request body is not UTF-8")?;
    let mut seen = HashSet::new();
    for pair in text.split('&').filter(|pair| !pair.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(raw_name)
            .ok_or("a parameter name is not valid percent-encoded UTF-8".to_string())?;
        if decode(raw_value).is_none() {
            return Err(format!(
                "the `{}` parameter is not valid percent-encoded UTF-8",
                shown(&name)
            ));
        }
        if seen.contains(&name) {
            return Err(format!(
                "the `{}` parameter is included more than once",
                shown(&name)
            ));
        }
        seen.insert(name);
    }
    Ok(())
}

/// A name or value decoded as a browser encodes it (`+` is a space), or
/// `None` for a stray `%` or bytes that are not UTF-8.
fn decode(raw: &str) -> Option<Cow<'_, str>> {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let escape = bytes.get(i + 1..i + 3)?;
            if !escape.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    if raw.contains('+') {
        let spaced = raw.replace('+', " ");
        let decoded = percent_decode_str(&spaced).decode_utf8().ok()?;
        Some(Cow::Owned(decoded.into_owned()))
    } else {
        percent_decode_str(raw).decode_utf8().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_form_passes() {
        assert!(check_parameters(b"grant_type=client_credentials&scope=a+b%20c").is_ok());
        assert!(check_parameters(b"").is_ok());
        assert!(check_parameters(b"a=&&b").is_ok());
    }

    #[test]
    fn a_repeated_parameter_is_named() {
        let error = check_parameters(b"grant_type=a&scope=x&grant_type=b").unwrap_err();
        assert!(error.contains("`grant_type`"), "{error}");
    }

    #[test]
    fn names_are_compared_decoded() {
        let error = check_parameters(b"client+id=a&client%20id=b").unwrap_err();
        assert!(error.contains("`client id`"), "{error}");
    }

    #[test]
    fn bad_escapes_and_bytes_are_refused() {
        for body in [
            &b"code=%zz"[..],
            b"code=%4",
            b"code=%",
            b"code=%FF",
            b"co%C3de=1",
            b"code=\xff",
        ] {
            assert!(check_parameters(body).is_err(), "{body:?}");
        }
    }
}
