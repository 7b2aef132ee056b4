//! Item 10: every malformed body gets the endpoint's own error shape: OAuth
//! JSON with `Cache-Control: no-store` at the OAuth endpoints, the API's JSON
//! on the API, the HTML error page on pages. Never actix's plain text.

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};
use tessera::oauth::registration::RegistrationPolicy;

use crate::helpers::{TestApp, new_client, spawn_app};
use crate::oauth::support::{Registration, register, token};

const FORM: &str = "application/x-www-form-urlencoded";
const TWO_MIB: usize = 2 * 1024 * 1024;

/// The form endpoints and a body each would take.
const FORM_ENDPOINTS: &[(&str, &str)] = &[
    ("/oauth/token", "grant_type=client_credentials"),
    ("/oauth/revoke", "token=abc"),
    ("/oauth/introspect", "token=abc"),
    ("/oauth/device_authorization", "client_id=abc"),
    ("/oauth/par", "response_type=code&client_id=abc"),
];

/// A malformed request: what is sent, and what it is, for failure messages.
struct Case {
    what: &'static str,
    content_type: Option<String>,
    body: Vec<u8>,
}

fn case(what: &'static str, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Case {
    Case {
        what,
        content_type: content_type.map(str::to_string),
        body: body.into(),
    }
}

