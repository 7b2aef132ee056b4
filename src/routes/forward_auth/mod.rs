//! `GET /auth/verify`: one decision point for reverse proxies (nginx
//! `auth_request`, Traefik `forwardAuth`, Envoy `ext_authz`). It judges the
//! credentials of the original request, forwarded by the proxy, for the site
//! named by `X-Forwarded-Host` (else `Host`).

mod answers;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};

use self::answers::HeaderLines;
use super::ApiConfig;
use super::extract::{header_value, presented};
use crate::error::{ApiError, ApiErrorBody};
use crate::state::AppState;
use crate::tokens::{self, ApiCaller, CredentialKind, Presented, Recognised};
use crate::users::Permission;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(verify);
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct VerifyQuery {
    /// A permission the caller must hold, e.g. `content:write`.
    require: Option<String>,
}

// The request headers a proxy forwards, named once (see `extract`).
const FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// The original path and query: Traefik, then nginx.
const FORWARDED_URI: [HeaderName; 2] = [
    HeaderName::from_static("x-forwarded-uri"),
    HeaderName::from_static("x-original-uri"),
];
/// The original method: Traefik, then nginx.
const FORWARDED_METHOD: [HeaderName; 2] = [
    HeaderName::from_static("x-forwarded-method"),
    HeaderName::from_static("x-original-method"),
];

/// The host the proxy says the original request was for.
fn forwarded_host(req: &HttpRequest) -> &str {
    let forwarded = header_value(req, &FORWARDED_HOST)
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    forwarded
        .or_else(|| super::extract::request_host(req))
        .unwrap_or_default()
}

/// The first of these headers the proxy sent.
fn forwarded<'a>(req: &'a HttpRequest, names: &[HeaderName; 2]) -> Option<&'a str> {
    names.iter().find_map(|name| header_value(req, name))
}

