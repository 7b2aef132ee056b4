//! Signs many compact JWS for the load-test generators (`dpop_proofs`,
//! `client_assertions`) and prints them one per line.

use std::io::{BufWriter, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};

/// `count` JWS with the given header, the claims `claims(i)` makes for the
/// i-th, signed with `key`; every core takes a share (signing is the slow
/// part). Printed to stdout, one per line; an error unless all were signed.
pub fn print_signed(
    header: &serde_json::Value,
    key: &EncodingKey,
    alg: Algorithm,
    count: usize,
    claims: impl Fn(usize) -> serde_json::Value + Sync,
) -> Result<(), Box<dyn std::error::Error>> {
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let shares: Vec<Vec<String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (header, claims) = (&header, &claims);
                scope.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .filter_map(|i| {
                            let signed = format!(
                                "{header}.{}",
                                URL_SAFE_NO_PAD.encode(claims(i).to_string())
                            );
                            let signature =
                                jsonwebtoken::crypto::sign(signed.as_bytes(), key, alg).ok()?;
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
    for line in shares.iter().flatten() {
        writeln!(out, "{line}")?;
        written += 1;
    }
    out.flush()?;
    if written != count {
        return Err(format!("signed only {written} of {count}").into());
    }
    Ok(())
}
