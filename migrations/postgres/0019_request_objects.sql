-- JWT-secured authorization requests (RFC 9101, issue 12 item 3).

-- RFC 9101 10.5 client metadata `require_signed_request_object`: when
-- true, every authorization request of the client (at /oauth/authorize or
-- pushed to /oauth/par) must be a request object signed with a key the
-- client registered (`jwks` or `jwks_uri`, migration 0016); a plain one
-- is refused.
ALTER TABLE oauth_clients ADD COLUMN require_signed_request_object BOOLEAN NOT NULL DEFAULT FALSE;

-- The `jti` of each request object accepted is recorded, until the object
-- expires, in `used_once` (migration 0012), so a replay is refused.
