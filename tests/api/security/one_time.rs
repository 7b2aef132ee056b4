//! Item 6 and 8: single-use sign-in links, explicit unrestricted server keys, and the smaller holes.
