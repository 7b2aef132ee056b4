//! `/openapi.json` against the routes Tessera really serves.
//!
//! The served routes are read from the code itself: every actix route
//! attribute (`#[get("…")]`, `#[post("…")]`, …) under `src/routes`, the only
//! way routes are registered there (checked below). Each is called on a
//! running server without credentials or body; whatever answers JSON (its
//! result or its error) is a JSON endpoint and must be in the document.

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::Method;
use serde_json::Value;
use tessera::users::Role;

use crate::helpers::{TestApp, new_client, spawn_app, spawn_app_with};

/// A route as the code declares it: method and actix path pattern.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Route {
    method: String,
    pattern: String,
}

impl Route {
    /// The OpenAPI form of the path: `{path:.+}` becomes `{path}`.
    fn openapi_path(&self) -> String {
        map_parameters(&self.pattern, |name| format!("{{{name}}}"))
    }

    /// A path to call: each parameter becomes `x`.
    fn concrete_path(&self) -> String {
        map_parameters(&self.pattern, |_| "x".to_string())
    }
}

fn map_parameters(pattern: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').expect("closed parameter") + open;
        let name = rest[open + 1..close].split(':').next().unwrap();
        out.push_str(&value(name));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

const ROUTE_ATTRIBUTES: [&str; 6] = ["get", "post", "put", "delete", "patch", "head"];

fn rust_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// Every route attribute under `src/routes`.
fn declared_routes() -> BTreeSet<Route> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut routes = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // Routes registered any other way would escape this scan.
        for other in [
            "web::resource(",
            "web::route(",
            "Resource::new(",
            ".route(",
            "web::scope(",
        ] {
            assert!(
                !text.contains(other),
                "{} registers a route with `{other}`: use a route attribute \
                 (`#[get(\"…\")]`) so tests/api/openapi.rs sees it",
                file.display()
            );
        }
        for line in text.lines() {
            let line = line.trim();
            for method in ROUTE_ATTRIBUTES {
                let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) else {
                    continue;
                };
                let pattern = rest.split('"').next().unwrap();
                routes.insert(Route {
                    method: method.to_uppercase(),
                    pattern: pattern.to_string(),
                });
            }
        }
    }
    routes
}

/// Every operation of the document, as (METHOD, path).
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ROUTE_ATTRIBUTES {
            if item.get(method).is_some() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

pub async fn document(app: &TestApp) -> (String, Value) {
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

async fn call(app: &TestApp, method: &str, path: &str) -> reqwest::Response {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    // A fresh client: no cookies, no credentials, no redirects followed.
    new_client(app.port)
        .request(method, app.url(path))
        .send()
        .await
        .unwrap()
}

fn answers_json(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            let essence = t.split(';').next().unwrap_or_default().trim();
            essence == "application/json" || essence.ends_with("+json")
        })
}

