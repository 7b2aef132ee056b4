//! `GET /auth/verify`, called directly and from behind a real nginx.

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tessera::oauth::ClientSettings;
use tessera::users::{Permission, Permissions, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, spawn_app};

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.unwrap()
}

fn verify_request(app: &TestApp, query: &str) -> reqwest::RequestBuilder {
    verify_on(&reqwest::Client::new(), app, query)
}

/// `verify_request` through `proxy`, whose kept-alive connection puts every
/// ask on one worker.
fn verify_on(proxy: &reqwest::Client, app: &TestApp, query: &str) -> reqwest::RequestBuilder {
    proxy
        .get(app.url(&format!("/auth/verify{query}")))
        .header("X-Forwarded-Host", format!("localhost:{}", app.port))
}

/// A client-credentials access token for a new confidential client.
async fn client_token(app: &TestApp, scope: &str) -> String {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let registered = app
        .state
        .oauth
        .clients
        .register(
            &site,
            ClientSettings {
                name: "Robot".into(),
                homepage_url: None,
                redirect_uris: vec![],
                scopes: Some("content:read content:write".into()),
                grant_types: Some(vec!["client_credentials".into()]),
            },
            true,
            None,
            &tessera::audit::Actor::Cli,
        )
        .await
        .unwrap();
    // Without an owner, the robot acts with what an admin grants it.
    app.state
        .oauth
        .clients
        .grant_permissions(
            &site,
            &registered.client.client_id,
            Permissions::of(&[Permission::ContentRead, Permission::ContentWrite]),
            &tessera::audit::Actor::Cli,
        )
        .await
        .unwrap();
    let secret = registered.secret.unwrap().into_inner();
    let response: serde_json::Value = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .basic_auth(&registered.client.client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_signed_in_cookie_passes_with_identity_headers() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (_, token) = app.signed_in_client("alice", "alice-password-1").await;

    let response =
        send(verify_request(&app, "").header("Cookie", format!("authtoken={token}"))).await;

    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers();
    assert_eq!(headers["x-tessera-user"], "alice");
    assert_eq!(headers["x-tessera-credential"], "authtoken");
    assert_eq!(headers["x-tessera-site"], "default");
    assert!(
        headers["x-tessera-permissions"]
            .to_str()
            .unwrap()
            .contains("content:write")
    );
}

#[tokio::test]
async fn anonymous_requests_get_401() {
    let app = spawn_app().await;
    let response = send(verify_request(&app, "")).await;
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn a_missing_required_permission_gets_403() {
    let app = spawn_app().await;
    app.create_user("carol", "carol-password-1", Role::Community)
        .await;
    let (_, token) = app.signed_in_client("carol", "carol-password-1").await;

    let denied = send(verify_request(&app, "?require=content:write").bearer_auth(&token)).await;
    assert_eq!(denied.status().as_u16(), 403);
    let allowed = send(verify_request(&app, "?require=account:read").bearer_auth(&token)).await;
    assert_eq!(allowed.status().as_u16(), 200);
    let nonsense = send(verify_request(&app, "?require=root").bearer_auth(&token)).await;
    assert_eq!(nonsense.status().as_u16(), 400);
}

#[tokio::test]
async fn an_oauth_access_token_passes_with_its_scopes() {
    let app = spawn_app().await;
    let token = client_token(&app, "content:read").await;

    let response = send(verify_request(&app, "?require=content:read").bearer_auth(&token)).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["x-tessera-credential"], "oauth");
    assert_eq!(response.headers()["x-tessera-permissions"], "content:read");

    let write = send(verify_request(&app, "?require=content:write").bearer_auth(&token)).await;
    assert_eq!(write.status().as_u16(), 403);
    let forged = send(verify_request(&app, "").bearer_auth(format!("{token}x"))).await;
    assert_eq!(forged.status().as_u16(), 401);
}

#[tokio::test]
async fn the_json_form_gives_the_same_answer() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (_, token) = app.signed_in_client("alice", "alice-password-1").await;

    let response = send(
        verify_request(&app, "")
            .bearer_auth(&token)
            .header("Accept", "application/json"),
    )
    .await;

    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(body["credential"], "authtoken");
    assert_eq!(body["site"], "default");
}

#[tokio::test]
async fn credentials_of_site_a_do_not_pass_for_site_b() {
    let app = spawn_app().await;
    app.create_site("b", "http://site-b.localhost", "site-b.localhost")
        .await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (_, token) = app.signed_in_client("alice", "alice-password-1").await;

    let response = reqwest::Client::new()
        .get(app.url("/auth/verify"))
        .header("X-Forwarded-Host", format!("site-b.localhost:{}", app.port))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 401);
}

