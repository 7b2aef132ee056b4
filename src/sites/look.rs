//! A site's look on every page: the name shown, a logo and an accent
//! colour. The logo is an https URL the browser loads; the server never
//! fetches it.

use url::Url;

/// What a site's pages show of it.
#[derive(Debug, Clone, Default)]
pub struct Look {
    /// Shown in the page frame and titles instead of the site's name.
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    pub accent: Option<Accent>,
}

/// A background colour and the text colour that reads on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accent {
    /// `#rrggbb`, lower case.
    pub colour: String,
    /// `#000000` or `#ffffff`, whichever contrasts more with `colour`.
    pub text: &'static str,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LookError {
    #[error("accent_colour: `{0}` is not a colour such as `#1d4ed8`")]
    Colour(String),
    #[error("logo_url: `{0}` is not an https URL")]
    Logo(String),
    #[error("display_name: at most 100 characters, and not only spaces")]
    DisplayName,
}

impl Accent {
    /// `#rrggbb` (either case); any such colour is accepted, since black
    /// or white text reads on every one of them at 4.5:1 or better.
    pub fn parse(raw: &str) -> Result<Self, LookError> {
        let luminance = luminance_of(raw).ok_or_else(|| LookError::Colour(raw.to_string()))?;
        let on_black = contrast_ratio(luminance, 0.0);
        let on_white = contrast_ratio(luminance, 1.0);
        Ok(Accent {
            colour: raw.to_ascii_lowercase(),
            text: if on_black >= on_white {
                "#000000"
            } else {
                "#ffffff"
            },
        })
    }

    /// The contrast of the text on the accent (WCAG 2).
    pub fn text_contrast(&self) -> f64 {
        let text = if self.text == "#000000" { 0.0 } else { 1.0 };
        contrast_ratio(luminance_of(&self.colour).unwrap_or_default(), text)
    }
}

/// The WCAG 2 relative luminance of `#rrggbb`.
fn luminance_of(raw: &str) -> Option<f64> {
    let hex = raw.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut channels = [0u8; 3];
    for (i, channel) in channels.iter_mut().enumerate() {
        *channel = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(relative_luminance(channels))
}

/// An https URL with a host, at most 2,000 characters.
pub fn parse_logo_url(raw: &str) -> Result<String, LookError> {
    let refused = || LookError::Logo(raw.to_string());
    if raw.len() > 2000 {
        return Err(refused());
    }
    let url = Url::parse(raw).map_err(|_| refused())?;
    if url.scheme() != "https" || url.host_str().is_none_or(str::is_empty) {
        return Err(refused());
    }
    Ok(url.to_string())
}

/// A display name: trimmed, not empty, at most 100 characters.
pub fn parse_display_name(raw: &str) -> Result<String, LookError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(LookError::DisplayName);
    }
    Ok(name.to_string())
}

impl Look {
    /// From stored values, which were checked on the way in; a value that
    /// fails the check now is a hand edit and is left out.
    pub fn from_stored(
        display_name: Option<&str>,
        logo_url: Option<&str>,
        accent: Option<&str>,
    ) -> Self {
        Look {
            display_name: display_name.and_then(|n| parse_display_name(n).ok()),
            logo_url: logo_url.and_then(|u| parse_logo_url(u).ok()),
            accent: accent.and_then(|c| Accent::parse(c).ok()),
        }
    }
}

/// WCAG 2 relative luminance of an sRGB colour.
fn relative_luminance(channels: [u8; 3]) -> f64 {
    let [r, g, b] = channels.map(|c| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    });
    0.2126 * r + 0.7152 * g + 0.0722 * b
}

fn contrast_ratio(a: f64, b: f64) -> f64 {
    let (light, dark) = if a > b { (a, b) } else { (b, a) };
    (light + 0.05) / (dark + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dark_accents_get_white_text_and_light_ones_black() {
        assert_eq!(Accent::parse("#1D4ED8").unwrap().text, "#ffffff");
        assert_eq!(Accent::parse("#1D4ED8").unwrap().colour, "#1d4ed8");
        assert_eq!(Accent::parse("#ffd700").unwrap().text, "#000000");
        assert_eq!(Accent::parse("#ffffff").unwrap().text, "#000000");
        assert_eq!(Accent::parse("#000000").unwrap().text, "#ffffff");
    }

    #[test]
    fn every_accent_keeps_text_readable() {
        // Every grey, and a sweep of hues: the worst case is a mid grey.
        for v in 0..=255u8 {
            for colour in [
                format!("#{v:02x}{v:02x}{v:02x}"),
                format!("#{v:02x}0080"),
                format!("#00{v:02x}ff"),
                format!("#ff{v:02x}00"),
            ] {
                let accent = Accent::parse(&colour).unwrap();
                assert!(
                    accent.text_contrast() >= 4.5,
                    "{colour}: {}",
                    accent.text_contrast()
                );
            }
        }
    }

    #[test]
    fn colours_are_exactly_six_hex_digits_after_a_hash() {
        for bad in [
            "1d4ed8",
            "#1d4ed",
            "#1d4ed80",
            "#gggggg",
            "red",
            "",
            "#1d4ed8;}",
            "#１２３４５６",
        ] {
            assert!(Accent::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn logos_are_https_urls() {
        assert_eq!(
            parse_logo_url("https://cdn.example.com/logo.svg").unwrap(),
            "https://cdn.example.com/logo.svg"
        );
        for bad in [
            "http://cdn.example.com/logo.png",
            "javascript:alert(1)",
            "data:image/png;base64,AA",
            "logo.png",
            "https://",
        ] {
            assert!(parse_logo_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(parse_display_name("  Docs  ").unwrap(), "Docs");
        assert!(parse_display_name("   ").is_err());
        assert!(parse_display_name(&"x".repeat(101)).is_err());
        assert!(parse_display_name("a\nb").is_err());
    }
}