/// The query string of an original request's URI.
fn query_of(uri: &str) -> Option<&str> {
    uri.split_once('?')
        .map(|(_, query)| query.split('#').next().unwrap_or(query))
        .filter(|query| !query.is_empty())
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// The JSON form of an allowed caller (`Accept: application/json`).
#[derive(Serialize, utoipa::ToSchema)]
struct Verdict<'a> {
    /// The site's slug.
    site: &'a str,
    user: Option<VerdictUser<'a>>,
    /// The OAuth client, for OAuth tokens.
    client_id: Option<&'a str>,
    /// `authtoken`, `oauth`, `browser`, `server` or `legacy`.
    credential: &'static str,
    permissions: Vec<&'static str>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct VerdictUser<'a> {
    id: i64,
    username: &'a str,
}

/// Why the caller does not pass.
enum Refusal {
    NotSignedIn,
    Forbidden(&'static str),
}

fn judge(caller: &ApiCaller, required: Option<Permission>) -> Result<(), Refusal> {
    // The legacy site API key acts as the site's admin without a user.
    let identified = caller.user.is_some()
        || caller.client_id.is_some()
        || caller.credential == CredentialKind::Legacy;
    if !identified {
        return Err(Refusal::NotSignedIn);
    }
    match required {
        Some(permission) if !caller.can(permission) => Err(Refusal::Forbidden(permission.as_str())),
        _ => Ok(()),
    }
}

/// Forward-auth decision
///
/// Judges the credentials of the original request (cookie,
/// `X-Deki-Token`, `Authorization`, legacy key) for the site named by
/// `X-Forwarded-Host` (else `Host`).
#[utoipa::path(
    tag = "forward-auth",
    params(
        VerifyQuery,
        ("X-Forwarded-Host" = Option<String>, Header, description = "The host of the original request; else `Host`"),
        ("X-Forwarded-Uri" = Option<String>, Header, description = "The original path and query (Traefik; nginx: `X-Original-URI`), for DPoP proofs and a legacy `apikey`"),
        ("X-Forwarded-Method" = Option<String>, Header, description = "The original method (nginx: `X-Original-Method`), for DPoP proofs"),
    ),
    security(
        ("bearer" = []),
        ("dpop" = []),
        ("authtoken_cookie" = []),
        ("browser_token" = []),
        ("server_token" = []),
        ("legacy_api_key" = []),
    ),
    responses(
        (status = 200, description = "Allowed. Headers `X-Tessera-Site`, `X-Tessera-User` (percent-encoded), `X-Tessera-User-Id`, `X-Tessera-Client`, `X-Tessera-Credential`, `X-Tessera-Permissions` (space-separated) name the caller; with `Accept: application/json` the body says the same", body = Verdict),
        (status = 400, description = "`invalid_request`: `require` is not a permission", body = ApiErrorBody),
        (status = 401, description = "`unauthorized`: no credential, or one that does not check out", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: the caller lacks the required permission, or no site is served at the forwarded host; `origin_not_trusted`", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all)]
// Named after its pattern: the metrics route label, borrowed (metrics/http.rs).
#[get("/auth/verify", name = "/auth/verify")]
async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<VerifyQuery>,
) -> Result<HttpResponse, ApiError> {
    let required = match query.require.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(Permission::parse(raw).ok_or_else(|| ApiError::BadRequest {
            code: "invalid_request",
            message: format!("`{raw}` is not a permission"),
        })?),
    };
    let host = forwarded_host(&req);
    let site = state
        .sites
        .resolve(host)
        .await?
        .ok_or_else(|| ApiError::Forbidden(format!("no site is served at `{host}`")))?;
    let credentials = original_credentials(&req);
    let json = wants_json(&req);
    let now = state.now();
    let reusable = tokens::reusable_credential(&credentials);
    if let Some(credential) = reusable
        && let Some(answer) = answers::recall(&state, &site, credential, now, |caller, lines| {
            decide(caller, lines, required, json)
        })
    {
        return answer;
    }
    // Boxed: recognising may wait on the store, and its state, kept apart,
    // does not make every remembered answer's future larger.
    let recognising = Box::pin(tokens::recognise_reusable(&state, site, credentials));
    let Recognised { caller, reuse } = recognising.await?;
    match (reusable, reuse) {
        (Some(credential), Some(reuse)) => {
            let lines = answer_lines(&caller, answers::thread_owned);
            let answer = decide(&caller, &lines, required, json);
            answers::remember(credential, caller, reuse, lines, now);
            answer
        }
        _ => decide(
            &caller,
            &answer_lines(&caller, HeaderValue::clone),
            required,
            json,
        ),
    }
}

/// The credentials of the original request. The legacy `apikey` travels in
/// its query string; a DPoP proof names its method and path.
fn original_credentials(req: &HttpRequest) -> Presented<'_> {
    let mut credentials = presented(req);
    let uri = forwarded(req, &FORWARDED_URI);
    credentials.query = uri.and_then(query_of);
    if let Some(method) = forwarded(req, &FORWARDED_METHOD) {
        credentials.method = method;
    }
    if let Some(uri) = uri {
        credentials.path = uri.split(['?', '#']).next().unwrap_or(uri);
    }
    credentials
}

/// The answer about a recognised caller: the 200 with `lines`, or why not.
fn decide(
    caller: &ApiCaller,
    lines: &HeaderLines,
    required: Option<Permission>,
    json: bool,
) -> Result<HttpResponse, ApiError> {
    match judge(caller, required) {
        Err(Refusal::NotSignedIn) => Err(ApiError::Unauthorized("sign in to reach this resource")),
        Err(Refusal::Forbidden(permission)) => Err(ApiError::Forbidden(format!(
            "the caller lacks the `{permission}` permission"
        ))),
        Ok(()) => Ok(allowed(caller, lines, json)),
    }
}

// The answer's header names, parsed once rather than per response.
const SITE: HeaderName = HeaderName::from_static("x-tessera-site");
const CREDENTIAL: HeaderName = HeaderName::from_static("x-tessera-credential");
const PERMISSIONS: HeaderName = HeaderName::from_static("x-tessera-permissions");
const USER: HeaderName = HeaderName::from_static("x-tessera-user");
const USER_ID: HeaderName = HeaderName::from_static("x-tessera-user-id");
const CLIENT: HeaderName = HeaderName::from_static("x-tessera-client");

/// The 200's header lines that name the caller. Every value is static or
/// was built once (the site's slug, the cached user's percent-encoded name
/// and id), but the client id; `value` takes those built ones as they are,
/// or copies them (`answers::thread_owned`).
fn answer_lines(caller: &ApiCaller, value: fn(&HeaderValue) -> HeaderValue) -> HeaderLines {
    let mut lines = Vec::with_capacity(7);
    lines.push((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    lines.push((SITE, value(&caller.site.slug_header)));
    lines.push((
        CREDENTIAL,
        HeaderValue::from_static(caller.credential.as_str()),
    ));
    lines.push((
        PERMISSIONS,
        HeaderValue::from_static(caller.permissions.spaced()),
    ));
    if let Some(user) = &caller.user {
        lines.push((USER, value(&user.username_header)));
        lines.push((USER_ID, value(&user.id_header)));
    }
    if let Some(client) = caller
        .client_id
        .as_deref()
        .and_then(|id| HeaderValue::from_str(id).ok())
    {
        lines.push((CLIENT, client));
    }
    lines
}

/// The 200, with `lines` and, for `Accept: application/json`, the same in
/// the body.
fn allowed(caller: &ApiCaller, lines: &HeaderLines, json: bool) -> HttpResponse {
    let mut response = if json {
        HttpResponse::Ok().json(Verdict {
            site: &caller.site.slug,
            user: caller.user.as_ref().map(|u| VerdictUser {
                id: u.id,
                username: &u.username,
            }),
            client_id: caller.client_id.as_deref(),
            credential: caller.credential.as_str(),
            permissions: caller.permissions.names(),
        })
    } else {
        HttpResponse::Ok().finish()
    };
    let headers = response.headers_mut();
    for (name, value) in lines {
        headers.insert(name.clone(), value.clone());
    }
    response
}
