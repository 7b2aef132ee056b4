//! The authorization endpoint (RFC 6749 4.1.1, PKCE, RFC 9207 `iss`).
//!
//! Until the client and its redirect URI are known to be genuine, errors
//! are shown to the user (`ShowError`); after that they go back to the
//! client, in the response mode it asked for (`response.rs`: a redirect, a
//! form post, or a signed JARM response). Which parameters count — the
//! query's, a pushed request's or a request object's — is
//! `request_object::resolve_request`'s to say.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::authorization_parameters::MAX_NONCE_LEN;
pub(super) use super::authorization_parameters::{check_parameters, parse_max_age, parse_prompt};
use super::clients::Client;
use super::consent::ConsentToken;
use super::error::{OAuthError, OAuthResult};
use super::interaction::{self, Demand, LoginStep, Stop, authentication_claims};
use super::pkce::CodeChallenge;
use super::request_object::Source;
use super::resources::{self, ONE_RESOURCE, Resource};
use super::response::{ClientResponse, FormPost, ResponseMode};
use super::scopes::{Scope, ScopeSet};
use super::{CODE_TTL_SECS, OAuth, dpop, tokens};
use crate::cache::CachedUser;
use crate::sessions::Acr;
use crate::sites::Site;
use crate::store::{NewCode, PendingWrite};

/// The query of `GET /oauth/authorize`, as sent.
#[derive(Debug, Default, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthorizationRequest {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    /// RFC 9126: a pushed request (`par.rs`) stands for the parameters.
    pub request_uri: Option<String>,
    /// OpenID Connect: echoed in the ID token.
    pub nonce: Option<String>,
    /// RFC 9449 section 10: the thumbprint of the DPoP key the code's
    /// tokens must be bound to.
    pub dpop_jkt: Option<String>,
    /// RFC 8707: the one resource (audience) the code's tokens are for.
    pub resource: Option<String>,
    /// `resource` was given more than once (one audience per token), so
    /// the request is refused once its redirect URI is known to be genuine.
    #[serde(skip)]
    #[schema(ignore)]
    pub repeated_resource: bool,
    /// RFC 9101: the whole request as a JWS the client signed; only the
    /// parameters inside it count (`request_object.rs`).
    pub request: Option<String>,
    /// `query` (the default), `form_post`, or a JARM mode (`response.rs`).
    pub response_mode: Option<String>,
    /// OpenID Connect: sign in again when the last authentication is
    /// older than this many seconds. A number in a request object.
    #[serde(default, deserialize_with = "string_or_number")]
    pub max_age: Option<String>,
    /// OpenID Connect: the authentication context classes wished for, in
    /// order of preference (`sessions::Acr`).
    pub acr_values: Option<String>,
}

/// A parameter that is a string in a query and may be a JSON number in a
/// request object or a pushed request.
fn string_or_number<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(u64),
    }
    Ok(
        Option::<Raw>::deserialize(deserializer)?.map(|raw| match raw {
            Raw::Text(text) => text,
            Raw::Number(number) => number.to_string(),
        }),
    )
}

/// What the authorization endpoint decided.
#[derive(Debug)]
pub enum Authorize {
    /// Send the user to a sign-in step, then back to the same request.
    NeedsLogin(LoginStep),
    /// Ask the user.
    NeedsConsent(ConsentPage),
    /// Back to the client, with a code or an error.
    Redirect(String),
    /// Back to the client by a form the browser posts (form_post modes).
    FormPost(FormPost),
    /// The request cannot be trusted to redirect: tell the user.
    ShowError(UserFacingError),
}

/// What the consent screen shows, and the token its form carries.
#[derive(Debug)]
pub struct ConsentPage {
    pub client_name: String,
    pub client_id: String,
    pub homepage_url: Option<String>,
    /// The host of a metadata document client's URL: who is asking.
    pub document_host: Option<String>,
    pub scopes: Vec<ScopeLine>,
    pub consent_token: String,
}

#[derive(Debug)]
pub struct ScopeLine {
    pub name: &'static str,
    /// The message key of what the app will be able to do.
    pub description_key: &'static str,
}

