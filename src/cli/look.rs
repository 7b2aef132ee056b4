//! `tessera site set-default-locale` and `tessera site set-look`: a site's
//! language and look, through the same checks as the admin API.

use serde_json::json;

use super::CliResult;
use super::output::Output;
use crate::admin::Admin;
use crate::admin::types::SiteSettingsRequest;

pub async fn set_default_locale(
    admin: &Admin,
    slug: &str,
    locale: &str,
    out: &Output,
) -> CliResult {
    let site = admin.site(slug).await?;
    let change = SiteSettingsRequest {
        default_locale: Some(locale.to_string()),
        ..Default::default()
    };
    admin.change_site(&site, change).await?;
    out.done(
        &format!("`{slug}` speaks {locale} to visitors whose browser asks for no language it has"),
        json!({"site": slug, "default_locale": locale}),
    );
    Ok(())
}

/// The options of `set-look`: each given one is set ("" clears it).
pub struct LookArgs {
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    pub accent_colour: Option<String>,
}

pub async fn set_look(admin: &Admin, slug: &str, look: LookArgs, out: &Output) -> CliResult {
    let site = admin.site(slug).await?;
    let change = SiteSettingsRequest {
        display_name: look.display_name,
        logo_url: look.logo_url,
        accent_colour: look.accent_colour,
        ..Default::default()
    };
    admin.change_site(&site, change).await?;
    let settings = admin.site_settings(&admin.site(slug).await?).await?;
    out.done(
        &format!(
            "`{slug}`: display name {}, logo {}, accent colour {}",
            settings
                .display_name
                .as_deref()
                .unwrap_or("(the site's name)"),
            settings.logo_url.as_deref().unwrap_or("(none)"),
            settings.accent_colour.as_deref().unwrap_or("(the default)"),
        ),
        json!({
            "site": slug,
            "display_name": settings.display_name,
            "logo_url": settings.logo_url,
            "accent_colour": settings.accent_colour,
        }),
    );
    Ok(())
}
