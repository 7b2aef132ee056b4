//! Item 10: every malformed body gets the endpoint's own error shape.
