//! Dates and times as each language writes them. Times are shown in UTC
//! (no per-user time zone is known), the zone named after the time.

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use super::Locale;

const ENGLISH: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
const GERMAN: &[BorrowedFormatItem<'static>] =
    format_description!("[day].[month].[year], [hour]:[minute] UTC");

pub(super) fn format(locale: Locale, unix: i64) -> String {
    let format = match locale {
        Locale::En => ENGLISH,
        Locale::De => GERMAN,
    };
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_writes_dates_its_own_way() {
        // 2026-01-31 14:05:00 UTC
        let t = 1_769_868_300;
        assert_eq!(format(Locale::En, t), "2026-01-31 14:05 UTC");
        assert_eq!(format(Locale::De, t), "31.01.2026, 14:05 UTC");
    }
}
