//! Unit tests of `settings.rs`.
use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn production_without_master_key_is_refused() {
    let err = Settings::from_vars(&vars(&[("TESSERA_ENV", "production")]), None)
        .err()
        .map(|e| e.variable);
    assert_eq!(err, Some("TESSERA_MASTER_KEY"));
}

#[test]
fn bad_listen_address_names_the_variable() {
    let key = MasterKey::generate().to_base64();
    let err = Settings::from_vars(
        &vars(&[
            ("TESSERA_LISTEN", "localhost"),
            ("TESSERA_MASTER_KEY", &key),
        ]),
        None,
    )
    .err()
    .map(|e| e.variable);
    assert_eq!(err, Some("TESSERA_LISTEN"));
}

#[test]
fn short_master_key_is_refused() {
    let err = Settings::from_vars(&vars(&[("TESSERA_MASTER_KEY", "c2hvcnQ=")]), None)
        .err()
        .map(|e| e.variable);
    assert_eq!(err, Some("TESSERA_MASTER_KEY"));
}

#[test]
fn a_development_key_is_generated_once_private_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let path_str = path.display().to_string();
    let env = vars(&[("TESSERA_MASTER_KEY_FILE", &path_str)]);

    let first = Settings::from_vars(&env, None).unwrap();
    assert!(matches!(
        first.master_key_source,
        MasterKeySource::Generated(_)
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let second = Settings::from_vars(&env, None).unwrap();
    assert!(matches!(second.master_key_source, MasterKeySource::File(_)));
    assert_eq!(first.master_key.to_base64(), second.master_key.to_base64());
}

#[test]
fn a_toml_file_is_read_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tessera.toml");
    let key = MasterKey::generate().to_base64();
    std::fs::write(
        &file,
        format!("listen = \"127.0.0.1:9999\"\nbase_url = \"https://file.example.com\"\nmaster_key = \"{key}\"\n"),
    )
    .unwrap();
    let settings =
        Settings::from_vars(&vars(&[("TESSERA_LISTEN", "127.0.0.1:7777")]), Some(&file)).unwrap();
    assert_eq!(settings.listen.port(), 7777);
    assert_eq!(settings.base_url.as_str(), "https://file.example.com/");
    assert!(!settings.outbound_allow_private, "off by default");
}

#[test]
fn metrics_are_off_by_default_and_never_on_the_main_listener() {
    let key = MasterKey::generate().to_base64();
    let metrics = |pairs: &[(&str, &str)]| {
        let mut all = vars(pairs);
        all.insert("TESSERA_MASTER_KEY".into(), key.clone());
        Settings::from_vars(&all, None)
            .map(|s| s.metrics_listen.map(|a| a.to_string()))
            .map_err(|e| e.variable)
    };
    assert_eq!(metrics(&[]), Ok(None));
    assert_eq!(
        metrics(&[("TESSERA_METRICS_LISTEN", "127.0.0.1:9464")]),
        Ok(Some("127.0.0.1:9464".into()))
    );
    assert_eq!(
        metrics(&[
            ("TESSERA_LISTEN", "127.0.0.1:9464"),
            ("TESSERA_METRICS_LISTEN", "127.0.0.1:9464")
        ]),
        Err("TESSERA_METRICS_LISTEN")
    );
    assert_eq!(
        metrics(&[("TESSERA_METRICS_LISTEN", "9464")]),
        Err("TESSERA_METRICS_LISTEN")
    );
}

#[test]
fn an_otlp_endpoint_must_be_an_http_url() {
    let key = MasterKey::generate().to_base64();
    let endpoint = |value: &str| {
        Settings::from_vars(
            &vars(&[
                ("TESSERA_MASTER_KEY", &key),
                ("TESSERA_OTLP_ENDPOINT", value),
            ]),
            None,
        )
        .map(|s| s.otlp_endpoint.map(|u| u.to_string()))
        .map_err(|e| e.variable)
    };
    assert_eq!(
        endpoint("http://127.0.0.1:4318"),
        Ok(Some("http://127.0.0.1:4318/".into()))
    );
    assert_eq!(endpoint("collector:4318"), Err("TESSERA_OTLP_ENDPOINT"));
}

