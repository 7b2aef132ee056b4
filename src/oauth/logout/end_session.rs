//! OpenID Connect RP-Initiated Logout 1.0: the `end_session_endpoint`.
//!
//! A request may name its client by an `id_token_hint` (an ID token this
//! site signed, expired or not) or `client_id`; a
//! `post_logout_redirect_uri` must be one the client registered, exactly,
//! or the request is refused on a page (never redirected). The session
//! ends at once only when the hint names the signed-in user; otherwise the
//! user confirms first, on a page whose form is bound to their session.

use std::sync::Arc;

use serde::Deserialize;
use url::Url;

use crate::oauth::OAuth;
use crate::oauth::clients::Client;
use crate::oauth::error::OAuthError;
use crate::sites::Site;

/// The parameters of a logout request (query or form).
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
pub struct EndSessionRequest {
    /// An ID token this site issued to the client (its expiry may be past).
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    /// Where to send the browser afterwards; registered exactly.
    pub post_logout_redirect_uri: Option<String>,
    /// Returned unchanged with the redirect.
    pub state: Option<String>,
}

/// What to do with a logout request.
#[derive(Debug)]
pub enum EndSession {
    /// End the browser's session (if any), then send it to `redirect` or
    /// show the signed-out page.
    SignOut { redirect: Option<String> },
    /// Ask the signed-in user first.
    Confirm(LogoutConfirmation),
}

/// What the confirmation page shows and its form carries back.
#[derive(Debug, Clone, Default)]
pub struct LogoutConfirmation {
    pub client_name: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

/// Why a logout request is refused (shown on the error page).
#[derive(Debug, thiserror::Error)]
pub enum EndSessionError {
    #[error("The id_token_hint is not an ID token this site issued.")]
    InvalidHint,
    #[error("The id_token_hint was issued to another client than client_id names.")]
    ClientMismatch,
    #[error("No such application on this site.")]
    UnknownClient,
    #[error("A post_logout_redirect_uri needs the client: send id_token_hint or client_id.")]
    RedirectWithoutClient,
    #[error("The post_logout_redirect_uri is not registered for this application.")]
    UnregisteredRedirect,
    #[error(transparent)]
    Internal(#[from] OAuthError),
}

impl EndSessionError {
    /// The message key (`i18n`) of what the error page says.
    pub fn message_key(&self) -> &'static str {
        match self {
            EndSessionError::InvalidHint => "logout-error-invalid-hint",
            EndSessionError::ClientMismatch => "logout-error-client-mismatch",
            EndSessionError::UnknownClient => "logout-error-unknown-client",
            EndSessionError::RedirectWithoutClient => "logout-error-redirect-without-client",
            EndSessionError::UnregisteredRedirect => "logout-error-unregistered-redirect",
            EndSessionError::Internal(_) => "error-server",
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            EndSessionError::Internal(_) => "server_error",
            _ => "invalid_request",
        }
    }
}

/// The claims of an `id_token_hint` that matter here.
#[derive(Deserialize)]
struct HintClaims {
    sub: String,
    aud: String,
}

/// Longest `state` echoed back; a longer one is cut off from the request.
const MAX_STATE_LEN: usize = 512;

impl OAuth {
    /// Decides a logout request from the browser of `signed_in` (a user id).
    pub async fn end_session(
        &self,
        site: &Site,
        request: &EndSessionRequest,
        signed_in: Option<i64>,
    ) -> Result<EndSession, EndSessionError> {
        let hint = match request.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
            None => None,
            Some(token) => Some(
                self.signing
                    .verify_even_expired::<HintClaims>(site, "JWT", token)
                    .await
                    .map_err(|e| OAuthError::ServerError(e.into()))?
                    .ok_or(EndSessionError::InvalidHint)?,
            ),
        };
        let named = request.client_id.as_deref().filter(|c| !c.is_empty());
        let client_id = match (&hint, named) {
            (Some(hint), Some(named)) if hint.aud != named => {
                return Err(EndSessionError::ClientMismatch);
            }
            (Some(hint), _) => Some(hint.aud.as_str()),
            (None, named) => named,
        };
        let client = self.logout_client(site, client_id).await?;
        let redirect = post_logout_redirect(
            client.as_deref(),
            request.post_logout_redirect_uri.as_deref(),
            request.state.as_deref(),
        )?;
        let Some(user_id) = signed_in else {
            return Ok(EndSession::SignOut { redirect });
        };
        if hint.is_some_and(|h| h.sub == user_id.to_string()) {
            return Ok(EndSession::SignOut { redirect });
        }
        Ok(EndSession::Confirm(LogoutConfirmation {
            client_name: client.as_ref().map(|c| c.name.clone()),
            client_id: client.as_ref().map(|c| c.client_id.clone()),
            post_logout_redirect_uri: request
                .post_logout_redirect_uri
                .clone()
                .filter(|_| redirect.is_some()),
            state: request
                .state
                .clone()
                .filter(|s| s.len() <= MAX_STATE_LEN && redirect.is_some()),
        }))
    }

    /// The confirmation form came back (its CSRF token checked): where to
    /// go once the session has ended, checked again.
    pub async fn confirm_end_session(
        &self,
        site: &Site,
        confirmed: &LogoutConfirmation,
    ) -> Result<Option<String>, EndSessionError> {
        let client_id = confirmed.client_id.as_deref().filter(|c| !c.is_empty());
        let client = self.logout_client(site, client_id).await?;
        post_logout_redirect(
            client.as_deref(),
            confirmed.post_logout_redirect_uri.as_deref(),
            confirmed.state.as_deref(),
        )
    }

    async fn logout_client(
        &self,
        site: &Site,
        client_id: Option<&str>,
    ) -> Result<Option<Arc<Client>>, EndSessionError> {
        let Some(client_id) = client_id else {
            return Ok(None);
        };
        self.clients
            .find(site, client_id)
            .await
            .map_err(|e| OAuthError::ServerError(e.into()))?
            .map(Some)
            .ok_or(EndSessionError::UnknownClient)
    }
}

/// The registered post-logout URI with `state` added, or `None` when none
/// was asked for.
fn post_logout_redirect(
    client: Option<&Client>,
    presented: Option<&str>,
    state: Option<&str>,
) -> Result<Option<String>, EndSessionError> {
    let Some(presented) = presented.filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let client = client.ok_or(EndSessionError::RedirectWithoutClient)?;
    if !client.allows_post_logout_redirect(presented) {
        return Err(EndSessionError::UnregisteredRedirect);
    }
    let mut url = Url::parse(presented).map_err(|_| EndSessionError::UnregisteredRedirect)?;
    if let Some(state) = state.filter(|s| !s.is_empty() && s.len() <= MAX_STATE_LEN) {
        url.query_pairs_mut().append_pair("state", state);
    }
    Ok(Some(url.to_string()))
}
