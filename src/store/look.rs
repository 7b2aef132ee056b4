//! Storage of languages and looks: the language a user chose, and a site's
//! default language, display name, logo and accent colour.

use async_trait::async_trait;

use super::StoreResult;

/// A site's look as stored; `None` clears a value.
#[derive(Debug, Clone, Copy)]
pub struct SiteLookChange<'a> {
    pub display_name: Option<Option<&'a str>>,
    pub logo_url: Option<Option<&'a str>>,
    pub accent_colour: Option<Option<&'a str>>,
}

#[async_trait]
pub trait LookStore {
    /// The user's language (`None`: as their browser asks); announced on
    /// the change feed so every process drops its cached copy.
    async fn set_user_locale(
        &self,
        site_id: i64,
        user_id: i64,
        locale: Option<&str>,
        now: i64,
    ) -> StoreResult<bool>;
    /// The site's default language; announced on the change feed.
    async fn set_site_default_locale(
        &self,
        site_id: i64,
        locale: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// The site's display name, logo URL and accent colour, each when
    /// given; announced on the change feed.
    async fn set_site_look(
        &self,
        site_id: i64,
        change: SiteLookChange<'_>,
        now: i64,
    ) -> StoreResult<bool>;
}
