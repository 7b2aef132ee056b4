//! The content API's rules: page paths, sizes, and who may read or write.
//! Public pages are for anyone; private pages need `content:read`; writing
//! needs `content:write`.

use crate::store::{NewPage, PageRecord, PageSummary, SharedStore, StoreError};
use crate::tokens::{ApiCaller, Denied};
use crate::users::Permission;

pub const MAX_PATH_CHARS: usize = 200;
pub const MAX_TITLE_CHARS: usize = 200;
/// The largest page body; larger requests are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// `guides/getting-started`: segments of letters, digits, `-`, `_`, `.` and
/// `~`, joined by single slashes, no `.` or `..` segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePath(String);

impl PagePath {
    pub fn parse(raw: &str) -> Result<Self, ContentError> {
        let ok = !raw.is_empty()
            && raw.chars().count() <= MAX_PATH_CHARS
            && raw.split('/').all(|segment| {
                !segment.is_empty()
                    && segment != "."
                    && segment != ".."
                    && segment
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
            });
        if ok {
            Ok(PagePath(raw.to_string()))
        } else {
            Err(ContentError::InvalidPath)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A page as a writer sends it.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageInput {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub public: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error(
        "a page path is 1 to {MAX_PATH_CHARS} characters: letters, digits, `-`, `_`, `.` and `~` in segments joined by `/`"
    )]
    InvalidPath,
    #[error("a title is 1 to {MAX_TITLE_CHARS} characters without control characters")]
    InvalidTitle,
    #[error("a page body is at most {MAX_BODY_BYTES} bytes")]
    BodyTooLarge,
    #[error("no page at this path")]
    NotFound,
    #[error("not allowed")]
    Denied(Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Denied> for ContentError {
    fn from(d: Denied) -> Self {
        ContentError::Denied(d)
    }
}

fn validate(input: &PageInput) -> Result<(), ContentError> {
    let title_chars = input.title.chars().count();
    if title_chars == 0
        || title_chars > MAX_TITLE_CHARS
        || input.title.chars().any(char::is_control)
    {
        return Err(ContentError::InvalidTitle);
    }
    if input.body.len() > MAX_BODY_BYTES {
        return Err(ContentError::BodyTooLarge);
    }
    Ok(())
}

pub async fn read_page(
    store: &SharedStore,
    caller: &ApiCaller,
    path: &PagePath,
) -> Result<PageRecord, ContentError> {
    let page = store
        .find_page(caller.site.id, path.as_str())
        .await?
        .ok_or(ContentError::NotFound)?;
    if !page.public {
        caller.check(Permission::ContentRead)?;
    }
    Ok(page)
}

pub async fn list_pages(
    store: &SharedStore,
    caller: &ApiCaller,
) -> Result<Vec<PageSummary>, ContentError> {
    Ok(store
        .list_pages(caller.site.id, caller.can(Permission::ContentRead))
        .await?)
}

/// Creates or replaces a page; the flag says whether it was created.
pub async fn put_page(
    store: &SharedStore,
    caller: &ApiCaller,
    path: &PagePath,
    input: PageInput,
    now: i64,
) -> Result<(PageRecord, bool), ContentError> {
    caller.check(Permission::ContentWrite)?;
    validate(&input)?;
    let page = NewPage {
        site_id: caller.site.id,
        path: path.as_str().to_string(),
        title: input.title,
        body: input.body,
        public: input.public,
        author_id: caller.user.as_ref().map(|u| u.id),
        now,
    };
    Ok(store.put_page(&page).await?)
}

pub async fn delete_page(
    store: &SharedStore,
    caller: &ApiCaller,
    path: &PagePath,
) -> Result<(), ContentError> {
    caller.check(Permission::ContentWrite)?;
    if store.delete_page(caller.site.id, path.as_str()).await? {
        Ok(())
    } else {
        Err(ContentError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_are_plain_segments() {
        assert!(PagePath::parse("guides/getting-started").is_ok());
        assert!(PagePath::parse("v1.2/notes~old").is_ok());
        for bad in [
            "", "/lead", "trail/", "a//b", "../etc", "a/./b", "sp ace", "q?x", "ünï",
        ] {
            assert!(PagePath::parse(bad).is_err(), "{bad:?}");
        }
        assert!(PagePath::parse(&"a".repeat(MAX_PATH_CHARS + 1)).is_err());
    }

    #[test]
    fn titles_and_bodies_are_bounded() {
        let page = |title: &str, body: String| PageInput {
            title: title.into(),
            body,
            public: false,
        };
        assert!(validate(&page("Hello", "x".into())).is_ok());
        assert!(validate(&page("", "x".into())).is_err());
        assert!(validate(&page("a\nb", "x".into())).is_err());
        assert!(matches!(
            validate(&page("Big", "x".repeat(MAX_BODY_BYTES + 1))),
            Err(ContentError::BodyTooLarge)
        ));
    }
}
