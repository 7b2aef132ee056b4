//! ID-token signing and verification rates per algorithm (ES256, RS256,
//! EdDSA), with the key forms and claims Tessera uses; then DPoP proof
//! verifications (RFC 9449) per algorithm, each the whole check a token
//! request gets: parse, key, signature, claims and the `jti` replay cache;
//! then the ES256 signature alone, through aws-lc-rs (a key's first proofs)
//! and through the key's precomputed table (its later ones).
//!
//! Run: `cargo bench --bench signing` (release build; one core per loop).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Header, Validation};
use tessera::clock::SystemClock;
use tessera::crypto::MasterKey;
use tessera::oauth::dpop::{Dpop, ProofTarget, ProofWindow};
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
    use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, UnparsedPublicKey};
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
    println!("ES256 signature check alone, the same key each time");
    rate("aws-lc-rs", || {
        let checked = UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, public)
            .verify(message, sig.as_ref());
        assert!(checked.is_ok());
    });
    let Some(table) = tessera::crypto::p256::KeyTable::new(public) else {
        println!("(no key tables on this architecture)");
        return;
    };
    rate("with the key's table", || {
        assert!(table.verify(message, sig.as_ref()));
    });
    let built = Instant::now();
    let tables = 20;
    for _ in 0..tables {
        std::hint::black_box(tessera::crypto::p256::KeyTable::new(public));
    }
    println!(
        "building a key's table        {:>8.0} µs",
        built.elapsed().as_secs_f64() * 1e6 / f64::from(tables)
    );
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
        "DPoP proofs at the token endpoint, one thread, each proof verified once, one key per \
         algorithm (an ES256 key gets its table after {} proofs)",
        tessera::oauth::dpop::ES256_TABLE_AFTER
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
        let dpop = Dpop::new(ProofWindow::default(), clock.clone());
        let start = Instant::now();
        let verified = proofs
            .iter()
            .filter(|proof| dpop.verify(&site, proof, &target).is_ok())
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
