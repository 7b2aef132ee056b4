//! `GET /api/users/current`: who the API thinks the caller is.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use crate::tokens::ApiCaller;
use crate::users::Permission;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(current_user);
}

#[derive(Serialize)]
struct CurrentUser<'a> {
    id: Option<i64>,
    username: Option<&'a str>,
    display_name: Option<&'a str>,
    role: &'a str,
    permissions: Vec<&'static str>,
    credential: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<&'static str>>,
}

#[get("/api/users/current")]
async fn current_user(caller: ApiCaller) -> HttpResponse {
    let user = caller.user.as_deref();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(CurrentUser {
            id: user.map(|u| u.id),
            username: user.map(|u| u.username.as_str()),
            display_name: user.map(|u| u.display_name.as_str()),
            role: match user {
                Some(u) => u.role.as_str(),
                // The legacy site API key acts with admin rights and no user.
                None if caller.can(Permission::Admin) => "admin",
                None => "anonymous",
            },
            permissions: caller.permissions.names(),
            credential: caller.credential.as_str(),
            client_id: caller.client_id.as_deref(),
            scopes: caller.scopes.map(|s| s.names()),
        })
}
