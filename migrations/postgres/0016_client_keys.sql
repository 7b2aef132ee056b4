-- Client authentication with keys (issue 12, item 1): private_key_jwt and
-- client_secret_jwt (RFC 7523 2.2, OpenID Connect Core 9).

-- How the client authenticates at the token, PAR, revocation,
-- introspection and device endpoints: `client_secret` (HTTP Basic or the
-- form, as before), `client_secret_jwt`, `private_key_jwt`, or `none` for
-- public clients. Exactly this method is accepted, no other.
ALTER TABLE oauth_clients ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'client_secret';
UPDATE oauth_clients SET auth_method = 'none' WHERE NOT confidential;
-- private_key_jwt: the client's public keys, as a JWK Set given at
-- registration, or the URL of one (fetched through the SSRF-guarded
-- outbound client, cached, refetched at most once a minute).
ALTER TABLE oauth_clients ADD COLUMN jwks TEXT;
ALTER TABLE oauth_clients ADD COLUMN jwks_uri TEXT;
-- The one JWS algorithm the client's assertions must use
-- (`token_endpoint_auth_signing_alg`); NULL: any algorithm allowed for
-- the method.
ALTER TABLE oauth_clients ADD COLUMN auth_signing_alg TEXT;
-- client_secret_jwt only: the secret, which the HMAC needs in usable form,
-- sealed under the master key (`crypto::aead`, site and key id bound in);
-- every other client keeps only `secret_hash`.
ALTER TABLE oauth_clients ADD COLUMN sealed_secret TEXT;

-- The `jti` of each client assertion accepted is recorded, until the
-- assertion expires, in `used_once` (migration 0012; the janitor deletes
-- expired rows), so a replay is refused by every process.
