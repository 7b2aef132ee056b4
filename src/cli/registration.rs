//! `tessera client registration-token`, `tessera site set-registration` and
//! `tessera site set-par-required`: the site settings of RFC 7591 and 9126.

use serde_json::json;

use super::{CliResult, Output};
use crate::oauth::registration::RegistrationPolicy;

pub fn policy_arg(raw: &str) -> Result<String, String> {
    RegistrationPolicy::parse(raw)
        .map(|p| p.as_str().to_string())
        .ok_or_else(|| "expected closed, open or token".to_string())
}

/// Mints an initial access token, printed once; with `user`, that user owns
/// the clients registered with it.
pub async fn mint_initial_access_token(
    admin: &crate::admin::Admin,
    slug: &str,
    user: Option<&str>,
    out: &Output,
) -> CliResult {
    let site = admin.site(slug).await?;
    let request = crate::admin::types::NewRegistrationTokenRequest {
        user: user.map(str::to_string),
    };
    let minted = admin.mint_registration_token(&site, request).await?;
    let policy = &minted.registration_policy;
    let mut human = format!(
        "initial access token: {}\n(shown only this once; send it as `Authorization: Bearer …` to POST /oauth/register)",
        minted.initial_access_token
    );
    if policy != RegistrationPolicy::Token.as_str() {
        human.push_str(&format!(
            "\nnote: the site's registration policy is `{policy}`; `tessera site set-registration --site {slug} token` makes the token required"
        ));
    }
    out.done(
        &human,
        json!({"initial_access_token": minted.initial_access_token, "site": slug, "user_id": minted.user_id, "policy": policy}),
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