/// What the authorization endpoint answers before it is delivered: a
/// page, or a response for the client in its response mode.
pub(super) enum Answer {
    Page(Authorize),
    Client(ClientResponse),
}

/// Errors shown on the error page, never redirected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UserFacingError {
    #[error("The application that sent you here is not registered on this site.")]
    UnknownClient,
    #[error(
        "The application sent you here with a return address it has not registered, so you were not sent back."
    )]
    InvalidRedirectUri,
    #[error(
        "This consent form expired or was changed. Go back to the application and start again."
    )]
    ConsentExpired,
    #[error("This form expired. Reload the page and try again.")]
    CsrfFailed,
    #[error(
        "This sign-in link was already used or has expired. Go back to the application and start again."
    )]
    InvalidRequestUri,
    #[error(
        "The application sent a signed request that could not be verified. Go back to the application and start again."
    )]
    InvalidRequestObject,
}

impl UserFacingError {
    /// The message key (`i18n`) of what the page says.
    pub fn message_key(self) -> &'static str {
        match self {
            UserFacingError::UnknownClient => "authorize-error-unknown-client",
            UserFacingError::InvalidRedirectUri => "authorize-error-redirect-uri",
            UserFacingError::ConsentExpired => "authorize-error-consent-expired",
            UserFacingError::CsrfFailed => "error-form-expired-reload",
            UserFacingError::InvalidRequestUri => "authorize-error-request-uri",
            UserFacingError::InvalidRequestObject => "authorize-error-request-object",
        }
    }

    /// A short code for the page and for tests.
    pub fn code(self) -> &'static str {
        match self {
            UserFacingError::UnknownClient => "unknown_client",
            UserFacingError::InvalidRedirectUri => "invalid_redirect_uri",
            UserFacingError::ConsentExpired => "consent_expired",
            UserFacingError::CsrfFailed => "csrf_failed",
            UserFacingError::InvalidRequestUri => "invalid_request",
            UserFacingError::InvalidRequestObject => "invalid_request_object",
        }
    }
}

/// A request whose client and redirect URI are genuine and whose every
/// parameter checked out: what a code will be bound to.
#[derive(Debug, Clone)]
pub struct ValidatedRequest {
    pub client: Arc<Client>,
    pub redirect_uri: String,
    pub scopes: ScopeSet,
    pub state: Option<String>,
    pub code_challenge: CodeChallenge,
    /// OpenID Connect: the request's nonce and when the user signed in.
    pub nonce: Option<String>,
    pub auth_time: Option<i64>,
    /// RFC 9449 section 10: the DPoP key the code is bound to.
    pub dpop_jkt: Option<String>,
    /// RFC 8707: the registered resource the code is for.
    pub resource: Option<String>,
    /// The sign-in session the request was approved in (`sid`).
    pub session_id: Option<i64>,
    pub response_mode: ResponseMode,
    /// OpenID Connect: how the user authenticated (RFC 8176 names,
    /// space-separated) and the class that makes.
    pub amr: Option<String>,
    pub acr: Option<String>,
}

impl OAuth {
    /// The one resource an authorization request names, registered and
    /// allowing every scope asked for (RFC 8707 section 2).
    pub(super) async fn check_resource(
        &self,
        site: &Site,
        request: &AuthorizationRequest,
        scopes: ScopeSet,
    ) -> OAuthResult<Option<Resource>> {
        if request.repeated_resource {
            return Err(OAuthError::InvalidTarget(ONE_RESOURCE));
        }
        let resource = self
            .resolve_resource(site, request.resource.as_deref())
            .await?;
        resources::check_scopes(resource.as_ref(), scopes)?;
        Ok(resource)
    }

    /// Validates the client and redirect URI; `Err` is what the user sees.
    pub(super) async fn genuine_client(
        &self,
        site: &Site,
        client_id: Option<&str>,
        redirect_uri: Option<&str>,
    ) -> OAuthResult<Result<(Arc<Client>, String), UserFacingError>> {
        let Some(client) = (match client_id {
            Some(id) => self.clients.find(site, id).await?,
            None => None,
        }) else {
            return Ok(Err(UserFacingError::UnknownClient));
        };
        let redirect_uri = match client.redirect_uri_for(redirect_uri) {
            Some(uri) => uri,
            None => return Ok(Err(UserFacingError::InvalidRedirectUri)),
        };
        Ok(Ok((client, redirect_uri)))
    }

