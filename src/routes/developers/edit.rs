use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::register::CredentialsPage;
use super::{ClientForm, FormView, check_scope_rights, developer, may_manage, page_frame};
use crate::cache::CachedUser;
use crate::error::ApiError;
use crate::oauth::{Client, ClientError, ClientInputError};
use crate::routes::bodies::FormBody;
use crate::routes::pages::{Chrome, Csrf, CsrfForm, html, see_other};
use crate::state::AppState;
use crate::tokens::Caller;

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
    form_error: Option<&'static str>,
}

fn internal(e: ClientError) -> ApiError {
    ApiError::Internal(anyhow::anyhow!(e))
}

/// The app, if it exists on this site and the user may manage it; anything
/// else looks like a missing app.
async fn managed_app(
    state: &AppState,
    caller: &Caller,
    user: &CachedUser,
    client_id: &str,
) -> Result<Arc<Client>, ApiError> {
    match state.oauth.clients.find(&caller.site, client_id).await? {
        Some(client) if may_manage(user, &client) => Ok(client),
        _ => Err(ApiError::NotFound(format!(
            "no app `{client_id}` of yours on this site"
        ))),
    }
}

fn render_edit(
    req: &HttpRequest,
    caller: &Caller,
    status: StatusCode,
    client_id: String,
    form: FormView,
    form_error: Option<&'static str>,
) -> HttpResponse {
    let (chrome, csrf) = page_frame(req, caller);
    let mut response = html(
        status,
        &EditPage {
            chrome,
            client_id,
            form,
            form_error,
        },
    );
    csrf.attach(&caller.site, &mut response);
    response
}

#[get("/developers/apps/{client_id}")]
async fn edit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path.into_inner();
    let user = match developer(&caller, &format!("/developers/apps/{client_id}")) {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    let client = managed_app(&state, &caller, &user, &client_id).await?;
    let form = FormView::new(&ClientForm::from_client(&client), &user, None);
    Ok(render_edit(
        &req,
        &caller,
        StatusCode::OK,
        client_id,
        form,
        None,
    ))
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/developers/apps/{client_id}")]
async fn update_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: FormBody,
) -> Result<HttpResponse, ApiError> {
    let client_id = path.into_inner();
    let user = match developer(&caller, "/developers") {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    let client = managed_app(&state, &caller, &user, &client_id).await?;
    let mut form = ClientForm::parse(&body);
    // The client type is fixed at registration.
    form.confidential = client.confidential;
    let again = |status, error: Option<&ClientInputError>, form_error| {
        let view = FormView::new(&form, &user, error);
        render_edit(&req, &caller, status, client_id.clone(), view, form_error)
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
    let updated = match state
        .oauth
        .clients
        .update(&caller.site, &client_id, form.settings())
        .await
    {
        Ok(updated) => updated,
        Err(ClientError::Input(e)) => return Ok(again(StatusCode::BAD_REQUEST, Some(&e), None)),
        Err(e) => return Err(internal(e)),
    };
    state
        .oauth
        .clients
        .set_dpop_required(&caller.site, &updated.client_id, form.dpop_required)
        .await
        .map_err(internal)?;
    Ok(see_other("/developers?notice=saved"))
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/developers/apps/{client_id}/rotate-secret")]
async fn rotate_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path.into_inner();
    let user = match developer(&caller, "/developers") {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    let client = managed_app(&state, &caller, &user, &client_id).await?;
    if !Csrf::verify(&req, &caller.site, &form.csrf_token) {
        return Ok(see_other(&format!("/developers/apps/{client_id}")));
    }
    let secret = state
        .oauth
        .clients
        .rotate_secret(&caller.site, &client_id)
        .await
        .map_err(internal)?;
    let (chrome, _) = page_frame(&req, &caller);
    Ok(html(
        StatusCode::OK,
        &CredentialsPage {
            chrome,
            heading: "New client secret",
            name: client.name.clone(),
            client_id,
            client_secret: Some(secret.into_inner()),
        },
    ))
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/developers/apps/{client_id}/delete")]
async fn delete_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path.into_inner();
    let user = match developer(&caller, "/developers") {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    managed_app(&state, &caller, &user, &client_id).await?;
    if !Csrf::verify(&req, &caller.site, &form.csrf_token) {
        return Ok(see_other(&format!("/developers/apps/{client_id}")));
    }
    state
        .oauth
        .clients
        .delete(&caller.site, &client_id)
        .await
        .map_err(internal)?;
    Ok(see_other("/developers?notice=deleted"))
}
