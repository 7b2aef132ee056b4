//! Issue 13 item 7: pages and emails in English and German (the user's
//! choice, then `Accept-Language`, then the site's default), each site's
//! look, and pages that pass an accessibility check in Chromium.

mod accessibility;
mod browser;
mod emails;
mod pages;
mod settings;