/// Every way to send a form endpoint what it cannot read.
fn broken_forms(good: &str) -> Vec<Case> {
    let first = good.split('&').next().unwrap_or_default();
    let multipart =
        "--XyZ\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nabc\r\n--XyZ--\r\n";
    vec![
        case(
            "a repeated parameter",
            Some(FORM),
            format!("{good}&{first}"),
        ),
        case("JSON", Some("application/json"), r#"{"token":"abc"}"#),
        case(
            "multipart",
            Some("multipart/form-data; boundary=XyZ"),
            multipart,
        ),
        case("text/plain", Some("text/plain"), good),
        case("no content type", None, good),
        case(
            "a charset other than UTF-8",
            Some("application/x-www-form-urlencoded; charset=iso-8859-1"),
            good,
        ),
        case(
            "2 MiB",
            Some(FORM),
            format!("{good}&state={}", "a".repeat(TWO_MIB)),
        ),
        case("a stray %", Some(FORM), format!("{good}&state=%zz")),
        case("a cut escape", Some(FORM), format!("{good}&state=%4")),
        case(
            "percent-encoded bytes that are not UTF-8",
            Some(FORM),
            format!("{good}&state=%FF%FE"),
        ),
        case(
            "raw bytes that are not UTF-8",
            Some(FORM),
            [good.as_bytes(), b"&state=\xff"].concat(),
        ),
    ]
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    case: &Case,
) -> reqwest::Response {
    let mut request = new_client(app.port)
        .request(method, app.url(path))
        .body(case.body.clone());
    if let Some(content_type) = &case.content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    request.send().await.expect("the request is answered")
}

/// The OAuth error shape: JSON, never cached, with this error code.
async fn assert_oauth_error(response: reqwest::Response, code: &str, what: &str) -> String {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    assert_eq!(status, 400, "{what}: {text}");
    assert_eq!(headers[CONTENT_TYPE], "application/json", "{what}");
    assert_eq!(headers[CACHE_CONTROL], "no-store", "{what}");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: {text}"));
    assert_eq!(body["error"], code, "{what}: {text}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(!description.is_empty(), "{what}: {text}");
    description.to_string()
}

#[tokio::test]
async fn every_oauth_form_endpoint_refuses_every_malformed_body_as_oauth_json() {
    let app = spawn_app().await;
    for (path, good) in FORM_ENDPOINTS {
        for case in broken_forms(good) {
            let response = send(&app, reqwest::Method::POST, path, &case).await;
            let what = format!("{path} with {}", case.what);
            assert_oauth_error(response, "invalid_request", &what).await;
        }
    }
}

#[tokio::test]
async fn a_repeated_parameter_is_named_in_the_description() {
    let app = spawn_app().await;
    let registration = Registration {
        scopes: Some("content:read"),
        grant_types: Some(vec!["client_credentials"]),
        redirect_uris: vec![],
        ..Registration::default()
    };
    let client = register(&app, registration).await;
    let once = token(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(once.status(), 200);

    // RFC 6749 3.2: parameters MUST NOT be included more than once, even
    // when both copies agree and the client authenticates.
    let twice = token(
        &app,
        &client,
        &[
            ("grant_type", "client_credentials"),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    let description = assert_oauth_error(twice, "invalid_request", "grant_type twice").await;
    assert!(description.contains("`grant_type`"), "{description}");

    // A parameter the endpoint does not read is not allowed twice either,
    // and names are compared decoded.
    let hidden = send(
        &app,
        reqwest::Method::POST,
        "/oauth/par",
        &case(
            "a decoded repeat",
            Some(FORM),
            "response_type=code&client_id=a&redirect+uri=x&redirect%20uri=y",
        ),
    )
    .await;
    let description = assert_oauth_error(hidden, "invalid_request", "PAR").await;
    assert!(description.contains("`redirect uri`"), "{description}");
}

#[tokio::test]
async fn a_chunked_body_past_the_limit_is_refused_without_a_length() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = spawn_app().await;
    // Chunked: no Content-Length tells the size up front. 32 KiB in 1 KiB
    // chunks, twice the endpoint's limit, small enough to be sent whole.
    let mut request = format!(
        "POST /oauth/revoke HTTP/1.1\r\nHost: localhost:{}\r\nContent-Type: {FORM}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n6\r\ntoken=\r\n",
        app.port
    );
    for _ in 0..32 {
        request.push_str(&format!("400\r\n{}\r\n", "a".repeat(1024)));
    }
    request.push_str("0\r\n\r\n");
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(answer.starts_with("http/1.1 400"), "{answer}");
    assert!(
        answer.contains("content-type: application/json"),
        "{answer}"
    );
    assert!(answer.contains("cache-control: no-store"), "{answer}");
    assert!(answer.contains(r#""error":"invalid_request""#), "{answer}");
    assert!(answer.contains("larger than"), "{answer}");
}

/// Every way to send the registration endpoint what it cannot read, with
/// the code it answers.
fn broken_registrations() -> Vec<(Case, &'static str)> {
    let good = r#"{"redirect_uris":["https://app.example.com/cb"]}"#;
    vec![
        (
            case(
                "a repeated member",
                Some("application/json"),
                r#"{"redirect_uris":["https://a.example.com/cb"],"redirect_uris":["https://b.example.com/cb"]}"#,
            ),
            "invalid_client_metadata",
        ),
        (
            case("a form", Some(FORM), "redirect_uris=https%3A%2F%2Fa"),
            "invalid_request",
        ),
        (
            case("multipart", Some("multipart/form-data; boundary=XyZ"), good),
            "invalid_request",
        ),
        (
            case("text/plain", Some("text/plain"), good),
            "invalid_request",
        ),
        (case("no content type", None, good), "invalid_request"),
        (
            case(
                "2 MiB",
                Some("application/json"),
                format!(
                    r#"{{"redirect_uris":[],"client_name":"{}"}}"#,
                    "a".repeat(TWO_MIB)
                ),
            ),
            "invalid_request",
        ),
        (
            case(
                "bytes that are not UTF-8",
                Some("application/json"),
                b"{\"client_name\":\"\xff\"}".to_vec(),
            ),
            "invalid_client_metadata",
        ),
        (
            case("not JSON", Some("application/json"), "redirect_uris="),
            "invalid_client_metadata",
        ),
    ]
}

#[tokio::test]
async fn registration_refuses_every_malformed_body_as_oauth_json() {
    let app = spawn_app().await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .set_registration_policy(&site, RegistrationPolicy::Open)
        .await
        .unwrap();
    let registered: Value = new_client(app.port)
        .post(app.url("/oauth/register"))
        .json(&json!({"redirect_uris": ["https://app.example.com/cb"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let management = format!(
        "/oauth/register/{}",
        registered["client_id"].as_str().unwrap()
    );
    let access_token = registered["registration_access_token"].as_str().unwrap();

    for (case, code) in broken_registrations() {
        let response = send(&app, reqwest::Method::POST, "/oauth/register", &case).await;
        let what = format!("POST /oauth/register with {}", case.what);
        assert_oauth_error(response, code, &what).await;

        // RFC 7592: an update reads its body the same way.
        let mut request = new_client(app.port)
            .put(app.url(&management))
            .bearer_auth(access_token)
            .body(case.body.clone());
        if let Some(content_type) = &case.content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let what = format!("PUT {management} with {}", case.what);
        assert_oauth_error(request.send().await.unwrap(), code, &what).await;
    }
}

/// The API's error shape: JSON with `error` and `message`.
async fn assert_api_error(response: reqwest::Response, status: u16, what: &str) {
    assert_eq!(response.status().as_u16(), status, "{what}");
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "application/json",
        "{what}"
    );
    let body: Value = response.json().await.expect("API error JSON");
    assert!(body["error"].is_string(), "{what}: {body}");
    assert!(body["message"].is_string(), "{what}: {body}");
}

#[tokio::test]
async fn the_api_answers_unreadable_bodies_and_queries_in_its_own_shape() {
    let app = spawn_app().await;
    let client = new_client(app.port);
    for (what, content_type, body) in [
        ("broken JSON", "application/json", "{\"title\":"),
        ("a form", FORM, "title=x"),
        ("text/plain", "text/plain", "{}"),
    ] {
        let response = client
            .put(app.url("/api/pages/x"))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_api_error(response, 400, what).await;
    }

    let repeated = client
        .get(app.url("/api/users/authenticate?authtoken=a&authtoken=b"))
        .send()
        .await
        .unwrap();
    assert_api_error(repeated, 400, "a repeated query parameter").await;
    let forward = client
        .get(app.url("/auth/verify?require=content:read&require=admin"))
        .send()
        .await
        .unwrap();
    assert_api_error(forward, 400, "a repeated query parameter at /auth/verify").await;
}

/// The HTML error page, never cached.
async fn assert_error_page(response: reqwest::Response, status: u16, what: &str) {
    assert_eq!(response.status().as_u16(), status, "{what}");
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/html"),
        "{what}: {content_type}"
    );
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store", "{what}");
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"error-message\""), "{what}: {html}");
}

#[tokio::test]
async fn pages_answer_unreadable_forms_with_the_error_page() {
    let app = spawn_app().await;
    let client = new_client(app.port);
    let posts = [
        "/login",
        "/account/password",
        "/device",
        "/oauth/authorize",
        "/developers/new",
        "/admin/legacy/enable",
    ];
    for path in posts {
        for (what, content_type, body, status) in [
            (
                "text/plain",
                Some("text/plain"),
                "csrf_token=x".to_string(),
                400,
            ),
            ("JSON", Some("application/json"), "{}".to_string(), 400),
            ("no content type", None, "csrf_token=x".to_string(), 400),
            ("2 MiB", Some(FORM), "a".repeat(TWO_MIB), 413),
        ] {
            let mut request = client.post(app.url(path)).body(body);
            if let Some(content_type) = content_type {
                request = request.header(CONTENT_TYPE, content_type);
            }
            let what = format!("POST {path} with {what}");
            assert_error_page(request.send().await.unwrap(), status, &what).await;
        }
    }
    let repeated = client
        .post(app.url("/login"))
        .header(CONTENT_TYPE, FORM)
        .body("username=a&username=b&password=x&csrf_token=y")
        .send()
        .await
        .unwrap();
    assert_error_page(repeated, 400, "a repeated field").await;
}

#[tokio::test]
async fn a_malformed_authorization_request_shows_the_error_page() {
    let app = spawn_app().await;
    let response = new_client(app.port)
        .get(app.url("/oauth/authorize?response_type=code&client_id=a&client_id=b"))
        .send()
        .await
        .unwrap();
    assert_error_page(response, 400, "client_id twice").await;

    let path = new_client(app.port)
        .post(app.url("/account/sessions/not-a-number/end"))
        .header(CONTENT_TYPE, FORM)
        .body("csrf_token=x")
        .send()
        .await
        .unwrap();
    assert_error_page(path, 404, "a path that does not parse").await;
}
