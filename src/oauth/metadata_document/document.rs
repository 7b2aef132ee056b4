//! The rules of draft-ietf-oauth-client-id-metadata-document: which URLs
//! are client ids (section 3), and what their documents must say
//! (section 4). Pure functions; fetching and caching are in `mod.rs`.

use serde_json::{Map, Value};
use url::Url;

use crate::oauth::client_auth::{ClientAuthMethod, ClientAuthSettings, ClientKeySource};
use crate::oauth::clients::ClientSettings;

/// URLs longer than this are not fetched.
pub const MAX_URL_LEN: usize = 2000;

/// Why a URL is not a client id or its document is refused. Logged and
/// shown to admins; the client is told only that it is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the client_id is not a metadata document URL: {0}")]
    Url(&'static str),
    #[error("the document could not be fetched: {0}")]
    Fetch(String),
    #[error("the document is not a JSON object")]
    NotObject,
    #[error("the document's client_id is not the URL it was fetched from")]
    ClientIdMismatch,
    #[error("the document carries `{0}`: a metadata document client has no shared secret")]
    Secret(&'static str),
    #[error("the document's `{0}` is refused: {1}")]
    Field(&'static str, String),
    #[error("the URL is the client_id of a client registered here or on another site")]
    Taken,
}

/// A URL client id checked against section 3 of the draft: https (plain
/// http too when outbound fetches may reach private addresses, for
/// development), a path, no dot segments, no fragment, no credentials, no
/// query, and written in its normal form so that string comparison is
/// exact.
pub fn parse_client_id(raw: &str, allow_http: bool) -> Result<Url, DocumentError> {
    if raw.len() > MAX_URL_LEN {
        return Err(DocumentError::Url("it is too long"));
    }
    let url = Url::parse(raw).map_err(|_| DocumentError::Url("it is not a URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ => return Err(DocumentError::Url("it is not https")),
    }
    if url.host_str().is_none() {
        return Err(DocumentError::Url("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(DocumentError::Url("it carries credentials"));
    }
    if url.fragment().is_some() || raw.contains('#') {
        return Err(DocumentError::Url("it has a fragment"));
    }
    if url.query().is_some() {
        return Err(DocumentError::Url("it has a query"));
    }
    let after_authority = raw
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("");
    if after_authority.len() <= 1 {
        return Err(DocumentError::Url("it has no path"));
    }
    if after_authority
        .split('/')
        .any(|segment| matches!(segment, "." | ".." | "%2e" | "%2E" | "%2e%2e" | "%2E%2E"))
    {
        return Err(DocumentError::Url("it has dot segments"));
    }
    if url.as_str() != raw {
        return Err(DocumentError::Url("it is not in normal form"));
    }
    Ok(url)
}

/// What a document describes, in the terms client registration uses.
#[derive(Debug, Clone)]
pub struct DocumentMetadata {
    pub settings: ClientSettings,
    pub auth: ClientAuthSettings,
}

/// Checks a fetched document against the URL it came from (section 4).
/// `host` names the client when the document has no `client_name`.
pub fn read_document(body: &[u8], url: &Url) -> Result<DocumentMetadata, DocumentError> {
    let Ok(Value::Object(document)) = serde_json::from_slice::<Value>(body) else {
        return Err(DocumentError::NotObject);
    };
    if document.get("client_id").and_then(Value::as_str) != Some(url.as_str()) {
        return Err(DocumentError::ClientIdMismatch);
    }
    for secret in ["client_secret", "client_secret_expires_at"] {
        if document.contains_key(secret) {
            return Err(DocumentError::Secret(secret));
        }
    }
    let redirect_uris = string_list(&document, "redirect_uris")?
        .ok_or_else(|| DocumentError::Field("redirect_uris", "it is required".into()))?;
    if let Some(types) = string_list(&document, "response_types")?
        && !types.iter().any(|t| t == "code")
    {
        return Err(DocumentError::Field(
            "response_types",
            "only `code` is supported".into(),
        ));
    }
    let grant_types = string_list(&document, "grant_types")?;
    if let Some(grants) = &grant_types
        && let Some(other) = grants
            .iter()
            .find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
    {
        return Err(DocumentError::Field(
            "grant_types",
            format!("`{other}` is not available to metadata document clients"),
        ));
    }
    let auth = read_auth(&document)?;
    let name = match optional_string(&document, "client_name")? {
        Some(name) => name,
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    Ok(DocumentMetadata {
        settings: ClientSettings {
            name,
            homepage_url: optional_string(&document, "client_uri")?,
            redirect_uris,
            scopes: optional_string(&document, "scope")?,
            grant_types,
        },
        auth,
    })
}

/// `token_endpoint_auth_method`: `none` (the default) or `private_key_jwt`
/// with `jwks` or `jwks_uri`; the secret-based methods are forbidden.
fn read_auth(document: &Map<String, Value>) -> Result<ClientAuthSettings, DocumentError> {
    let field = "token_endpoint_auth_method";
    let method = match optional_string(document, field)?.as_deref() {
        None | Some("none") => ClientAuthMethod::None,
        Some("private_key_jwt") => ClientAuthMethod::PrivateKeyJwt,
        Some(other) => {
            return Err(DocumentError::Field(
                field,
                format!("`{other}` is not allowed: use none or private_key_jwt"),
            ));
        }
    };
    let keys = match (document.get("jwks"), optional_string(document, "jwks_uri")?) {
        (Some(Value::Object(_)), Some(_)) => {
            return Err(DocumentError::Field(
                "jwks",
                "give jwks or jwks_uri, not both".into(),
            ));
        }
        (Some(jwks @ Value::Object(_)), None) => Some(ClientKeySource::Jwks(jwks.to_string())),
        (Some(_), _) => return Err(DocumentError::Field("jwks", "not an object".into())),
        (None, Some(uri)) => Some(ClientKeySource::JwksUri(uri)),
        (None, None) => None,
    };
    // A public client's keys (say, for DPoP) are not ours to use.
    let keys = keys.filter(|_| method == ClientAuthMethod::PrivateKeyJwt);
    Ok(ClientAuthSettings {
        method,
        keys,
        signing_alg: optional_string(document, "token_endpoint_auth_signing_alg")?,
    })
}

fn optional_string(
    document: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, DocumentError> {
    match document.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DocumentError::Field(field, "not a string".into())),
    }
}

fn string_list(
    document: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<Vec<String>>, DocumentError> {
    let not_list = || DocumentError::Field(field, "not a list of strings".into());
    match document.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(not_list))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(not_list()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const URL: &str = "https://app.example/oauth/client.json";

    fn url() -> Url {
        parse_client_id(URL, false).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn read(document: Value) -> Result<DocumentMetadata, DocumentError> {
        read_document(document.to_string().as_bytes(), &url())
    }

    #[test]
    fn client_id_urls_follow_section_3() {
        assert!(parse_client_id(URL, false).is_ok());
        let refused = [
            "http://app.example/client.json",
            "https://app.example",
            "https://app.example/",
            "https://app.example/a/../client.json",
            "https://app.example/./client.json",
            "https://app.example/client.json#x",
            "https://user:pw@app.example/client.json",
            "https://app.example/client.json?v=1",
            "https://APP.example/client.json",
            "ftp://app.example/client.json",
        ];
        for raw in refused {
            assert!(parse_client_id(raw, false).is_err(), "{raw} was accepted");
        }
        assert!(parse_client_id("http://127.0.0.1:8080/client.json", true).is_ok());
    }

    #[test]
    fn a_document_describes_a_public_client_by_default() {
        let read = read(json!({
            "client_id": URL,
            "client_name": "Notes",
            "redirect_uris": ["https://app.example/cb"],
        }))
        .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(read.settings.name, "Notes");
        assert_eq!(read.auth.method, ClientAuthMethod::None);
        assert!(read.auth.keys.is_none());
    }

    #[test]
    fn a_document_must_name_its_own_url() {
        let other = json!({"client_id": "https://app.example/other.json", "redirect_uris": []});
        assert_eq!(read(other).err(), Some(DocumentError::ClientIdMismatch));
        assert_eq!(
            read_document(b"[1]", &url()).err(),
            Some(DocumentError::NotObject)
        );
    }

    #[test]
    fn a_document_may_not_carry_a_secret_or_use_one() {
        let secret = json!({"client_id": URL, "redirect_uris": ["https://app.example/cb"],
                            "client_secret": "s"});
        assert_eq!(
            read(secret).err(),
            Some(DocumentError::Secret("client_secret"))
        );
        let basic = json!({"client_id": URL, "redirect_uris": ["https://app.example/cb"],
                           "token_endpoint_auth_method": "client_secret_basic"});
        assert!(matches!(read(basic), Err(DocumentError::Field(..))));
    }

    #[test]
    fn a_key_client_gives_its_keys() {
        let keyed = json!({"client_id": URL, "redirect_uris": ["https://app.example/cb"],
                           "token_endpoint_auth_method": "private_key_jwt",
                           "jwks_uri": "https://app.example/jwks"});
        let read = read(keyed).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(read.auth.method, ClientAuthMethod::PrivateKeyJwt);
        assert_eq!(
            read.auth.keys,
            Some(ClientKeySource::JwksUri("https://app.example/jwks".into()))
        );
    }
}
