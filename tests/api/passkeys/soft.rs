//! A software authenticator for the refusal tests: an ES256 key made with
//! aws-lc-rs, attestation `none`, and the few CBOR items WebAuthn needs
//! written by hand. It answers whatever it is asked, for whatever origin
//! and RP id it is told, so tests can answer with the wrong ones.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// User present, user verified.
const FLAGS_UP_UV: u8 = 0x01 | 0x04;
/// ... and attested credential data follows.
const FLAG_AT: u8 = 0x40;

pub struct SoftAuthenticator {
    key: EcdsaKeyPair,
    credential_id: Vec<u8>,
    user_handle: Option<Vec<u8>>,
    counter: u32,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

/// A CBOR item head: major type and argument.
fn head(major: u8, n: usize) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=255 => vec![m | 24, n as u8],
        _ => {
            let mut out = vec![m | 25];
            out.extend_from_slice(&(n as u16).to_be_bytes());
            out
        }
    }
}

fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = head(2, bytes.len());
    out.extend_from_slice(bytes);
    out
}

fn cbor_text(text: &str) -> Vec<u8> {
    let mut out = head(3, text.len());
    out.extend_from_slice(text.as_bytes());
    out
}

fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": kind,
        "challenge": challenge,
        "origin": origin,
        "crossOrigin": false,
    }))
    .expect("client data")
}

impl SoftAuthenticator {
    pub fn new() -> Self {
        SoftAuthenticator {
            key: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("a P-256 key"),
            credential_id: aws_lc_rs::rand::generate::<[u8; 16]>(&SystemRandom::new())
                .expect("random")
                .expose()
                .to_vec(),
            user_handle: None,
            counter: 0,
        }
    }

    /// The COSE form of the public key (EC2, ES256, P-256).
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        let (x, y) = point[1..].split_at(32);
        let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        out.extend(cbor_bytes(x));
        out.push(0x22);
        out.extend(cbor_bytes(y));
        out
    }

    fn auth_data(&mut self, rp_id: &str, flags: u8) -> Vec<u8> {
        self.counter += 1;
        let mut out = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
        out.push(flags);
        out.extend_from_slice(&self.counter.to_be_bytes());
        out
    }

    /// Answers `navigator.credentials.create` options (the server's JSON
    /// `options` object) as if asked by `origin` for `rp_id`.
    pub fn create(&mut self, options: &Value, origin: &str, rp_id: &str) -> Value {
        let public_key = &options["publicKey"];
        let challenge = public_key["challenge"].as_str().expect("a challenge");
        self.user_handle = Some(unb64(public_key["user"]["id"].as_str().expect("a user id")));
        let mut auth_data = self.auth_data(rp_id, FLAGS_UP_UV | FLAG_AT);
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend(self.cose_key());
        let mut attestation = vec![0xa3];
        attestation.extend(cbor_text("fmt"));
        attestation.extend(cbor_text("none"));
        attestation.extend(cbor_text("attStmt"));
        attestation.push(0xa0);
        attestation.extend(cbor_text("authData"));
        attestation.extend(cbor_bytes(&auth_data));
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&client_data("webauthn.create", challenge, origin)),
            },
            "extensions": {},
        })
    }

    /// Answers `navigator.credentials.get` options as if asked by `origin`
    /// for `rp_id`, with the credential made by [`create`](Self::create).
    pub fn get(&mut self, options: &Value, origin: &str, rp_id: &str) -> Value {
        let challenge = options["publicKey"]["challenge"]
            .as_str()
            .expect("a challenge");
        let auth_data = self.auth_data(rp_id, FLAGS_UP_UV);
        let client_data = client_data("webauthn.get", challenge, origin);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(digest(&SHA256, &client_data).as_ref());
        let signature = self
            .key
            .sign(&SystemRandom::new(), &signed)
            .expect("a signature");
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.as_ref()),
                "userHandle": self.user_handle.as_deref().map(b64),
            },
            "extensions": {},
        })
    }
}
