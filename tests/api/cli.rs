use crate::helpers::spawn_app;

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[tokio::test]
async fn site_create_and_list_work_and_print_json() {
    let app = spawn_app().await;

    let created = app.cli(
        &[
            "site",
            "create",
            "docs",
            "--base-url",
            "https://docs.example.com",
            "--name",
            "Docs",
            "--alias",
            "docs.local:8080",
            "--json",
        ],
        None,
    );
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let site: serde_json::Value = serde_json::from_str(&stdout(&created)).unwrap();
    assert_eq!(site["slug"], "docs");
    assert_eq!(
        site["hosts"],
        serde_json::json!(["docs.example.com", "docs.local:8080"])
    );

    let listed = app.cli(&["site", "list", "--json"], None);
    assert_eq!(listed.status.code(), Some(0));
    let sites: Vec<serde_json::Value> = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(sites.len(), 2);
    assert!(
        sites
            .iter()
            .any(|s| s["slug"] == "docs" && s["base_url"] == "https://docs.example.com")
    );

    // The running server answers for the new site without a restart.
    let response = reqwest::Client::builder()
        .resolve("docs.local", ([127, 0, 0, 1], app.port).into())
        .build()
        .unwrap()
        .get(format!("http://docs.local:{}/healthz", app.port))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn site_create_rejects_bad_input_as_a_usage_error() {
    let app = spawn_app().await;
    for args in [
        vec![
            "site",
            "create",
            "Bad Slug",
            "--base-url",
            "https://x.example.com",
        ],
        vec!["site", "create", "ok", "--base-url", "ftp://x.example.com"],
        vec![
            "site",
            "create",
            "ok",
            "--base-url",
            "https://x.example.com/sub/path",
        ],
        vec![
            "site",
            "create",
            "ok",
            "--base-url",
            "https://x.example.com",
            "--alias",
            "a/b",
        ],
        vec!["site", "create", "ok"],
        vec!["site", "frobnicate"],
    ] {
        let output = app.cli(&args, None);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[tokio::test]
async fn a_duplicate_site_is_a_failure_with_one_line() {
    let app = spawn_app().await;
    let output = app.cli(
        &[
            "site",
            "create",
            "default",
            "--base-url",
            "https://other.example.com",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr(&output).trim().lines().count(), 1);
}

#[tokio::test]
async fn user_create_with_a_password_from_stdin_can_sign_in() {
    let app = spawn_app().await;
    let output = app.cli(
        &[
            "user",
            "create",
            "--site",
            "default",
            "carol",
            "--role",
            "pro",
            "--email",
            "carol@example.com",
            "--password-stdin",
        ],
        Some("carol-password-1\n"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stdout(&output).contains("carol-password-1"));

    let response = app.post_login("carol", "carol-password-1").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(app.current_user_with(&app.client).await["role"], "pro");
}

#[tokio::test]
async fn user_create_without_a_password_prints_a_generated_one_once() {
    let app = spawn_app().await;
    let output = app.cli(
        &["user", "create", "--site", "default", "dave", "--json"],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let created: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let password = created["password"].as_str().unwrap().to_string();
    assert_eq!(created["role"], "community");

    let response = app.post_login("dave", &password).await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn user_commands_reject_bad_input_as_a_usage_error() {
    let app = spawn_app().await;
    for (args, stdin) in [
        (
            vec![
                "user", "create", "--site", "default", "erin", "--role", "root",
            ],
            None,
        ),
        (vec!["user", "create", "--site", "default", "=erin"], None),
        (
            vec![
                "user",
                "create",
                "--site",
                "default",
                "erin",
                "--password-stdin",
            ],
            Some("short\n"),
        ),
        (vec!["user", "create", "erin"], None),
        (
            vec!["user", "set-password", "--site", "default", "admin"],
            None,
        ),
    ] {
        let output = app.cli(&args, stdin);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[tokio::test]
async fn user_commands_on_unknown_things_fail_with_exit_code_1() {
    let app = spawn_app().await;
    let unknown_site = app.cli(&["user", "list", "--site", "nope"], None);
    assert_eq!(unknown_site.status.code(), Some(1));
    assert!(stderr(&unknown_site).contains("no site `nope`"));
    let unknown_user = app.cli(&["user", "disable", "--site", "default", "ghost"], None);
    assert_eq!(unknown_user.status.code(), Some(1));
    app.cli(&["user", "create", "--site", "default", "frank"], None);
    let duplicate = app.cli(&["user", "create", "--site", "default", "frank"], None);
    assert_eq!(duplicate.status.code(), Some(1));
}

#[tokio::test]
async fn user_list_and_set_password_work() {
    let app = spawn_app().await;
    app.cli(&["user", "create", "--site", "default", "gina"], None);

    let set = app.cli(
        &[
            "user",
            "set-password",
            "--site",
            "default",
            "gina",
            "--password-stdin",
        ],
        Some("gina-password-9"),
    );
    assert_eq!(set.status.code(), Some(0), "{}", stderr(&set));
    let listed = app.cli(&["user", "list", "--site", "default", "--json"], None);
    let users: Vec<serde_json::Value> = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(users.len(), 2);
    assert!(
        users
            .iter()
            .any(|u| u["username"] == "gina" && u["disabled"] == false)
    );

    let response = app.post_login("gina", "gina-password-9").await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn migrate_succeeds_on_an_up_to_date_store() {
    let app = spawn_app().await;
    let output = app.cli(&["migrate"], None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
