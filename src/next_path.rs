//! Where to send a user after signing in: only a path on the same site.

/// A path that stays on this site: starts with one `/`, has no backslash,
/// no control characters and no scheme or authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPath(String);

impl NextPath {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.starts_with('/')
            && !raw.starts_with("//")
            && raw.len() <= 2048
            && !raw.contains('\\')
            && !raw.chars().any(|c| c.is_control() || c.is_whitespace())
            && !raw.to_ascii_lowercase().contains("%5c")
            && !raw[1..].starts_with("%2f")
            && !raw[1..].starts_with("%2F");
        ok.then(|| NextPath(raw.to_string()))
    }

    pub fn or_default(raw: Option<&str>, default: &str) -> Self {
        raw.and_then(Self::parse)
            .unwrap_or_else(|| NextPath(default.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_site_paths_are_accepted() {
        assert!(NextPath::parse("/account").is_some());
        assert!(NextPath::parse("/oauth/authorize?client_id=x&scope=a%20b").is_some());
    }

    #[test]
    fn open_redirect_tricks_are_refused() {
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "/%2f%2fevil.example",
            "/%5cevil.example",
            "javascript:alert(1)",
            "/\tpath",
            " /account",
            "",
        ] {
            assert!(NextPath::parse(bad).is_none(), "{bad:?} should be refused");
        }
    }
}
