//! The languages of pages and emails.
//!
//! Every string a person reads is a message in a Fluent catalog
//! (`locales/<lang>/*.ftl`), embedded in the binary at compile time. A
//! request's [`Locale`] is chosen once ([`negotiate`]): the user's saved
//! choice, then the browser's `Accept-Language`, then the site's default.
//! Templates ask the page frame for each string (`chrome.t("key")`).

mod dates;
mod negotiate;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, langid};

pub use negotiate::negotiate;

fluent_templates::static_loader! {
    static CATALOGS = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: every language here
        // is written left to right, and the marks would end up in values
        // such as email subjects.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static DE: LanguageIdentifier = langid!("de");

/// A language Tessera's pages and emails are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    En,
    De,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::De];
    /// For error messages: the tags a setting accepts.
    pub const NAMES: &'static str = "en or de";

    /// The BCP 47 tag (`<html lang>`, the stored value).
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::De => "de",
        }
    }

    /// A stored or submitted tag: exactly one of [`Locale::ALL`]'s.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == raw)
    }

    /// The language of a tag from `Accept-Language` (`de-AT` is German).
    fn from_language_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        Self::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(primary))
    }

    /// The language's name in itself, for the language picker.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::De => "Deutsch",
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Locale::En => &EN,
            Locale::De => &DE,
        }
    }

    /// The message `key` in this language.
    pub fn t(self, key: &str) -> String {
        self.lookup(key, None)
    }

    /// The message `key` with one argument.
    pub fn t1(self, key: &str, name: &'static str, value: impl fmt::Display) -> String {
        let mut args = HashMap::with_capacity(1);
        args.insert(Cow::Borrowed(name), argument(value));
        self.lookup(key, Some(&args))
    }

    /// The message `key` with two arguments.
    pub fn t2(
        self,
        key: &str,
        name_a: &'static str,
        value_a: impl fmt::Display,
        name_b: &'static str,
        value_b: impl fmt::Display,
    ) -> String {
        let mut args = HashMap::with_capacity(2);
        args.insert(Cow::Borrowed(name_a), argument(value_a));
        args.insert(Cow::Borrowed(name_b), argument(value_b));
        self.lookup(key, Some(&args))
    }

    fn lookup(
        self,
        key: &str,
        args: Option<&HashMap<Cow<'static, str>, FluentValue<'_>>>,
    ) -> String {
        if let Ok(text) = CATALOGS.lookup_single_language(self.id(), key, args) {
            return text;
        }
        // The catalogs are checked against each other in the tests, so this
        // is a key missing from English too: show the key, not nothing.
        tracing::warn!(
            locale = self.as_str(),
            key,
            "message missing from the catalog"
        );
        CATALOGS
            .lookup_single_language(&EN, key, args)
            .unwrap_or_else(|_| key.to_string())
    }

    /// Unix seconds as a date and time for people reading this language (UTC).
    pub fn format_time(self, unix: i64) -> String {
        dates::format(self, unix)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Numbers stay numbers (Fluent picks plural forms from them); anything
/// else is text.
fn argument(value: impl fmt::Display) -> FluentValue<'static> {
    let text = value.to_string();
    match text.parse::<i64>() {
        Ok(n) => FluentValue::from(n),
        Err(_) => FluentValue::from(text),
    }
}

#[cfg(test)]
mod tests;
