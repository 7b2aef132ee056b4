-- Access tokens are no longer stored (issue 14, item 2): each carries its
-- claims under the site's MAC and is checked without a read. What revokes
-- one token before its expiry is kept here, and read into memory by every
-- process at start-up and through the change feed. A grant's revocation
-- (oauth_grants.revoked_at) ends its access tokens the same way.
CREATE TABLE oauth_revoked_access_tokens (
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    token_id BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, token_id)
);

-- Access tokens issued before this version can no longer be checked (they
-- were looked up by hash); the rows left are of no use.
DELETE FROM oauth_tokens WHERE kind = 'access';
