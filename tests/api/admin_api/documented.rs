//! The admin API against its description in `/openapi.json`: the
//! operations are described the way the API works (its credentials, its
//! errors), and what it really answers, success and error alike, matches
//! the schema documented for that status.

use reqwest::Method;
use serde_json::{Value, json};

use super::{admin_token, call};
use crate::helpers::{TestApp, spawn_app};
use crate::identity::support::Key;
use crate::openapi::document;

/// What in `value` does not match `schema`, for the schemas utoipa writes:
/// `$ref`, `allOf`, `oneOf`/`anyOf`, `type` (one or a list), `enum`,
/// `properties`, `required`, `additionalProperties: false` and `items`.
/// An empty schema (`{}`) takes anything.
fn mismatches(document: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{at}: a reference outside the schemas: {reference}"));
        let target = &document["components"]["schemas"][name];
        assert!(target.is_object(), "{at}: {reference} does not resolve");
        return mismatches(document, target, value, at, out);
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        mismatches(document, part, value, at, out);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(choices) = schema[key].as_array() {
            let fits = choices.iter().any(|choice| {
                let mut found = Vec::new();
                mismatches(document, choice, value, at, &mut found);
                found.is_empty()
            });
            if !fits {
                out.push(format!("{at}: {value} fits none of {key}"));
            }
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| has_type(value, t)) {
        out.push(format!("{at}: {value} is not {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Value::Object(fields) = value {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !fields.contains_key(name) {
                out.push(format!("{at}: required `{name}` is missing"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, field) in fields {
            match properties.and_then(|p| p.get(name)) {
                Some(property) => {
                    mismatches(document, property, field, &format!("{at}.{name}"), out)
                }
                None if schema["additionalProperties"] == false => {
                    out.push(format!("{at}: `{name}` is not a documented property"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
        for (i, element) in items.iter().enumerate() {
            mismatches(document, item, element, &format!("{at}[{i}]"), out);
        }
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

fn assert_fits(document: &Value, schema: &Value, value: &Value, at: &str) {
    let mut found = Vec::new();
    mismatches(document, schema, value, at, &mut found);
    assert!(found.is_empty(), "{at} is not as documented: {found:#?}");
}

/// The admin API as a test calls it, with the description at hand.
struct Described<'a> {
    app: &'a TestApp,
    token: String,
    document: Value,
}

impl Described<'_> {
    /// Calls `method path` (an instance of the documented `template`): the
    /// body sent must fit the documented request body, the status must be
    /// documented, and the answer must fit the schema documented for it.
    async fn call(
        &self,
        method: Method,
        template: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let operation = &self.document["paths"][template][method.as_str().to_lowercase()];
        let name = format!("{method} {template}");
        assert!(operation.is_object(), "{name} is not documented");
        if let Some(body) = &body {
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            assert!(schema.is_object(), "{name} documents no JSON body");
            assert_fits(&self.document, schema, body, &format!("{name} request"));
        }
        let (status, answer) = call(self.app, &self.token, method, path, body).await;
        let response = &operation["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{name} answered {status}, which is not documented: {answer}"
        );
        if status == 204 {
            assert!(response.get("content").is_none(), "{name}: 204 has a body");
        } else {
            let schema = &response["content"]["application/json"]["schema"];
            assert!(schema.is_object(), "{name} {status}: no JSON schema");
            assert_fits(&self.document, schema, &answer, &format!("{name} {status}"));
        }
        (status, answer)
    }
}

#[tokio::test]
async fn every_admin_operation_is_described_with_the_credentials_and_errors_it_really_has() {
    let app = spawn_app().await;
    let (_, document) = document(&app).await;
    let paths = document["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/admin/")) {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            operations += 1;
            assert_eq!(operation["tags"], json!(["admin"]), "{name}");
            assert!(operation["summary"].is_string(), "{name} has no summary");
            assert_eq!(
                operation["security"],
                json!([{"bearer": ["admin"]}, {"dpop": ["admin"]}, {"server_token": []}]),
                "{name}: an admin-scoped OAuth token or a server token, never anonymous"
            );
            for status in ["401", "403"] {
                assert_eq!(
                    operation["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ApiErrorBody",
                    "{name} {status}"
                );
            }
        }
    }
    // Sites, users, invitations, sessions, grants, second factors, clients,
    // registration tokens, identity providers, keys, legacy credentials, the
    // audit log, resources and upstream providers.
    assert_eq!(operations, 36);
    let tags = document["tags"].as_array().unwrap();
    assert!(tags.iter().any(|t| t["name"] == "admin"));
}

#[tokio::test]
async fn admin_answers_match_the_schemas_documented_for_them() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let (_, document) = document(&app).await;
    let api = Described {
        app: &app,
        token,
        document,
    };
    let get = |template: &'static str| (Method::GET, template, template.to_string(), None);

    // The site, and the instance's sites.
    api.call(Method::GET, "/api/admin/site", "/api/admin/site", None)
        .await;
    let (_, site) = api
        .call(
            Method::PATCH,
            "/api/admin/site",
            "/api/admin/site",
            Some(json!({"registration_policy": "token", "require_pushed_authorization_requests": true})),
        )
        .await;
    assert_eq!(site["registration_policy"], "token");
    let (status, _) = api
        .call(
            Method::PATCH,
            "/api/admin/site",
            "/api/admin/site",
            Some(json!({"registration_policy": "sometimes"})),
        )
        .await;
    assert_eq!(status, 400);

    // Resources (RFC 8707): registered, refused, listed, removed, missing.
    let resource =
        json!({"uri": "https://mcp.example.com/", "scopes": "profile", "token_format": "jwt"});
    let resources = "/api/admin/resources";
    let (status, _) = api
        .call(Method::POST, resources, resources, Some(resource))
        .await;
    assert_eq!(status, 201);
    let (status, _) = api
        .call(
            Method::POST,
            resources,
            resources,
            Some(json!({"uri": "relative", "scopes": "profile"})),
        )
        .await;
    assert_eq!(status, 400);
    let (_, listed) = api.call(Method::GET, resources, resources, None).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let one = "/api/admin/resources?uri=https%3A%2F%2Fmcp.example.com%2F";
    let (status, _) = api.call(Method::DELETE, resources, one, None).await;
    assert_eq!(status, 204);
    let (status, _) = api.call(Method::DELETE, resources, one, None).await;
    assert_eq!(status, 404);

    // Users, with a generated password, a conflict and a missing one.
    let new_user = json!({"username": "dora", "email": "dora@example.com"});
    let (status, created) = api
        .call(
            Method::POST,
            "/api/admin/users",
            "/api/admin/users",
            Some(new_user.clone()),
        )
        .await;
    assert_eq!(status, 201);
    assert!(created["password"].is_string());
    let (status, _) = api
        .call(
            Method::POST,
            "/api/admin/users",
            "/api/admin/users",
            Some(new_user),
        )
        .await;
    assert_eq!(status, 409);
    let user = "/api/admin/users/{username}";
    api.call(Method::GET, user, "/api/admin/users/dora", None)
        .await;
    let (_, changed) = api
        .call(
            Method::PATCH,
            user,
            "/api/admin/users/dora",
            Some(json!({"role": "pro", "disabled": true})),
        )
        .await;
    assert_eq!(changed["disabled"], true);
    let (status, _) = api
        .call(Method::GET, user, "/api/admin/users/ghost", None)
        .await;
    assert_eq!(status, 404);
    let admin = &app.admin_username;
    let (_, sessions) = api
        .call(
            Method::GET,
            "/api/admin/users/{username}/sessions",
            &format!("/api/admin/users/{admin}/sessions"),
            None,
        )
        .await;
    assert!(!sessions.as_array().unwrap().is_empty());
    let (_, grants) = api
        .call(
            Method::GET,
            "/api/admin/users/{username}/grants",
            &format!("/api/admin/users/{admin}/grants"),
            None,
        )
        .await;
    assert!(!grants.as_array().unwrap().is_empty());

    // Clients: created with a secret shown once, changed, rotated, deleted.
    let (status, client) = api
        .call(
            Method::POST,
            "/api/admin/clients",
            "/api/admin/clients",
            Some(json!({
                "name": "Reports",
                "redirect_uris": ["https://reports.example/callback"],
                "scopes": "profile",
                "dpop_required": true,
            })),
        )
        .await;
    assert_eq!(status, 201);
    assert!(client["client_secret"].is_string());
    let client = format!(
        "/api/admin/clients/{}",
        client["client_id"].as_str().unwrap()
    );
    let one_client = "/api/admin/clients/{client_id}";
    api.call(Method::GET, one_client, &client, None).await;
    api.call(
        Method::PATCH,
        one_client,
        &client,
        Some(json!({
            "introspect": true,
            "permissions": "content:read",
            "require_pushed_authorization_requests": true,
        })),
    )
    .await;
    let (_, secret) = api
        .call(
            Method::POST,
            "/api/admin/clients/{client_id}/secret",
            &format!("{client}/secret"),
            None,
        )
        .await;
    assert!(secret["client_secret"].is_string());

    // Registration tokens, with and without an owner.
    for body in [json!({}), json!({"user": "dora"})] {
        let (status, _) = api
            .call(
                Method::POST,
                "/api/admin/registration-tokens",
                "/api/admin/registration-tokens",
                Some(body),
            )
            .await;
        assert_eq!(status, 201);
    }

    // Identity providers, signing keys and legacy credentials.
    let key = Key::ec("idp-1");
    let provider = json!({
        "issuer": "https://idp.example",
        "audience": "tessera",
        "jwks": {"keys": [key.jwk]},
        "algorithms": "ES256",
    });
    for expected in [201, 409] {
        let (status, _) = api
            .call(
                Method::POST,
                "/api/admin/identity-providers",
                "/api/admin/identity-providers",
                Some(provider.clone()),
            )
            .await;
        assert_eq!(status, expected, "an issuer is trusted once");
    }
    api.call(
        Method::PUT,
        "/api/admin/legacy",
        "/api/admin/legacy",
        Some(json!({"enabled": true})),
    )
    .await;
    let upstream = json!({
        "name": "corp",
        "issuer": "https://sso.example.com",
        "client_id": "tessera",
        "client_secret": "not-shown-again-0123",
    });
    for expected in [201, 409] {
        let (status, _) = api
            .call(
                Method::POST,
                "/api/admin/upstream-providers",
                "/api/admin/upstream-providers",
                Some(upstream.clone()),
            )
            .await;
        assert_eq!(status, expected, "a provider name is used once per site");
    }
    for (method, template, path, body) in [
        get("/api/admin/sites"),
        get("/api/admin/users"),
        get("/api/admin/clients"),
        get("/api/admin/identity-providers"),
        get("/api/admin/upstream-providers"),
        get("/api/admin/keys"),
        (
            Method::POST,
            "/api/admin/keys/rotate",
            "/api/admin/keys/rotate".to_string(),
            None,
        ),
        get("/api/admin/legacy"),
        (
            Method::POST,
            "/api/admin/legacy/rotate",
            "/api/admin/legacy/rotate".to_string(),
            None,
        ),
        // By now the log holds events with details of several kinds.
        get("/api/admin/audit"),
        (Method::DELETE, one_client, client.clone(), None),
        (
            Method::DELETE,
            "/api/admin/identity-providers",
            "/api/admin/identity-providers?issuer=https%3A%2F%2Fidp.example".to_string(),
            None,
        ),
        (
            Method::DELETE,
            "/api/admin/upstream-providers/{name}",
            "/api/admin/upstream-providers/corp".to_string(),
            None,
        ),
    ] {
        let (status, answer) = api.call(method.clone(), template, &path, body).await;
        assert!(
            status == 200 || status == 204,
            "{method} {path}: {status} {answer}"
        );
    }
    let (status, _) = api.call(Method::GET, one_client, &client, None).await;
    assert_eq!(status, 404);
    let (status, _) = api
        .call(
            Method::GET,
            "/api/admin/audit",
            "/api/admin/audit?since=someday",
            None,
        )
        .await;
    assert_eq!(status, 400);
}

#[test]
fn the_schema_check_finds_what_does_not_match() {
    let document = json!({"components": {"schemas": {
        "User": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "id": {"type": "integer"},
                "email": {"type": ["string", "null"]},
                "roles": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["id"],
        },
    }}});
    let schema = json!({"$ref": "#/components/schemas/User"});
    let check = |value: Value| {
        let mut found = Vec::new();
        mismatches(&document, &schema, &value, "user", &mut found);
        found
    };
    assert!(check(json!({"id": 1, "email": null, "roles": ["a"]})).is_empty());
    assert_eq!(
        check(json!({"email": "a@b"})),
        ["user: required `id` is missing"]
    );
    assert_eq!(
        check(json!({"id": "1"})),
        [r#"user.id: "1" is not ["integer"]"#]
    );
    assert_eq!(
        check(json!({"id": 1, "roles": [2]})),
        [r#"user.roles[0]: 2 is not ["string"]"#]
    );
    assert_eq!(
        check(json!({"id": 1, "admin": true})),
        ["user: `admin` is not a documented property"]
    );
}
