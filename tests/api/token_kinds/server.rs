//! Server API tokens that work: the spec vectors, independently signed
//! tokens on the content API, just-in-time users, the sign-in link and the
//! admin commands.

use serde_json::json;
use tessera::users::Role;

use super::{DEKI_TOKEN, sign, stderr, stdout};
use crate::helpers::{cookie_value, spawn_app};

const KEY: &str = "8b7e3f0a2c";
const SECRET: &str = "s3cr3t-0123456789abcdef";
const EPOCH: i64 = 1_700_000_000;

#[tokio::test]
async fn the_three_spec_vectors_act_as_their_users() {
    let app = spawn_app().await;
    let site = app.default_site_id();
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    app.create_user("jörg o'neil", "jorg-password-1", Role::Community)
        .await;
    app.create_users_until(42).await;
    let user_42 = app
        .create_user("forty-two", "forty-two-pass", Role::Admin)
        .await;
    assert_eq!(user_42, 42);
    app.server_token_with(site, KEY, SECRET).await;
    app.clock.set(EPOCH);

    for (token, username) in [
        (
            "tkn_8b7e3f0a2c_1700000000_=alice_c9907e2f2c9054f1e0d6f483dc393a003af0af66510c91e7b9f77d4ff556dd4e",
            "alice",
        ),
        (
            "tkn_8b7e3f0a2c_1700000000_42_7aa6673919bc176a758b1b1dd586140a87b0bed936315b05a1ffe97ded469743",
            "forty-two",
        ),
        (
            "tkn_8b7e3f0a2c_1700000000_=j%C3%B6rg%20o%27neil_2df17a581daa4f2320e912d614cf4ec61ab9df7e9cade3089944e1a172d58f4c",
            "jörg o'neil",
        ),
    ] {
        let (status, me) = app.current_with_token(token).await;
        assert_eq!(status, 200, "{token}: {me}");
        assert_eq!(me["credential"], "server");
        assert_eq!(me["username"], username);
    }
    // The test's own HMAC agrees with the vectors.
    assert!(
        sign(KEY, SECRET, EPOCH, "=alice")
            .ends_with("c9907e2f2c9054f1e0d6f483dc393a003af0af66510c91e7b9f77d4ff556dd4e")
    );
}

