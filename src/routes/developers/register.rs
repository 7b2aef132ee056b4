use crate::audit::Actor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::{ClientForm, FormView, check_scope_rights, developer};
use crate::error::ApiError;
use crate::oauth::logout::check_logout;
use crate::oauth::{ClientError, ClientInputError};
use crate::routes::bodies::FormBody;
use crate::routes::browser_session::BrowserSession;
use crate::routes::pages::{Chrome, html};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(new_app_page).service(register_app);
}

#[derive(Template)]
#[template(path = "developers/new.html")]
struct NewAppPage {
    chrome: Chrome,
    form: FormView,
    /// The message key of a problem with the whole form.
    form_error: Option<&'static str>,
}

/// Shown once, right after registration or a secret rotation.
#[derive(Template)]
#[template(path = "developers/credentials.html")]
pub(super) struct CredentialsPage {
    pub chrome: Chrome,
    pub heading: &'static str,
    pub name: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

#[get("/developers/new")]
async fn new_app_page(browser: BrowserSession) -> HttpResponse {
    let user = match developer(&browser, "/developers/new") {
        Ok(user) => user,
        Err(elsewhere) => return elsewhere.response(),
    };
    let chrome = Chrome::new(&browser);
    let form = FormView::new(&ClientForm::new_app(), &user, None, browser.locale);
    let mut response = html(
        StatusCode::OK,
        &NewAppPage {
            chrome,
            form,
            form_error: None,
        },
    );
    browser.attach_csrf_cookie(&mut response);
    response
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/developers/new")]
async fn register_app(
    state: web::Data<AppState>,
    browser: BrowserSession,
    body: FormBody,
) -> Result<HttpResponse, ApiError> {
    let user = match developer(&browser, "/developers/new") {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    let form = ClientForm::parse(&body);
    let chrome = Chrome::new(&browser);
    let again = |status, error: Option<&ClientInputError>, form_error| {
        let view = FormView::new(&form, &user, error, browser.locale);
        html(
            status,
            &NewAppPage {
                chrome,
                form: view,
                form_error,
            },
        )
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
    let auth = match form.auth() {
        Ok(auth) => auth,
        Err(e) => return Ok(again(StatusCode::BAD_REQUEST, Some(&e), None)),
    };
    // Checked before the app exists, so a refusal leaves nothing behind.
    let logout = form.logout();
    if let Err(e) = check_logout(&logout, state.oauth.clients.outbound_policy) {
        return Ok(again(StatusCode::BAD_REQUEST, Some(&e), None));
    }
    let registered = state
        .oauth
        .clients
        .register_with(
            &browser.site,
            form.settings(),
            &auth,
            Some(user.id),
            &Actor::User(user.id),
        )
        .await;
    let registered = match registered {
        Ok(registered) => registered,
        Err(ClientError::Input(e)) => return Ok(again(StatusCode::BAD_REQUEST, Some(&e), None)),
        Err(e) => return Err(ApiError::Internal(anyhow::anyhow!(e))),
    };
    if form.dpop_required {
        state
            .oauth
            .clients
            .set_dpop_required(
                &browser.site,
                &registered.client.client_id,
                true,
                &Actor::User(user.id),
            )
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    }
    state
        .oauth
        .clients
        .set_logout(
            &browser.site,
            &registered.client.client_id,
            &logout,
            &Actor::User(user.id),
        )
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    let chrome = Chrome::new(&browser);
    let mut response = html(
        StatusCode::CREATED,
        &CredentialsPage {
            chrome,
            heading: "dev-registered",
            name: registered.client.name.clone(),
            client_id: registered.client.client_id.clone(),
            client_secret: registered.secret.map(|s| s.into_inner()),
        },
    );
    browser.attach_csrf_cookie(&mut response);
    Ok(response)
}
