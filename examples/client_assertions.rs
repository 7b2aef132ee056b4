//! Client assertions (RFC 7523 2.2, `private_key_jwt`) for load tests of the
//! token endpoint (`scripts/bench-client-auth.sh`).
//!
//! `client_assertions key <dir>` makes an ES256 key: `<dir>/client.der`
//! (the private key, PKCS#8) and `<dir>/client.jwk` (the public JWK, for
//! `tessera client create --public-key-file`).
//!
//! `client_assertions sign <dir> <client_id> <aud> <count>` prints `count`
//! assertions by that key, one per line: `iss` = `sub` = the client id, the
//! given `aud`, `exp` five minutes ahead (the longest Tessera accepts) and
//! a `jti` of its own each.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use tessera::signing::keygen::{self, SigningAlg};

#[path = "support/signed_lines.rs"]
mod signed_lines;

const USAGE: &str = "usage: client_assertions key <dir> | sign <dir> <client_id> <aud> <count>";
const LIFETIME_SECS: u64 = 300;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["key", dir] => make_key(Path::new(dir)),
        ["sign", dir, client_id, aud, count] => {
            sign(Path::new(dir), client_id, aud, count.parse()?)
        }
        _ => Err(USAGE.into()),
    }
}

fn make_key(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let key = keygen::generate(SigningAlg::Es256)?;
    std::fs::write(dir.join("client.der"), &key.private_der)?;
    let mut jwk = serde_json::to_value(&key.public_jwk)?;
    if let Some(members) = jwk.as_object_mut() {
        members.remove("use");
    }
    std::fs::write(dir.join("client.jwk"), jwk.to_string())?;
    Ok(())
}

fn sign(
    dir: &Path,
    client_id: &str,
    aud: &str,
    count: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let der = std::fs::read(dir.join("client.der"))?;
    let jwk: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("client.jwk"))?)?;
    let alg = SigningAlg::Es256;
    let mut header = serde_json::json!({"typ": "JWT", "alg": alg.as_str()});
    if let Some(kid) = jwk.get("kid") {
        header["kid"] = kid.clone();
    }
    let encoding = alg.encoding_key(&der);
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let run = uuid::Uuid::new_v4().simple().to_string();
    signed_lines::print_signed(&header, &encoding, alg.jwt(), count, |i| {
        serde_json::json!({
            "iss": client_id, "sub": client_id, "aud": aud,
            "jti": format!("{run}-{i}"), "iat": now, "exp": now + LIFETIME_SECS,
        })
    })
}
