use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::*;

/// The messages of one language's catalog files (one line each: `id =
/// value` at the start of a line), with the variables each refers to.
fn messages(lang: &str) -> BTreeMap<String, BTreeSet<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(lang);
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("the catalog directory") {
        let path = entry.expect("a catalog file").path();
        if path.extension().is_none_or(|e| e != "ftl") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a readable catalog");
        for line in text.lines() {
            let Some((id, value)) = line.split_once('=') else {
                continue;
            };
            let id = id.trim_end();
            let starts_message = line.starts_with(|c: char| c.is_ascii_alphabetic())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !starts_message {
                continue;
            }
            let variables = value
                .split("{ $")
                .skip(1)
                .filter_map(|rest| rest.split_once(' ').map(|(name, _)| name.to_string()))
                .collect();
            let twice = found.insert(id.to_string(), variables).is_some();
            assert!(!twice, "{lang}: `{id}` defined twice");
        }
    }
    found
}

#[test]
fn german_has_every_english_message_and_no_other() {
    let en = messages("en");
    let de = messages("de");
    assert!(
        en.len() > 100,
        "the English catalog looks empty: {}",
        en.len()
    );
    let missing: Vec<_> = en.keys().filter(|k| !de.contains_key(*k)).collect();
    let extra: Vec<_> = de.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(missing.is_empty(), "German lacks: {missing:?}");
    assert!(
        extra.is_empty(),
        "German has messages English lacks: {extra:?}"
    );
}

#[test]
fn both_languages_fill_in_the_same_arguments() {
    let de = messages("de");
    for (key, variables) in messages("en") {
        assert_eq!(de.get(&key), Some(&variables), "`{key}`: arguments differ");
    }
}

#[test]
fn every_message_resolves_in_every_language() {
    for (key, variables) in messages("en") {
        let args: HashMap<String, FluentValue> = variables
            .into_iter()
            .map(|name| (name, FluentValue::from("x")))
            .collect();
        for locale in Locale::ALL {
            let found = CATALOGS.lookup_single_language(locale.id(), &key, Some(&args));
            assert!(
                found.is_ok(),
                "{locale}: `{key}` does not resolve: {found:?}"
            );
        }
    }
}

#[test]
fn messages_fill_in_their_arguments_without_isolation_marks() {
    let text = Locale::De.t1("choose-continue-as", "name", "Ada");
    assert_eq!(text, "Weiter als Ada");
    assert_eq!(
        Locale::En.t1("choose-continue-as", "name", "Ada"),
        "Continue as Ada"
    );
}

#[test]
fn an_unknown_key_shows_itself() {
    assert_eq!(Locale::De.t("no-such-message"), "no-such-message");
}

#[test]
fn tags_parse_exactly() {
    assert_eq!(Locale::parse("de"), Some(Locale::De));
    assert_eq!(Locale::parse("en"), Some(Locale::En));
    assert_eq!(Locale::parse("DE"), None);
    assert_eq!(Locale::parse("fr"), None);
}

/// The keys of `t("…")`, `t1("…"` and `t2(…"…"` calls in a source text.
fn keys_called(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for call in ["t(", "t1(", "t2("] {
        for (at, _) in text.match_indices(call) {
            let rest = text[at + call.len()..].trim_start();
            if text[..at].ends_with('.')
                && let Some(rest) = rest.strip_prefix('"')
                && let Some((key, _)) = rest.split_once('"')
            {
                keys.push(key.to_string());
            }
        }
    }
    keys
}

fn source_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path
            .extension()
            .is_some_and(|e| e == "rs" || e == "html" || e == "txt")
        {
            found.push(path);
        }
    }
}

#[test]
fn every_message_the_templates_and_code_ask_for_exists() {
    let catalog = messages("en");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    source_files(&root.join("templates"), &mut files);
    source_files(&root.join("src"), &mut files);
    let mut asked = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a readable file");
        for key in keys_called(&text) {
            asked += 1;
            // This file's own examples.
            if key == "no-such-message" || key == "key" {
                continue;
            }
            assert!(
                catalog.contains_key(&key),
                "{}: `{key}` is in no catalog",
                file.display()
            );
        }
    }
    assert!(asked > 300, "only {asked} calls found");
}
