//! `tessera client registration-token`, `tessera site set-registration` and
//! `tessera site set-par-required`: the site settings of RFC 7591 and 9126.

use serde_json::json;

use super::{CliError, CliResult, Output, find_site};
use crate::clock::{Clock, SystemClock};
use crate::oauth::registration::RegistrationPolicy;
use crate::oauth::tokens;
use crate::store::SharedStore;

pub fn policy_arg(raw: &str) -> Result<String, String> {
    RegistrationPolicy::parse(raw)
        .map(|p| p.as_str().to_string())
        .ok_or_else(|| "expected closed, open or token".to_string())
}

/// Mints an initial access token, printed once; with `user`, that user owns
/// the clients registered with it.
pub async fn mint_initial_access_token(
    store: &SharedStore,
    slug: &str,
    user: Option<&str>,
    out: &Output,
) -> CliResult {
    let site = find_site(store, slug).await?;
    let user_id = match user {
        None => None,
        Some(username) => Some(
            store
                .find_user_by_username(site.id, username)
                .await?
                .ok_or_else(|| {
                    CliError::Failure(anyhow::anyhow!("no user `{username}` on site `{slug}`"))
                })?
                .id,
        ),
    };
    let token = tokens::mint_initial_access_token();
    store
        .create_initial_access_token(site.id, &token.hash(), user_id, SystemClock.now())
        .await?;
    let policy = store.registration_policy(site.id).await?;
    let mut human = format!(
        "initial access token: {}\n(shown only this once; send it as `Authorization: Bearer …` to POST /oauth/register)",
        token.expose()
    );
    if policy != RegistrationPolicy::Token.as_str() {
        human.push_str(&format!(
            "\nnote: the site's registration policy is `{policy}`; `tessera site set-registration --site {slug} token` makes the token required"
        ));
    }
    out.done(
        &human,
        json!({"initial_access_token": token.expose(), "site": slug, "user_id": user_id, "policy": policy}),
    );
    Ok(())
}

pub async fn set_registration(
    admin: &crate::admin::Admin,
    slug: &str,
    policy: &str,
    out: &Output,
) -> CliResult {
    let site = admin.site(slug).await?;
    let change = crate::admin::types::SiteSettingsRequest {
        registration_policy: Some(policy.to_string()),
        ..Default::default()
    };
    admin.change_site(&site, change).await?;
    out.done(
        &format!("client registration on `{slug}` is now `{policy}`"),
        json!({"site": slug, "registration_policy": policy}),
    );
    Ok(())
}

pub async fn set_par_required(
    admin: &crate::admin::Admin,
    slug: &str,
    required: bool,
    out: &Output,
) -> CliResult {
    let site = admin.site(slug).await?;
    let change = crate::admin::types::SiteSettingsRequest {
        require_pushed_authorization_requests: Some(required),
        ..Default::default()
    };
    admin.change_site(&site, change).await?;
    out.done(
        &format!(
            "pushed authorization requests on `{slug}` are now {}",
            if required { "required" } else { "optional" }
        ),
        json!({"site": slug, "require_pushed_authorization_requests": required}),
    );
    Ok(())
}

pub async fn set_client_par_required(
    store: &SharedStore,
    slug: &str,
    client_id: &str,
    required: bool,
    out: &Output,
) -> CliResult {
    let site = find_site(store, slug).await?;
    let client = store
        .find_client(site.id, client_id)
        .await?
        .ok_or_else(|| {
            CliError::Failure(anyhow::anyhow!("no client `{client_id}` on site `{slug}`"))
        })?;
    store
        .set_client_par_required(site.id, client.id, required)
        .await?;
    out.done(
        &format!(
            "client `{client_id}` {} push its authorization requests",
            if required {
                "must now"
            } else {
                "no longer has to"
            }
        ),
        json!({"client_id": client_id, "require_pushed_authorization_requests": required}),
    );
    Ok(())
}
