//! Item 1: pages and form POSTs trust only the authtoken cookie; CSRF tokens are bound to the session.
