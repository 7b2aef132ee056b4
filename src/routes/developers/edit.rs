use std::sync::Arc;

use crate::audit::Actor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::register::CredentialsPage;
use super::{ClientForm, FormView, check_scope_rights, developer, may_manage, shown_keys};
use crate::cache::CachedUser;
use crate::error::ApiError;
use crate::oauth::client_auth::ClientAuthMethod;
use crate::oauth::{Client, ClientError, ClientInputError};
use crate::routes::bodies::FormBody;
use crate::routes::browser_session::BrowserSession;
use crate::routes::pages::{Chrome, CsrfForm, html, see_other};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(edit_page)
        .service(update_app)
        .service(rotate_secret)
        .service(delete_app);
}

#[derive(Template)]
#[template(path = "developers/edit.html")]
struct EditPage {
    chrome: Chrome,
    client_id: String,
    form: FormView,
    /// The message key of a problem with the whole form.
    form_error: Option<&'static str>,
}

fn internal(e: ClientError) -> ApiError {
    ApiError::Internal(anyhow::anyhow!(e))
}

/// The app, if it exists on this site and the user may manage it; anything
/// else looks like a missing app.
async fn managed_app(
    state: &AppState,
    browser: &BrowserSession,
    user: &CachedUser,
    client_id: &str,
) -> Result<Arc<Client>, ApiError> {
    match state.oauth.clients.find(&browser.site, client_id).await? {
        Some(client) if may_manage(user, &client) => Ok(client),
        _ => Err(ApiError::NotFound(format!(
            "no app `{client_id}` of yours on this site"
        ))),
    }
}

fn render_edit(
    browser: &BrowserSession,
    status: StatusCode,
    client_id: String,
    form: FormView,
    form_error: Option<&'static str>,
) -> HttpResponse {
    let chrome = Chrome::new(browser);
    let mut response = html(
        status,
        &EditPage {
            chrome,
            client_id,
            form,
            form_error,
        },
    );
    browser.attach_csrf_cookie(&mut response);
    response
}

#[get("/developers/apps/{client_id}")]
async fn edit_page(
    state: web::Data<AppState>,
    browser: BrowserSession,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path.into_inner();
    let user = match developer(&browser, &format!("/developers/apps/{client_id}")) {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    let client = managed_app(&state, &browser, &user, &client_id).await?;
    let form = FormView::new(
        &ClientForm::from_client(&client),
        &user,
        None,
        browser.locale,
    );
    Ok(render_edit(&browser, StatusCode::OK, client_id, form, None))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/developers/apps/{client_id}")]
async fn update_app(
    state: web::Data<AppState>,
    browser: BrowserSession,
    path: web::Path<String>,
    body: FormBody,
) -> Result<HttpResponse, ApiError> {
    let client_id = path.into_inner();
    let user = match developer(&browser, "/developers") {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    let client = managed_app(&state, &browser, &user, &client_id).await?;
    let mut form = ClientForm::parse(&body);
    // The client type is fixed at registration.
    form.confidential = client.confidential;
    form.key_client = client.auth_method == ClientAuthMethod::PrivateKeyJwt;
    let again = |status, error: Option<&ClientInputError>, form_error| {
        let view = FormView::new(&form, &user, error, browser.locale);
        render_edit(&browser, status, client_id.clone(), view, form_error)
    };
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(again(
            StatusCode::FORBIDDEN,
            None,
            Some("error-form-expired"),
        ));
    }
    if let Err(e) = check_scope_rights(&form, &user) {
        return Ok(again(StatusCode::BAD_REQUEST, Some(&e), None));
    }
    let updated = match state
        .oauth
        .clients
        .update(
            &browser.site,
            &client_id,
            form.settings(),
            &Actor::User(user.id),
        )
        .await
    {
        Ok(updated) => updated,
        Err(ClientError::Input(e)) => return Ok(again(StatusCode::BAD_REQUEST, Some(&e), None)),
        Err(e) => return Err(internal(e)),
    };
    if form.key_client && form.public_key.trim() != shown_keys(&client) {
        let keys = match form.key_source() {
            Ok(keys) => keys,
            Err(e) => return Ok(again(StatusCode::BAD_REQUEST, Some(&e), None)),
        };
        match state
            .oauth
            .clients
            .set_keys(
                &browser.site,
                &client_id,
                Some(keys),
                client.auth_signing_alg.map(|a| format!("{a:?}")),
                &Actor::User(user.id),
            )
            .await
        {
            Ok(_) => {}
            Err(ClientError::Input(e)) => {
                return Ok(again(StatusCode::BAD_REQUEST, Some(&e), None));
            }
            Err(e) => return Err(internal(e)),
        }
    }
    match state
        .oauth
        .clients
        .set_logout(
            &browser.site,
            &client_id,
            &form.logout(),
            &Actor::User(user.id),
        )
        .await
    {
        Ok(_) => {}
        Err(ClientError::Input(e)) => return Ok(again(StatusCode::BAD_REQUEST, Some(&e), None)),
        Err(e) => return Err(internal(e)),
    }
    state
        .oauth
        .clients
        .set_dpop_required(
            &browser.site,
            &updated.client_id,
            form.dpop_required,
            &Actor::User(user.id),
        )
        .await
        .map_err(internal)?;
    Ok(see_other("/developers?notice=saved"))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/developers/apps/{client_id}/rotate-secret")]
async fn rotate_secret(
    state: web::Data<AppState>,
    browser: BrowserSession,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path.into_inner();
    let user = match developer(&browser, "/developers") {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    let client = managed_app(&state, &browser, &user, &client_id).await?;
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(see_other(&format!("/developers/apps/{client_id}")));
    }
    let secret = match state
        .oauth
        .clients
        .rotate_secret(&browser.site, &client_id, &Actor::User(user.id))
        .await
    {
        Ok(secret) => secret,
        // Apps with a key or no credential have no secret to rotate.
        Err(ClientError::KeyClient | ClientError::PublicClient) => {
            return Ok(see_other(&format!("/developers/apps/{client_id}")));
        }
        Err(e) => return Err(internal(e)),
    };
    let chrome = Chrome::new(&browser);
    Ok(html(
        StatusCode::OK,
        &CredentialsPage {
            chrome,
            heading: "dev-new-secret",
            name: client.name.clone(),
            client_id,
            client_secret: Some(secret.into_inner()),
        },
    ))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/developers/apps/{client_id}/delete")]
async fn delete_app(
    state: web::Data<AppState>,
    browser: BrowserSession,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path.into_inner();
    let user = match developer(&browser, "/developers") {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    managed_app(&state, &browser, &user, &client_id).await?;
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(see_other(&format!("/developers/apps/{client_id}")));
    }
    state
        .oauth
        .clients
        .delete(&browser.site, &client_id, &Actor::User(user.id))
        .await
        .map_err(internal)?;
    Ok(see_other("/developers?notice=deleted"))
}
