//! Item 4: a client introspects only its own tokens, unless it is a resource server.
