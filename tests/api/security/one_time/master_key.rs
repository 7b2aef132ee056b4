//! Item 8: the master key can be rotated; sealed secrets carry its key id.
