//! Writes DPoP proofs (RFC 9449), one per line, for load tests of the token
//! endpoint (`scripts/bench-dpop.sh`): one fresh key, every proof with its
//! own `jti`, `htm` POST, the given `htu` and `iat` = now.
//!
//! Run: `cargo run --release --example dpop_proofs -- <htu> <count> [ES256|EdDSA|RS256] > proofs.txt`

use std::time::{SystemTime, UNIX_EPOCH};

use tessera::signing::keygen::{self, SigningAlg};

#[path = "support/signed_lines.rs"]
mod signed_lines;

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
    let encoding = alg.encoding_key(&key.private_der);
    let iat = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let run = uuid::Uuid::new_v4().simple().to_string();
    signed_lines::print_signed(
        &header,
        &encoding,
        alg.jwt(),
        count,
        |i| serde_json::json!({"jti": format!("{run}-{i}"), "htm": "POST", "htu": htu, "iat": iat}),
    )
}
