//! RFC 6238 codes through `totp-rs`: SHA-1, six digits, 30-second steps,
//! one step of clock drift either way (what authenticator apps expect).

use qrcode::QrCode;
use qrcode::render::svg;
use totp_rs::{Builder, Secret, Totp};

/// Secret length: 160 bits, RFC 4226's recommendation.
pub const SECRET_LEN: usize = 20;
pub const STEP_SECS: i64 = 30;

fn totp(secret: &[u8], issuer: &str, account: &str) -> Option<Totp> {
    // The otpauth label is `issuer:account`: neither may hold a colon.
    let issuer = issuer.replace(':', " ");
    let account = account.replace(':', " ");
    Builder::new()
        .with_secret(Secret::from(secret.to_vec()))
        .with_issuer(Some(issuer))
        .with_account_name(account)
        .build()
        .ok()
}

/// A new random secret.
pub fn new_secret() -> [u8; SECRET_LEN] {
    crate::crypto::random::bytes::<SECRET_LEN>()
}

/// The time step a code is good for at `now`, or `None` when it is none
/// of the steps around `now`. Spaces in the code are ignored.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = u64::try_from(now).ok()?;
    let step = totp(secret, "t", "u")?.check(&code, now)?;
    i64::try_from(step).ok()
}

/// What an authenticator app needs to enrol: the secret as base32 (for
/// typing), the `otpauth://` URL, and that URL as an SVG QR code.
pub struct Provisioning {
    pub secret_base32: String,
    pub url: String,
    pub qr_svg: String,
}

impl std::fmt::Debug for Provisioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Provisioning(<redacted>)")
    }
}

pub fn provisioning(secret: &[u8], issuer: &str, account: &str) -> Option<Provisioning> {
    let totp = totp(secret, issuer, account)?;
    let url = totp.to_url().ok()?;
    let qr_svg = QrCode::new(url.as_bytes())
        .ok()?
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let base32 = Secret::from(secret.to_vec()).to_base32();
    // Groups of four, easier to type from the screen.
    let secret_base32 = base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Some(Provisioning {
        secret_base32,
        url,
        qr_svg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B's SHA-1 secret and a vector for 59 seconds,
    // truncated to six digits.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn the_rfc_6238_vector_matches_its_step() {
        assert_eq!(matching_step(RFC_SECRET, "287082", 59), Some(1));
        assert_eq!(matching_step(RFC_SECRET, "287 082", 59), Some(1));
        assert_eq!(
            matching_step(RFC_SECRET, "287082", 59 + 30),
            Some(1),
            "one step of drift"
        );
        assert_eq!(
            matching_step(RFC_SECRET, "287082", 59 + 90),
            None,
            "too late"
        );
        assert_eq!(matching_step(RFC_SECRET, "287083", 59), None);
        assert_eq!(matching_step(RFC_SECRET, "abcdef", 59), None);
    }

    #[test]
    fn provisioning_names_the_site_and_the_user() {
        let p = provisioning(&new_secret(), "Docs: the site", "alice").unwrap();
        assert!(p.url.starts_with("otpauth://totp/"));
        assert!(p.url.contains("alice"));
        assert!(p.qr_svg.contains("<svg"));
        assert_eq!(p.secret_base32.replace(' ', "").len(), 32);
    }
}