    /// `GET /oauth/authorize` for a user who may or may not be signed in;
    /// `session_id` is their sign-in session's, `login_marker` what the
    /// request came back from a sign-in step with (`interaction.rs`).
    pub async fn authorize(
        &self,
        site: &Site,
        user: Option<&CachedUser>,
        session_id: Option<i64>,
        request: &AuthorizationRequest,
        login_marker: Option<&str>,
    ) -> OAuthResult<Authorize> {
        let returned_at =
            login_marker.and_then(|m| interaction::open_login_marker(site, m, self.clock.now()));
        match self
            .answer(site, user, session_id, request, returned_at)
            .await?
        {
            Answer::Page(page) => Ok(page),
            Answer::Client(response) => self.deliver(site, response).await,
        }
    }

    /// A login marker for a browser sent off to a sign-in step now.
    pub fn login_marker(&self, site: &Site) -> String {
        interaction::login_marker(site, self.clock.now())
    }

    async fn answer(
        &self,
        site: &Site,
        user: Option<&CachedUser>,
        session_id: Option<i64>,
        query: &AuthorizationRequest,
        returned_at: Option<i64>,
    ) -> OAuthResult<Answer> {
        // Read without spending a pushed request or a request object's jti:
        // the browser may yet be sent to sign in and come back with it.
        let (request, source) = match self.resolve_request(site, false, query).await? {
            Ok(resolved) => resolved,
            Err(answer) => return Ok(answer),
        };
        let request = &request;
        let (client, redirect_uri) = match self
            .genuine_client(
                site,
                request.client_id.as_deref(),
                request.redirect_uri.as_deref(),
            )
            .await?
        {
            Ok(found) => found,
            Err(shown) => return Ok(Answer::Page(Authorize::ShowError(shown))),
        };
        let state = request.state.as_deref();
        let refuse_in = |mode: ResponseMode, e: OAuthError| {
            Ok(Answer::Client(ClientResponse::error(
                &client.client_id,
                &redirect_uri,
                mode,
                state,
                &e,
            )))
        };
        let response_mode = match ResponseMode::parse(request.response_mode.as_deref()) {
            Ok(mode) => mode,
            Err(e) => return refuse_in(ResponseMode::Query, e),
        };
        let refuse = |e: OAuthError| refuse_in(response_mode, e);
        let prompt = match parse_prompt(request.prompt.as_deref()) {
            Ok(prompt) => prompt,
            Err(e) => return refuse(e),
        };
        if site.oauth.profile.is_fapi2() && source != Source::Pushed {
            return refuse(OAuthError::invalid_request(
                "this site follows the FAPI 2.0 Security Profile: push the authorization request first (RFC 9126) and send only its request_uri",
            ));
        }
        if source == Source::Query && Self::par_required(site, &client) {
            return refuse(OAuthError::invalid_request(
                "this client must push its authorization requests first (RFC 9126)",
            ));
        }
        if source == Source::Query && client.require_signed_request_object {
            return refuse(OAuthError::invalid_request(
                "this client must send its authorization requests as signed request objects (RFC 9101)",
            ));
        }
        let (scopes, code_challenge) = match check_parameters(&client, request) {
            Ok(checked) => checked,
            Err(e) => return refuse(e),
        };
        let resource = match self.check_resource(site, request, scopes).await {
            Ok(resource) => resource,
            Err(e @ OAuthError::ServerError(_)) => return Err(e),
            Err(e) => return refuse(e),
        };
        let max_age = match parse_max_age(request.max_age.as_deref()) {
            Ok(max_age) => max_age,
            Err(e) => return refuse(e),
        };
        let Some(user) = user else {
            return if prompt.none {
                refuse(OAuthError::LoginRequired)
            } else {
                Ok(Answer::Page(Authorize::NeedsLogin(LoginStep::SignIn)))
            };
        };
        let demand = Demand {
            prompt,
            max_age,
            acr: Acr::requested(request.acr_values.as_deref()),
        };
        let authentication = match self
            .check_sign_in(site, user.id, session_id, demand, returned_at)
            .await?
        {
            Ok(authentication) => authentication,
            Err(Stop::Step(step)) => return Ok(Answer::Page(Authorize::NeedsLogin(step))),
            Err(Stop::Refuse(e)) => return refuse(e),
        };
        // Going on: now a pushed request or a request object is spent.
        let request = &match source {
            Source::Query => request.clone(),
            _ => match self.resolve_request(site, true, query).await? {
                Ok((spent, _)) => spent,
                Err(answer) => return Ok(answer),
            },
        };
        let nonce = request.nonce.clone().filter(|n| !n.is_empty());
        if nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE_LEN) {
            return refuse(OAuthError::invalid_request("nonce is too long"));
        }
        let dpop_jkt = match request.dpop_jkt.as_deref().filter(|j| !j.is_empty()) {
            None => None,
            Some(jkt) if dpop::is_thumbprint(jkt) => Some(jkt.to_owned()),
            Some(_) => {
                return refuse(OAuthError::invalid_request(
                    "dpop_jkt must be a base64url SHA-256 JWK thumbprint",
                ));
            }
        };
        let claims = authentication_claims(scopes, Some(&authentication));
        let validated = ValidatedRequest {
            redirect_uri: redirect_uri.clone(),
            scopes,
            state: request.state.clone(),
            code_challenge,
            client: client.clone(),
            nonce,
            auth_time: claims.auth_time,
            dpop_jkt,
            resource: resource.map(|r| r.uri),
            session_id,
            response_mode,
            amr: claims.amr,
            acr: claims.acr,
        };
        let granted = self
            .granted_scopes(site, user.id, &validated.client)
            .await?;
        let remembered = granted.is_some_and(|g| scopes.is_subset_of(g));
        if remembered && !prompt.consent {
            return Ok(Answer::Client(
                self.issue_code(site, user.id, &validated).await?,
            ));
        }
        if prompt.none {
            return refuse(OAuthError::ConsentRequired);
        }
        let consent_token = ConsentToken::seal(site, user.id, &validated, self.clock.now());
        Ok(Answer::Page(Authorize::NeedsConsent(ConsentPage {
            client_name: validated.client.name.clone(),
            client_id: validated.client.client_id.clone(),
            homepage_url: validated.client.homepage_url.clone(),
            document_host: validated.client.document_host(),
            scopes: scopes
                .iter()
                .map(|s: Scope| ScopeLine {
                    name: s.as_str(),
                    description_key: s.description_key(),
                })
                .collect(),
            consent_token,
        })))
    }

    /// Stores a code bound to everything the request said, and returns the
    /// redirect that carries it.
    pub(crate) async fn issue_code(
        &self,
        site: &Site,
        user_id: i64,
        request: &ValidatedRequest,
    ) -> OAuthResult<ClientResponse> {
        let now = self.clock.now();
        let code = tokens::mint_code();
        let row = NewCode {
            site_id: site.id,
            code_hash: code.hash(),
            client_pk: request.client.pk,
            user_id,
            redirect_uri: request.redirect_uri.clone(),
            scopes: request.scopes.to_string(),
            code_challenge: request.code_challenge.as_str().to_string(),
            nonce: request.nonce.clone(),
            auth_time: request.auth_time,
            dpop_jkt: request.dpop_jkt.clone(),
            resource: request.resource.clone(),
            session_id: request.session_id,
            amr: request.amr.clone(),
            acr: request.acr.clone(),
            created_at: now,
            expires_at: now + CODE_TTL_SECS,
        };
        self.writer
            .write(PendingWrite::Code(Box::new(row.clone())))
            .await?;
        // Only once durable: a remembered code must also be in the database.
        self.issued_codes.remember(&row, now);
        Ok(ClientResponse {
            client_id: request.client.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            mode: request.response_mode,
            state: request.state.clone(),
            params: vec![("code", code.expose().to_owned())],
        })
    }
}