#[test]
fn private_outbound_targets_are_an_explicit_choice() {
    let key = MasterKey::generate().to_base64();
    let allowed = |value: &str| {
        Settings::from_vars(
            &vars(&[
                ("TESSERA_MASTER_KEY", &key),
                ("TESSERA_OUTBOUND_ALLOW_PRIVATE", value),
            ]),
            None,
        )
        .map(|s| s.outbound_allow_private)
        .map_err(|e| e.variable)
    };
    assert_eq!(allowed("true"), Ok(true));
    assert_eq!(allowed("false"), Ok(false));
    assert_eq!(allowed("maybe"), Err("TESSERA_OUTBOUND_ALLOW_PRIVATE"));
}

#[test]
fn the_api_docs_page_is_off_in_production_unless_asked_for() {
    let key = MasterKey::generate().to_base64();
    let docs = |pairs: &[(&str, &str)]| {
        let mut pairs = pairs.to_vec();
        pairs.push(("TESSERA_MASTER_KEY", &key));
        Settings::from_vars(&vars(&pairs), None).map(|s| s.api_docs)
    };
    assert!(docs(&[]).unwrap(), "on in development");
    assert!(!docs(&[("TESSERA_ENV", "production")]).unwrap());
    assert!(docs(&[("TESSERA_ENV", "production"), ("TESSERA_API_DOCS", "true")]).unwrap());
    assert!(!docs(&[("TESSERA_API_DOCS", "false")]).unwrap());
}

#[test]
fn rate_limits_and_redis_are_read_and_checked() {
    let key = MasterKey::generate().to_base64();
    let load = |pairs: &[(&str, &str)]| {
        let mut all = vec![("TESSERA_MASTER_KEY", key.as_str())];
        all.extend_from_slice(pairs);
        Settings::from_vars(&vars(&all), None)
    };
    let settings = load(&[
        ("TESSERA_RATE_LIMITS", "token.per_client=100/s"),
        ("TESSERA_REDIS_URL", "redis://127.0.0.1:6379"),
    ])
    .unwrap();
    assert_eq!(settings.rate_limits.to_spec(), "token.per_client=100/s");
    assert_eq!(settings.redis_key_prefix, DEFAULT_REDIS_KEY_PREFIX);
    let variable = |pairs: &[(&str, &str)]| load(pairs).err().map(|e| e.variable);
    assert_eq!(
        variable(&[("TESSERA_RATE_LIMITS", "token.per_client=fast")]),
        Some("TESSERA_RATE_LIMITS")
    );
    assert_eq!(
        variable(&[("TESSERA_REDIS_URL", "http://127.0.0.1:6379")]),
        Some("TESSERA_REDIS_URL")
    );
}

#[test]
fn smtp_settings_are_optional_and_name_their_variable_when_wrong() {
    let key = MasterKey::generate().to_base64();
    let off = Settings::from_vars(&vars(&[("TESSERA_MASTER_KEY", &key)]), None).unwrap();
    assert!(off.smtp.is_none());
    let on = Settings::from_vars(
        &vars(&[
            ("TESSERA_MASTER_KEY", &key),
            ("TESSERA_SMTP_URL", "smtps://mailer:secret@mail.example.com"),
            ("TESSERA_SMTP_FROM", "Docs <no-reply@docs.example.com>"),
        ]),
        None,
    )
    .unwrap();
    let smtp = on.smtp.unwrap();
    assert_eq!(smtp.describe(), "mail.example.com:465 (tls: tls)");
    assert!(!format!("{smtp:?}").contains("secret"));
    let bad = Settings::from_vars(
        &vars(&[
            ("TESSERA_MASTER_KEY", &key),
            ("TESSERA_SMTP_HOST", "mail.example.com"),
            ("TESSERA_SMTP_TLS", "sometimes"),
        ]),
        None,
    )
    .err()
    .map(|e| e.variable);
    assert_eq!(bad, Some("TESSERA_SMTP_TLS"));
}