/// An upstream that echoes the identity headers nginx passed to it.
async fn echo_upstream() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_lowercase();
                let header = |name: &str| {
                    request
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix(&format!("{name}: "))
                                .map(str::trim)
                                .map(str::to_string)
                        })
                        .unwrap_or_default()
                };
                let body = format!(
                    "user={};credential={}",
                    header("x-user"),
                    header("x-credential")
                );
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    port
}

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_nginx(
    dir: &Path,
    port: u16,
    app_port: u16,
    upstream_port: u16,
    site_host: &str,
) -> Option<Nginx> {
    let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(binary) = binary else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the nginx test: install nginx"
        );
        eprintln!("skipping nginx test: nginx is not installed");
        return None;
    };
    let d = dir.display();
    let config = format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            auth_request /_tessera;
            auth_request_set $tessera_user $upstream_http_x_tessera_user;
            auth_request_set $tessera_credential $upstream_http_x_tessera_credential;
            proxy_set_header X-User $tessera_user;
            proxy_set_header X-Credential $tessera_credential;
            proxy_pass http://127.0.0.1:{upstream_port};
        }}
        location = /_tessera {{
            internal;
            proxy_pass http://127.0.0.1:{app_port}/auth/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Forwarded-Host {site_host};
            proxy_set_header X-Original-URI $request_uri;
        }}
    }}
}}
"#
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, config).unwrap();
    let child = Command::new(binary)
        .arg("-c")
        .arg(&path)
        .arg("-p")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nginx starts");
    Some(Nginx(child))
}

#[tokio::test]
async fn nginx_auth_request_lets_valid_credentials_through_and_refuses_the_rest() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (_, authtoken) = app.signed_in_client("alice", "alice-password-1").await;
    let oauth = client_token(&app, "content:read").await;
    let upstream = echo_upstream().await;
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let site_host = format!("localhost:{}", app.port);
    let Some(_nginx) = start_nginx(dir.path(), port, app.port, upstream, &site_host) else {
        return;
    };
    let proxy = format!("http://127.0.0.1:{port}/docs/page");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if client.get(&proxy).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        ready,
        "nginx did not start: {}",
        std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
    );

    let with_cookie = client
        .get(&proxy)
        .header("Cookie", format!("authtoken={authtoken}"))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status().as_u16(), 200);
    assert_eq!(
        with_cookie.text().await.unwrap(),
        "user=alice;credential=authtoken"
    );

    let with_oauth = client.get(&proxy).bearer_auth(&oauth).send().await.unwrap();
    assert_eq!(with_oauth.status().as_u16(), 200);
    assert_eq!(with_oauth.text().await.unwrap(), "user=;credential=oauth");

    let anonymous = client.get(&proxy).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let forged = client
        .get(&proxy)
        .bearer_auth(format!("{oauth}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    let tampered_cookie = client
        .get(&proxy)
        .header("Cookie", format!("authtoken={authtoken}0"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered_cookie.status().as_u16(), 401);
}

// ----- answers remembered by each worker (routes/forward_auth/answers.rs) -----

/// Asks about an authtoken over `proxy`'s kept-alive connection, so one
/// worker answers each time: the status and `X-Tessera-Permissions`.
async fn ask(app: &TestApp, proxy: &reqwest::Client, authtoken: &str) -> (u16, String) {
    let response = verify_on(proxy, app, "")
        .header("Cookie", format!("authtoken={authtoken}"))
        .send()
        .await
        .unwrap();
    let permissions = response
        .headers()
        .get("x-tessera-permissions")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (response.status().as_u16(), permissions)
}

/// How many asks were answered from a worker's memory so far.
fn remembered(app: &TestApp) -> u64 {
    app.state.cache.forward_auth_answers.read().0
}

#[tokio::test]
async fn a_remembered_answer_follows_the_users_role_and_session_at_once() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (browser, token) = app.signed_in_client("alice", "alice-password-1").await;
    let proxy = reqwest::Client::new();
    for _ in 0..3 {
        let (status, permissions) = ask(&app, &proxy, &token).await;
        assert_eq!(status, 200);
        assert!(permissions.contains("content:write"), "{permissions}");
    }
    assert!(remembered(&app) >= 1, "later asks are answered from memory");

    app.state
        .users
        .set_role(app.default_site_id(), alice, Role::Community)
        .await
        .unwrap();
    let (status, permissions) = ask(&app, &proxy, &token).await;
    assert_eq!(status, 200);
    assert_eq!(permissions, "account:read account:write", "the new role");

    assert_eq!(app.sign_out(&browser).await.status().as_u16(), 303);
    assert_eq!(ask(&app, &proxy, &token).await.0, 401, "signed out");
}

#[tokio::test]
async fn a_remembered_answer_ends_when_the_authtoken_does() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (_, token) = app.signed_in_client("alice", "alice-password-1").await;
    let proxy = reqwest::Client::new();
    for _ in 0..3 {
        assert_eq!(ask(&app, &proxy, &token).await.0, 200);
    }
    assert!(remembered(&app) >= 1);

    app.clock.advance(7 * 24 * 3600 + 1);
    assert_eq!(ask(&app, &proxy, &token).await.0, 401, "expired");
}

#[tokio::test]
async fn a_remembered_answer_is_not_given_for_another_site() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    app.create_site("other", "http://other.test", "other.test")
        .await;
    let (_, token) = app.signed_in_client("alice", "alice-password-1").await;
    let proxy = reqwest::Client::new();
    for _ in 0..3 {
        assert_eq!(ask(&app, &proxy, &token).await.0, 200);
    }
    let elsewhere = proxy
        .get(app.url("/auth/verify"))
        .header("X-Forwarded-Host", "other.test")
        .header("Cookie", format!("authtoken={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status().as_u16(), 401);
}