#[tokio::test]
async fn the_document_is_openapi_3_1_for_the_site_that_serves_it() {
    let app = spawn_app().await;
    let (text, value) = document(&app).await;

    let spec = oas3::from_json(&text).expect("an OpenAPI 3.1 document");
    let version = spec.validate_version().expect("a supported version");
    assert_eq!((version.major, version.minor), (3, 1));
    assert_eq!(spec.servers.len(), 1);
    assert_eq!(spec.servers[0].url, app.address);

    let components = spec.components.as_ref().expect("components");
    for scheme in [
        "bearer",
        "dpop",
        "authtoken_cookie",
        "browser_token",
        "server_token",
        "legacy_api_key",
        "client_basic",
        "registration_token",
    ] {
        assert!(
            components.security_schemes.contains_key(scheme),
            "no security scheme {scheme}"
        );
    }
    // Every body's schema reference resolves.
    for (path, method, operation) in spec.operations() {
        if let Some(body) = operation.request_body(&spec).unwrap() {
            for media in body.content.values() {
                media
                    .schema(&spec)
                    .unwrap_or_else(|e| panic!("{method} {path} request: {e}"));
            }
        }
        assert!(!operation.responses(&spec).is_empty(), "{method} {path}");
        for (status, response) in operation.responses(&spec) {
            for media in response.content.values() {
                media
                    .schema(&spec)
                    .unwrap_or_else(|e| panic!("{method} {path} {status}: {e}"));
            }
        }
    }
    // The OAuth endpoints take forms, and their errors are OAuth JSON.
    let token = &value["paths"]["/oauth/token"]["post"];
    assert!(token["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert_eq!(
        token["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/OAuthErrorBody"
    );
    let current = &value["paths"]["/api/users/current"]["get"];
    assert_eq!(
        current["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ApiErrorBody"
    );
}

#[tokio::test]
async fn every_served_route_that_answers_json_is_in_the_document() {
    let app = spawn_app().await;
    let (_, value) = document(&app).await;
    let documented = documented(&value);
    let declared = declared_routes();

    // The scan sees what the document was built from.
    let declared_operations: BTreeSet<_> = declared
        .iter()
        .map(|r| (r.method.clone(), r.openapi_path()))
        .collect();
    let unseen: Vec<_> = documented.difference(&declared_operations).collect();
    assert!(unseen.is_empty(), "documented but not declared: {unseen:?}");

    let mut missing = Vec::new();
    for route in &declared {
        let response = call(&app, &route.method, &route.concrete_path()).await;
        let operation = (route.method.clone(), route.openapi_path());
        if answers_json(&response) && !documented.contains(&operation) {
            missing.push(operation);
        }
    }
    assert!(
        missing.is_empty(),
        "routes answering JSON but missing from /openapi.json (annotate them \
         with #[utoipa::path] and register them with cfg.service): {missing:?}"
    );
}

/// A path to call for a documented operation: integer path parameters
/// become `1`, the others `x` (a path parameter that cannot be read is
/// answered 404, like a path not served).
fn documented_path(document: &Value, method: &str, path: &str) -> String {
    let parameters = &document["paths"][path][method.to_lowercase()]["parameters"];
    map_parameters(path, |name| {
        let integer =
            parameters.as_array().into_iter().flatten().any(|p| {
                p["in"] == "path" && p["name"] == name && p["schema"]["type"] == "integer"
            });
        if integer { "1" } else { "x" }.to_string()
    })
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = spawn_app().await;
    // A page at `x`, so that `GET /api/pages/{path}` finds one.
    app.create_user("writer", "writer-password-1", Role::Pro)
        .await;
    let (_, token) = app.signed_in_client("writer", "writer-password-1").await;
    let created = reqwest::Client::new()
        .put(app.url("/api/pages/x"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "X", "body": "x", "public": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);

    let (_, value) = document(&app).await;
    for (method, path) in documented(&value) {
        let response = call(&app, &method, &documented_path(&value, &method, &path)).await;
        assert_ne!(
            response.status().as_u16(),
            404,
            "{method} {path} is documented but not served"
        );
    }
}

#[tokio::test]
async fn the_docs_page_renders_the_document_from_this_server_only() {
    let app = spawn_app_with(&[("TESSERA_API_DOCS", "true")]).await;
    let page = app.client.get(app.url("/docs/api")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script src="/docs/api/scalar.js">"#));
    assert!(!html.contains("https://cdn"), "nothing from a CDN");
    assert!(
        html.contains(r#""openapi":"3.1.0""#),
        "the document is embedded"
    );
    assert!(html.contains(&format!(r#""url":"{}""#, app.address)));

    let bundle = app
        .client
        .get(app.url("/docs/api/scalar.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status().as_u16(), 200);
    assert_eq!(bundle.headers()["content-encoding"], "gzip");
    let body = bundle.bytes().await.unwrap();
    assert_eq!(&body[..2], &[0x1f, 0x8b], "served as stored, gzipped");
}

#[tokio::test]
async fn the_docs_page_is_not_served_when_turned_off() {
    let app = spawn_app_with(&[("TESSERA_API_DOCS", "false")]).await;
    for path in ["/docs/api", "/docs/api/scalar.js"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 404, "{path}");
    }
    // The document itself is always there.
    let document = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(document.status().as_u16(), 200);
}
