//! ID-token signing and verification rates per algorithm (ES256, RS256,
//! EdDSA), with the key forms and claims Tessera uses.
//!
//! Run: `cargo bench --bench signing` (release build; one core per loop).

use std::time::{Duration, Instant};

use jsonwebtoken::{Header, Validation};
use tessera::signing::keygen::{self, SigningAlg};

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
}
