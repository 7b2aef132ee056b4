//! What the fuzz targets share: a site, an Ed25519 key to sign proofs and
//! tokens with (so a target can get past the signature to the claims), and
//! a way to run the crate's async checks.
//!
//! Everything here is built once per process; the targets only call it.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signer, SigningKey};
use tessera::crypto::{KeyPurpose, MasterKey, SubKey};
use tessera::sites::Site;
use tessera::store::SiteRecord;

/// The clock every target runs at: 2023-11-14.
pub const NOW: i64 = 1_700_000_000;

/// Splits `data` at its first newline: two fields from one input, so the
/// corpus stays readable text. A missing newline gives an empty second field.
pub fn two_fields(data: &str) -> (&str, &str) {
    data.split_once('\n').unwrap_or((data, ""))
}

/// Three fields, split the same way.
pub fn three_fields(data: &str) -> (&str, &str, &str) {
    let (first, rest) = two_fields(data);
    let (second, third) = two_fields(rest);
    (first, second, third)
}

fn master() -> &'static MasterKey {
    static MASTER: OnceLock<MasterKey> = OnceLock::new();
    MASTER.get_or_init(|| {
        MasterKey::from_base64(&STANDARD.encode([9u8; 32]))
            .unwrap_or_else(|e| panic!("the fuzz master key: {e}"))
    })
}

/// A site at `https://wiki.example.org`, as the store would hand it over.
pub fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        let record = SiteRecord {
            id: 7,
            slug: "wiki".into(),
            name: "Wiki".into(),
            base_url: "https://wiki.example.org".into(),
            session_ttl_secs: 3600,
            created_at: 0,
            access_token_ttl_secs: 3600,
            admin_access_token_ttl_secs: 600,
            refresh_token_ttl_secs: 86_400,
            refresh_grace_secs: 0,
            dpop_nonce_required: false,
            rate_limits: String::new(),
            security_profile: "default".into(),
            client_id_metadata_documents: false,
            par_required: false,
            signup_policy: "closed".into(),
            email_from: None,
            second_factor_policy: "optional".into(),
            default_locale: "en".into(),
            display_name: None,
            logo_url: None,
            accent_colour: None,
        };
        Site::from_record(record, vec!["wiki.example.org".into()], master())
            .unwrap_or_else(|| panic!("the fuzz site does not build"))
    })
}

/// The site's key for DPoP nonces.
pub fn nonce_key() -> SubKey {
    master().derive(KeyPurpose::DpopNonce, site().id)
}

/// The fixed Ed25519 key the targets sign with.
pub fn signer() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_bytes(&[7u8; 32]))
}

/// The signer's public key as a JWK (`x` in base64url).
pub fn public_x() -> String {
    URL_SAFE_NO_PAD.encode(signer().verifying_key().as_bytes())
}

/// The JWK of the signer, as a JSON text.
pub fn public_jwk() -> String {
    format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#, public_x())
}

/// A compact JWS over exactly these header and payload bytes, signed by
/// [`signer`]: valid whatever the bytes say.
pub fn sign_compact(header: &[u8], payload: &[u8]) -> String {
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = signer().sign(signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// Runs one future to completion on a runtime kept for the process.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap_or_else(|e| panic!("a tokio runtime: {e}"))
        })
        .block_on(future)
}
