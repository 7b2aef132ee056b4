//! Items 7 and 9: DPoP replay state per key in the shared store; ES256 through the stock backend.
