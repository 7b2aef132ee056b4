//! The token-exchange branch of `POST /oauth/token` (RFC 8693): the issued
//! token is a sign-in session, so besides the JSON body the response sets
//! the `authtoken` cookie, for a browser that called the endpoint itself.

use actix_web::{HttpRequest, HttpResponse};

use super::{authorization, limit_anonymous, no_store};
use crate::oauth::OAuthError;
use crate::oauth::grants::TokenRequest;
use crate::ratelimit::Endpoint;
use crate::routes::extract::client_info;
use crate::routes::pages::authtoken_cookie;
use crate::sites::Site;
use crate::state::AppState;

pub(super) async fn respond(
    req: &HttpRequest,
    state: &AppState,
    site: &Site,
    form: &TokenRequest,
) -> Result<HttpResponse, OAuthError> {
    let secret = form
        .client_secret
        .as_deref()
        .or(form.client_assertion.as_deref());
    limit_anonymous(req, state, site, Endpoint::Exchange, secret).await?;
    let exchanged = state
        .token_exchange
        .exchange(site, authorization(req), form, client_info(req))
        .await?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    response.cookie(authtoken_cookie(
        site,
        exchanged.authtoken,
        exchanged.expires_in,
    ));
    Ok(response.json(exchanged.response))
}
