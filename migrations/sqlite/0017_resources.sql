-- Resource indicators (RFC 8707; issue 12, item 2). A resource is a
-- protected API a site's tokens may be issued for: an absolute URI without
-- fragment, the scopes a token for it may carry (space separated), and the
-- form of its access tokens (`opaque` or `jwt`, RFC 9068). A token carries
-- exactly one audience.
CREATE TABLE oauth_resources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    token_format TEXT NOT NULL CHECK (token_format IN ('opaque', 'jwt')),
    created_at BIGINT NOT NULL,
    UNIQUE (site_id, uri)
);

-- The resource each code, grant and token is for (its audience). NULL: the
-- site's own API, as before resources existed. Pushed requests keep theirs
-- in their JSON parameters.
ALTER TABLE oauth_codes ADD COLUMN resource TEXT;
ALTER TABLE oauth_grants ADD COLUMN resource TEXT;
ALTER TABLE oauth_tokens ADD COLUMN resource TEXT;
