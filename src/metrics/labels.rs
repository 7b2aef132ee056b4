//! Label values, each from a small fixed set, so the number of series stays
//! bounded whatever clients send. All are `&'static str`: recording never
//! formats a label.

use actix_web::http::{Method, StatusCode};

/// The request methods that get their own label; anything else is `OTHER`.
pub const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "OTHER",
];

/// An index into [`METHODS`].
pub fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::PATCH => 3,
        Method::DELETE => 4,
        Method::HEAD => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

pub const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// An index into [`STATUS_CLASSES`]; anything out of range counts as 5xx.
pub fn status_class_index(status: StatusCode) -> usize {
    match status.as_u16() / 100 {
        1 => 0,
        2 => 1,
        3 => 2,
        4 => 3,
        _ => 4,
    }
}

/// The `route` label of a request no resource matched (404s, probes).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The `grant_type` label of an issued token: the grant types Tessera
/// serves, by their short names.
pub fn grant_type(raw: Option<&str>) -> &'static str {
    match raw {
        Some("authorization_code") => "authorization_code",
        Some("refresh_token") => "refresh_token",
        Some("client_credentials") => "client_credentials",
        Some("urn:ietf:params:oauth:grant-type:device_code") => "device_code",
        Some("urn:ietf:params:oauth:grant-type:token-exchange") => "token_exchange",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(METHODS[method_index(&Method::POST)], "POST");
        let odd = Method::from_bytes(b"PROPFIND").unwrap();
        assert_eq!(METHODS[method_index(&odd)], "OTHER");
    }

    #[test]
    fn statuses_map_to_their_class() {
        let class =
            |code: u16| STATUS_CLASSES[status_class_index(StatusCode::from_u16(code).unwrap())];
        assert_eq!(class(101), "1xx");
        assert_eq!(class(200), "2xx");
        assert_eq!(class(303), "3xx");
        assert_eq!(class(429), "4xx");
        assert_eq!(class(503), "5xx");
        assert_eq!(class(999), "5xx");
    }

    #[test]
    fn grant_types_use_short_names_and_unknown_ones_one_label() {
        assert_eq!(grant_type(Some("client_credentials")), "client_credentials");
        assert_eq!(
            grant_type(Some("urn:ietf:params:oauth:grant-type:device_code")),
            "device_code"
        );
        assert_eq!(
            grant_type(Some("urn:ietf:params:oauth:grant-type:token-exchange")),
            "token_exchange"
        );
        assert_eq!(grant_type(Some("password")), "other");
        assert_eq!(grant_type(None), "other");
    }
}
