//! The message catalogs are embedded by `fluent_templates::static_loader!`
//! (src/i18n), which tracks each file it read but not the folders: a new
//! catalog file must rebuild the crate too.

fn main() {
    println!("cargo:rerun-if-changed=locales");
    println!("cargo:rerun-if-changed=locales/en");
    println!("cargo:rerun-if-changed=locales/de");
}
