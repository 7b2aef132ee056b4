use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::{ClientForm, FormView, check_scope_rights, developer, page_frame};
use crate::error::ApiError;
use crate::oauth::{ClientError, ClientInputError};
use crate::routes::bodies::FormBody;
use crate::routes::pages::{Chrome, Csrf, html};
use crate::state::AppState;
use crate::tokens::Caller;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(new_app_page).service(register_app);
}

#[derive(Template)]
#[template(path = "developers/new.html")]
struct NewAppPage {
    chrome: Chrome,
    form: FormView,
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
async fn new_app_page(req: HttpRequest, caller: Caller) -> HttpResponse {
    let user = match developer(&caller, "/developers/new") {
        Ok(user) => user,
        Err(elsewhere) => return elsewhere.response(),
    };
    let (chrome, csrf) = page_frame(&req, &caller);
    let form = FormView::new(&ClientForm::new_app(), &user, None);
    let mut response = html(
        StatusCode::OK,
        &NewAppPage {
            chrome,
            form,
            form_error: None,
        },
    );
    csrf.attach(&caller.site, &mut response);
    response
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/developers/new")]
async fn register_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: FormBody,
) -> Result<HttpResponse, ApiError> {
    let user = match developer(&caller, "/developers/new") {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    let form = ClientForm::parse(&body);
    let (chrome, csrf) = page_frame(&req, &caller);
    let again = |status, error: Option<&ClientInputError>, form_error| {
        let view = FormView::new(&form, &user, error);
        html(
            status,
            &NewAppPage {
                chrome,
                form: view,
                form_error,
            },
        )
    };
    if !Csrf::verify(&req, &caller.site, &form.csrf_token) {
        return Ok(again(
            StatusCode::FORBIDDEN,
            None,
            Some("This form expired. Please try again."),
        ));
    }
    if let Err(e) = check_scope_rights(&form, &user) {
        return Ok(again(StatusCode::BAD_REQUEST, Some(&e), None));
    }
    let registered = state
        .oauth
        .clients
        .register(
            &caller.site,
            form.settings(),
            form.confidential,
            Some(user.id),
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
            .set_dpop_required(&caller.site, &registered.client.client_id, true)
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    }
    let (chrome, _) = page_frame(&req, &caller);
    let mut response = html(
        StatusCode::CREATED,
        &CredentialsPage {
            chrome,
            heading: "Your app is registered",
            name: registered.client.name.clone(),
            client_id: registered.client.client_id.clone(),
            client_secret: registered.secret.map(|s| s.into_inner()),
        },
    );
    csrf.attach(&caller.site, &mut response);
    Ok(response)
}
