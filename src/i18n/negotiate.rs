//! Which language a request is answered in.

use super::Locale;

/// The user's saved choice, else the best language of `Accept-Language`
/// that Tessera speaks (by q-value; `q=0` means "not this one"), else the
/// site's default.
pub fn negotiate(
    saved: Option<Locale>,
    accept_language: Option<&str>,
    site_default: Locale,
) -> Locale {
    saved
        .or_else(|| accept_language.and_then(from_accept_language))
        .unwrap_or(site_default)
}

fn from_accept_language(header: &str) -> Option<Locale> {
    // Sorted by quality, highest first, in header order among equals.
    accept_language::parse_with_quality(header)
        .into_iter()
        .filter(|(_, quality)| *quality > 0.0)
        .find_map(|(tag, _)| Locale::from_language_tag(&tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_choice_wins_over_the_browser_and_the_site() {
        let chosen = negotiate(Some(Locale::En), Some("de-DE,de;q=0.9"), Locale::De);
        assert_eq!(chosen, Locale::En);
    }

    #[test]
    fn the_browser_language_with_the_highest_quality_wins() {
        assert_eq!(
            negotiate(None, Some("en;q=0.4, de-AT;q=0.8"), Locale::En),
            Locale::De
        );
        assert_eq!(
            negotiate(
                None,
                Some("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7"),
                Locale::De
            ),
            Locale::En
        );
        assert_eq!(negotiate(None, Some("DE"), Locale::En), Locale::De);
    }

    #[test]
    fn refused_and_unknown_languages_fall_back_to_the_site_default() {
        assert_eq!(negotiate(None, Some("de;q=0, fr"), Locale::En), Locale::En);
        assert_eq!(negotiate(None, Some("*"), Locale::De), Locale::De);
        assert_eq!(negotiate(None, Some(""), Locale::De), Locale::De);
        assert_eq!(negotiate(None, Some(";;,q=,"), Locale::En), Locale::En);
        assert_eq!(negotiate(None, None, Locale::De), Locale::De);
    }
}
