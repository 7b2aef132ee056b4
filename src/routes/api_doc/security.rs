//! The security schemes of the description: one per way a caller proves
//! who it is. Operations name them in `#[utoipa::path(security(...))]`:
//!
//! | name | what |
//! |---|---|
//! | `bearer` | `Authorization: Bearer`: an OAuth access token (`tat_…`) or an authtoken |
//! | `dpop` | a DPoP-bound access token (`Authorization: DPoP …`) with its proof (RFC 9449) |
//! | `authtoken_cookie` | the `authtoken` cookie of a signed-in browser |
//! | `browser_token` | `X-Deki-Token: <browser token key>` from a trusted `Origin` |
//! | `server_token` | `X-Deki-Token: tkn_{key}_{epoch}_{user}_{sig}` (HMAC-signed) |
//! | `legacy_api_key` | the site's legacy key in `X-Deki-ApiKey` (off unless enabled) |
//! | `client_basic` | OAuth client authentication, `client_secret_basic` |
//! | `registration_token` | an initial access token or a registration access token (RFC 7591/7592) |
//!
//! An empty requirement (`()`) in an operation's list means it may also be
//! called without any of them (anonymous, or a client id in the form).

use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

pub struct SecuritySchemes;

fn http(scheme: HttpAuthScheme, description: &str) -> SecurityScheme {
    SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(scheme)
            .description(Some(description))
            .build(),
    )
}

fn header(name: &str, description: &str) -> SecurityScheme {
    SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
        name,
        description,
    )))
}

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let schemes = [
            (
                "bearer",
                http(
                    HttpAuthScheme::Bearer,
                    "An OAuth access token (`tat_…`, or a JWT access token for clients that \
                     opted in) or an authtoken (`tas_…`) as `Authorization: Bearer <token>`.",
                ),
            ),
            (
                "dpop",
                header(
                    "DPoP",
                    "RFC 9449: a DPoP proof JWT for this request's method and URL, sent with a \
                     DPoP-bound access token as `Authorization: DPoP <token>`. At the token \
                     endpoint a proof binds the issued tokens to its key. A server that wants \
                     a nonce answers `use_dpop_nonce` with a `DPoP-Nonce` header.",
                ),
            ),
            (
                "authtoken_cookie",
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                    "authtoken",
                    "The session cookie set by sign-in at `/login`, token exchange or a sign-in link.",
                ))),
            ),
            (
                "browser_token",
                header(
                    "X-Deki-Token",
                    "A browser API token's key, accepted only from an `Origin` its patterns \
                     trust (or same-origin). It carries no permissions: the caller is the user \
                     of the `authtoken` cookie sent along, or anonymous.",
                ),
            ),
            (
                "server_token",
                header(
                    "X-Deki-Token",
                    "A signed server token `tkn_{key}_{epoch}_{user}_{sig}`, `sig` = \
                     hex(HMAC-SHA256(secret, \"{key}_{epoch}_{user}\")), valid 300 s either side \
                     of the server clock; acts as the named user (`id` or `=username`).",
                ),
            ),
            (
                "legacy_api_key",
                header(
                    "X-Deki-ApiKey",
                    "The site's legacy API key (also `?apikey=`), admin rights, \
                     `impersonateuserid=<id>` to act as a user. Off unless an admin enables it.",
                ),
            ),
            (
                "client_basic",
                http(
                    HttpAuthScheme::Basic,
                    "OAuth client authentication `client_secret_basic`: the client id and \
                     secret, form-encoded, as HTTP Basic credentials. `client_secret_post` sends \
                     `client_id` and `client_secret` in the form instead; public clients send \
                     only `client_id`.",
                ),
            ),
            (
                "registration_token",
                http(
                    HttpAuthScheme::Bearer,
                    "RFC 7591 initial access token (when the site's policy asks for one), or \
                     the RFC 7592 registration access token returned at registration.",
                ),
            ),
        ];
        for (name, scheme) in schemes {
            components.add_security_scheme(name, scheme);
        }
    }
}