#[tokio::test]
async fn a_server_token_acts_with_the_named_users_role_on_the_content_api() {
    let app = spawn_app().await;
    let pro = app
        .create_user("writer", "writer-password-1", Role::Pro)
        .await;
    app.create_user("reader", "reader-password-1", Role::Community)
        .await;
    let (key, secret) = app.server_token(app.default_site_id(), None, false).await;

    let as_writer = sign(&key, &secret, app.now(), &pro.to_string());
    let created = reqwest::Client::new()
        .put(app.url("/api/pages/ops/runbook"))
        .header(DEKI_TOKEN, &as_writer)
        .json(&json!({"title": "Runbook", "body": "restart it", "public": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let page: serde_json::Value = created.json().await.unwrap();
    assert_eq!(page["author_id"], pro);

    let as_reader = sign(&key, &secret, app.now(), "=reader");
    let refused = reqwest::Client::new()
        .put(app.url("/api/pages/ops/runbook"))
        .header(DEKI_TOKEN, &as_reader)
        .json(&json!({"title": "Mine", "body": "now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let private = reqwest::Client::new()
        .get(app.url("/api/pages/ops/runbook"))
        .header(DEKI_TOKEN, &as_reader)
        .send()
        .await
        .unwrap();
    assert_eq!(private.status().as_u16(), 403);
    let (_, me) = app.current_with_token(&as_reader).await;
    assert_eq!(me["role"], "community");
}

#[tokio::test]
async fn upper_case_signatures_and_underscored_usernames_verify() {
    let app = spawn_app().await;
    app.create_user("a_b_c", "a-b-c-password", Role::Pro).await;
    let (key, secret) = app.server_token(app.default_site_id(), None, false).await;
    let token = sign(&key, &secret, app.now(), "=a_b_c");
    let (body, sig) = token.rsplit_once('_').unwrap();
    let upper = format!("{body}_{}", sig.to_ascii_uppercase());
    let (status, me) = app.current_with_token(&upper).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "a_b_c");
}

#[tokio::test]
async fn a_restricted_token_acts_as_its_own_user() {
    let app = spawn_app().await;
    let bot = app.create_user("bot", "bot-password-12", Role::Pro).await;
    let (key, secret) = app
        .server_token(app.default_site_id(), Some(bot), false)
        .await;
    let (status, me) = app
        .current_with_token(&sign(&key, &secret, app.now(), "=bot"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["id"], bot);
}

#[tokio::test]
async fn a_jit_token_creates_an_unknown_user_as_community() {
    let app = spawn_app().await;
    let (key, secret) = app.server_token(app.default_site_id(), None, true).await;
    let token = sign(&key, &secret, app.now(), "=new%20person");
    let (status, me) = app.current_with_token(&token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "new person");
    assert_eq!(me["role"], "community");
    // The second use finds the same user.
    let again = sign(&key, &secret, app.now(), "=new%20person");
    assert_eq!(app.current_with_token(&again).await.1["id"], me["id"]);
}

#[tokio::test]
async fn the_header_wins_over_the_cookie_and_says_so() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    app.create_user("bob", "bob-password-12", Role::Community)
        .await;
    let (client, _) = app.signed_in_client("alice", "alice-password-1").await;
    let (key, secret) = app.server_token(app.default_site_id(), None, false).await;
    let (status, me) = app
        .current_with_header(
            &client,
            &app.url("/api/users/current"),
            DEKI_TOKEN,
            &sign(&key, &secret, app.now(), "=bob"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "bob");
    assert_eq!(me["credential"], "server");
    assert_eq!(app.current_user_with(&client).await["username"], "alice");
}

#[tokio::test]
async fn the_sign_in_link_starts_a_session_and_redirects_on_the_same_site() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (key, secret) = app.server_token(app.default_site_id(), None, false).await;
    let client = crate::helpers::new_client(app.port);
    let token = sign(&key, &secret, app.now(), "=alice");
    let response = client
        .get(app.url("/api/users/authenticate"))
        .query(&[("x-deki-token", token.as_str()), ("redirect", "/account")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/account");
    assert!(cookie_value(response.headers(), "authtoken").is_some());
    let me = app.current_user_with(&client).await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["credential"], "authtoken");

    // Never to another host. (A new link: each one works once.)
    app.clock.advance(1);
    let token = sign(&key, &secret, app.now(), "=alice");
    let response = client
        .get(app.url("/api/users/authenticate"))
        .query(&[
            ("x-deki-token", token.as_str()),
            ("redirect", "https://evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/");
}

#[tokio::test]
async fn server_token_commands_create_list_and_revoke() {
    let app = spawn_app().await;
    app.create_user("bot", "bot-password-12", Role::Pro).await;
    let created = app.cli(
        &[
            "server-token",
            "create",
            "--site",
            "default",
            "--name",
            "ci",
            "--user",
            "bot",
            "--json",
        ],
        None,
    );
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let token: serde_json::Value = serde_json::from_str(&stdout(&created)).unwrap();
    let key = token["key"].as_str().unwrap().to_string();
    let secret = token["secret"].as_str().unwrap().to_string();
    assert!(!key.contains('_'));
    assert_eq!(token["user"], "bot");

    let signed = sign(&key, &secret, app.now(), "=bot");
    assert_eq!(app.current_with_token(&signed).await.0, 200);

    let listed = app.cli(
        &["server-token", "list", "--site", "default", "--json"],
        None,
    );
    let list: Vec<serde_json::Value> = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["key"], key.as_str());
    assert!(list[0].get("secret").is_none());
    assert!(!stdout(&listed).contains(&secret));

    // The secret is stored sealed, never in plain text.
    let stored = app
        .state
        .store
        .list_server_tokens(app.default_site_id())
        .await
        .unwrap();
    assert!(!stored[0].sealed_secret.contains(&secret));

    let revoked = app.cli(&["server-token", "revoke", "--site", "default", &key], None);
    assert_eq!(revoked.status.code(), Some(0), "{}", stderr(&revoked));
    // Another process revoked it: the change feed reaches this one.
    let mut status = 200;
    for _ in 0..100 {
        let signed = sign(&key, &secret, app.now(), "=bot");
        status = app.current_with_token(&signed).await.0;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 401);

    let again = app.cli(&["server-token", "revoke", "--site", "default", &key], None);
    assert_eq!(again.status.code(), Some(1));
    let unknown_user = app.cli(
        &[
            "server-token",
            "create",
            "--site",
            "default",
            "--user",
            "nobody",
        ],
        None,
    );
    assert_eq!(unknown_user.status.code(), Some(2));
    let unknown_site = app.cli(&["server-token", "list", "--site", "nope"], None);
    assert_eq!(unknown_site.status.code(), Some(1));
}

#[tokio::test]
async fn a_server_tokens_last_use_is_recorded_without_a_write_per_request() {
    let app = spawn_app().await;
    app.create_user("bot", "bot-password-12", Role::Pro).await;
    let site = app.default_site_id();
    let (key, secret) = app.server_token(site, None, false).await;
    let used_at = app.now();
    for _ in 0..3 {
        let token = sign(&key, &secret, app.now(), "=bot");
        assert_eq!(app.current_with_token(&token).await.0, 200);
    }
    app.state.token_kinds.flush_usage().await.unwrap();
    let stored = app.state.store.list_server_tokens(site).await.unwrap();
    assert_eq!(stored[0].last_used_at, Some(used_at));
}
