//! Writes DPoP proofs (RFC 9449), one per line, for load tests of the token
//! endpoint (`scripts/bench-dpop.sh`): one fresh key, every proof with its
//! own `jti`, `htm` POST, the given `htu` and `iat` = now.
//!
//! Run: `cargo run --release --example dpop_proofs -- <htu> <count> [ES256|EdDSA|RS256] > proofs.txt`

use std::io::{BufWriter, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tessera::signing::keygen::{self, SigningAlg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(htu), Some(count)) = (args.first(), args.get(1)) else {
        return Err("usage: dpop_proofs <htu> <count> [ES256|EdDSA|RS256]".into());
    };
    let count: usize = count.parse()?;
    let alg = match args.get(2) {
        None => SigningAlg::Es256,
        Some(name) => SigningAlg::parse(name).ok_or("the algorithm is ES256, EdDSA or RS256")?,
    };
    let key = keygen::generate(alg)?;
    let mut jwk = serde_json::to_value(&key.public_jwk)?;
    if let Some(members) = jwk.as_object_mut() {
        // A client's proof key needs no key id or use.
        members.remove("kid");
        members.remove("use");
    }
    let header = serde_json::json!({"typ": "dpop+jwt", "alg": alg.as_str(), "jwk": jwk});
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let encoding = alg.encoding_key(&key.private_der);
    let iat = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let run = uuid::Uuid::new_v4().simple().to_string();

    // Signing is the slow part (ES256 and RS256): every core takes a share.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let shares: Vec<Vec<String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (header, encoding, run) = (&header, &encoding, &run);
                scope.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .filter_map(|i| {
                            let claims = serde_json::json!({
                                "jti": format!("{run}-{i}"), "htm": "POST", "htu": htu, "iat": iat,
                            });
                            let signed =
                                format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
                            let signature =
                                jsonwebtoken::crypto::sign(signed.as_bytes(), encoding, alg.jwt())
                                    .ok()?;
                            Some(format!("{signed}.{signature}"))
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut written = 0;
    for proof in shares.iter().flatten() {
        writeln!(out, "{proof}")?;
        written += 1;
    }
    out.flush()?;
    if written != count {
        return Err(format!("signed only {written} of {count} proofs").into());
    }
    Ok(())
}
