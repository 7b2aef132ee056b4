//! ID-token signing and verification rates per algorithm (ES256, RS256,
//! EdDSA), with the key forms and claims Tessera uses; then DPoP proof
//! verifications (RFC 9449) per algorithm, each the whole check a token
//! request gets but the `jti` replay check (which needs the store): parse,
//! key, signature and claims; then the ES256 signature alone through
//! aws-lc-rs, with the key parsed for each check and parsed once.
//!
//! Run: `cargo bench --bench signing` (release build; one core per loop).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Header, Validation};
use tessera::clock::SystemClock;
use tessera::crypto::MasterKey;
use tessera::oauth::dpop::{ProofChecker, ProofTarget, ProofWindow};
use tessera::signing::keygen::{self, SigningAlg};
use tessera::sites::Site;
use tessera::store::SiteRecord;

fn rate(label: &str, mut op: impl FnMut()) -> f64 {
    // Warm up, then run for about two seconds.
    for _ in 0..20 {
        op();
    }
    let budget = Duration::from_secs(2);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        op();
        n += 1;
    }
    let per_sec = n as f64 / start.elapsed().as_secs_f64();
    println!(
        "{label:<28} {per_sec:>10.0} /s   ({:.1} µs each)",
        1e6 / per_sec
    );
    per_sec
}

fn main() {
    let now = 1_800_000_000i64;
    let claims = serde_json::json!({
        "iss": "https://wiki.example.com",
        "sub": "42",
        "aud": "tc_0123456789abcdef01234567",
        "azp": "tc_0123456789abcdef01234567",
        "exp": now + 3600,
        "iat": now,
        "auth_time": now - 60,
        "nonce": "n-0S6_WzA2Mj",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
        "name": "Alice Liddell",
        "preferred_username": "alice",
        "email": "alice@example.com",
    });
    println!(
        "ID tokens, one thread, {} logical CPUs",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    for alg in SigningAlg::ALL {
        let Ok(key) = keygen::generate(alg) else {
            eprintln!("cannot generate a {alg} key");
            return;
        };
        let encoding = alg.encoding_key(&key.private_der);
        let Ok(decoding) = keygen::decoding_key(&key.public_jwk) else {
            eprintln!("cannot read the {alg} JWK");
            return;
        };
        let mut header = Header::new(alg.jwt());
        header.kid = Some(key.kid.clone());
        let Ok(token) = jsonwebtoken::encode(&header, &claims, &encoding) else {
            eprintln!("cannot sign with {alg}");
            return;
        };
        let mut validation = Validation::new(alg.jwt());
        validation.set_audience(&["tc_0123456789abcdef01234567"]);
        validation.validate_exp = false;
        rate(&format!("{alg} sign"), || {
            std::hint::black_box(jsonwebtoken::encode(&header, &claims, &encoding).ok());
        });
        rate(&format!("{alg} verify"), || {
            std::hint::black_box(
                jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).ok(),
            );
        });
        println!("{alg} token length: {} characters", token.len());
    }
    dpop_proofs();
    es256_signature_paths();
}

/// The ES256 signature check alone, one key signing again and again.
fn es256_signature_paths() {
    use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, ParsedPublicKey, UnparsedPublicKey};
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let Ok(key) = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING) else {
        eprintln!("cannot make a P-256 key");
        return;
    };
    let message = b"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2In0.eyJqdGkiOiJiZW5jaCJ9";
    let Ok(sig) = key.sign(&rng, message) else {
        eprintln!("cannot sign");
        return;
    };
    let public = key.public_key().as_ref();
    println!("ES256 signature check alone, the same key each time (aws-lc-rs)");
    rate("key parsed each time", || {
        let checked = UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, public)
            .verify(message, sig.as_ref());
        assert!(checked.is_ok());
    });
    let Ok(parsed) = ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, public) else {
        eprintln!("cannot parse the key");
        return;
    };
    rate("key parsed once", || {
        assert!(parsed.verify_sig(message, sig.as_ref()).is_ok());
    });
}

/// `count` distinct proofs for `POST <base>/oauth/token`, signed with a new
/// key of `alg`.
fn sign_proofs(alg: SigningAlg, base: &str, count: usize, iat: i64) -> Option<Vec<String>> {
    let key = keygen::generate(alg).ok()?;
    let jwk = serde_json::to_value(&key.public_jwk).ok()?;
    let header = serde_json::json!({"typ": "dpop+jwt", "alg": alg.as_str(), "jwk": jwk});
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let encoding = alg.encoding_key(&key.private_der);
    (0..count)
        .map(|i| {
            let claims = serde_json::json!({
                "jti": format!("bench-{i}"), "htm": "POST", "htu": format!("{base}/oauth/token"), "iat": iat,
            });
            let signed = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
            let signature = jsonwebtoken::crypto::sign(signed.as_bytes(), &encoding, alg.jwt()).ok()?;
            Some(format!("{signed}.{signature}"))
        })
        .collect()
}

fn dpop_proofs() {
    let base = "https://wiki.example.com";
    let record = SiteRecord {
        id: 1,
        slug: "wiki".into(),
        name: "Wiki".into(),
        base_url: base.into(),
        ..SiteRecord::default()
    };
    let Some(site) = Site::from_record(record, vec![], &MasterKey::generate()) else {
        eprintln!("cannot build the site");
        return;
    };
    let clock: tessera::clock::SharedClock = Arc::new(SystemClock);
    let now = clock.now();
    let target = ProofTarget {
        method: "POST",
        path: "/oauth/token",
        access_token: None,
    };
    println!(
        "DPoP proofs at the token endpoint, one thread, each proof checked once (all but the \
         replay check), one key per algorithm"
    );
    // Enough proofs for about a second of verification each.
    for (alg, count) in [
        (SigningAlg::Es256, 20_000),
        (SigningAlg::Rs256, 3_000),
        (SigningAlg::EdDsa, 20_000),
    ] {
        let Some(proofs) = sign_proofs(alg, base, count, now) else {
            eprintln!("cannot sign {alg} proofs");
            return;
        };
        let checker = ProofChecker::new(ProofWindow::default(), clock.clone());
        let start = Instant::now();
        let verified = proofs
            .iter()
            .filter(|proof| checker.check(&site, proof, &target).is_ok())
            .count();
        let per_sec = verified as f64 / start.elapsed().as_secs_f64();
        if verified != proofs.len() {
            eprintln!("{alg}: only {verified} of {} proofs verified", proofs.len());
        }
        println!(
            "{:<28} {per_sec:>10.0} /s   ({:.1} µs each, proof {} characters)",
            format!("{alg} DPoP proof verify"),
            1e6 / per_sec,
            proofs.first().map_or(0, String::len)
        );
    }
}
