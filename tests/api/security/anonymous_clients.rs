//! Item 2: anonymously registered clients get only registrable scopes and no write power.
