//! Item 5: outbound fetches refuse private, loopback and link-local addresses.
