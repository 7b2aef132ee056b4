//! `tessera site set-signup`, `tessera site set-email-from` and `tessera
//! user invite`: the sign-up policy, the sender of a site's email, and
//! invitations (queued here; the running server's worker sends them).

use serde_json::json;

use super::{CliResult, Output};
use crate::accounts::SignupPolicy;
use crate::admin::Admin;
use crate::admin::types::{InviteRequest, SiteSettingsRequest};
use crate::users::Role;

pub fn signup_policy_arg(raw: &str) -> Result<SignupPolicy, String> {
    SignupPolicy::parse(raw).ok_or_else(|| "expected closed, open or invite".to_string())
}

pub async fn set_signup(
    admin: &Admin,
    slug: &str,
    policy: SignupPolicy,
    out: &Output,
) -> CliResult {
    let site = admin.site(slug).await?;
    let change = SiteSettingsRequest {
        signup_policy: Some(policy.as_str().to_string()),
        ..Default::default()
    };
    admin.change_site(&site, change).await?;
    out.done(
        &format!("sign-up on `{slug}` is now {}", policy.as_str()),
        json!({"site": slug, "signup_policy": policy.as_str()}),
    );
    Ok(())
}

pub async fn set_email_from(admin: &Admin, slug: &str, from: &str, out: &Output) -> CliResult {
    let site = admin.site(slug).await?;
    let change = SiteSettingsRequest {
        email_from: Some(from.to_string()),
        ..Default::default()
    };
    admin.change_site(&site, change).await?;
    let from = from.trim();
    let human = if from.is_empty() {
        format!("`{slug}` sends email as the deployment's sender")
    } else {
        format!("`{slug}` sends email as {from}")
    };
    out.done(
        &human,
        json!({"site": slug, "email_from": (!from.is_empty()).then_some(from)}),
    );
    Ok(())
}

pub async fn invite(
    admin: &Admin,
    slug: &str,
    email: String,
    role: Role,
    out: &Output,
) -> CliResult {
    let site = admin.site(slug).await?;
    let request = InviteRequest {
        email,
        role: Some(role.as_str().to_string()),
    };
    let sent = admin.invite_user(&site, request).await?;
    out.done(
        &format!(
            "invited {} to `{slug}` as {} (the link works once, until {})",
            sent.email,
            sent.role,
            crate::routes::pages::format_time(sent.expires_at)
        ),
        json!({"site": slug, "email": sent.email, "role": sent.role, "expires_at": sent.expires_at}),
    );
    Ok(())
}
