-- Issue 14, item 3: the code flow's two writes (the code; its redemption,
-- which also creates the grant and the refresh token) checked eleven
-- foreign keys per flow. Each check reads the parent row FOR KEY SHARE,
-- which writes a lock into that row: with every flow naming the same site,
-- client and user, those rows took a lock (and a WAL record, and often a
-- MultiXact) per check, and the checks were most of the database's time on
-- the flow. The three hot tables keep their parents' deletion as before,
-- through the triggers below, and no longer check their parents on insert:
--
-- * a code is claimed only while its client and user exist (the claim's
--   own condition), and a client's deletion deletes its codes;
-- * a grant and a refresh token are created only from a claimed code or a
--   live refresh token, whose client and user were there;
-- * a code whose grant was purged keeps the grant's id: the only reader
--   (a code used twice revokes its grant) then finds nothing to revoke.
--
-- SQLite keeps its foreign keys: it writes from one connection at a time.

ALTER TABLE oauth_codes
    DROP CONSTRAINT oauth_codes_site_id_fkey,
    DROP CONSTRAINT oauth_codes_client_pk_fkey,
    DROP CONSTRAINT oauth_codes_user_id_fkey,
    DROP CONSTRAINT oauth_codes_grant_id_fkey;

ALTER TABLE oauth_grants
    DROP CONSTRAINT oauth_grants_site_id_fkey,
    DROP CONSTRAINT oauth_grants_client_pk_fkey,
    DROP CONSTRAINT oauth_grants_user_id_fkey;

ALTER TABLE oauth_tokens
    DROP CONSTRAINT oauth_tokens_site_id_fkey,
    DROP CONSTRAINT oauth_tokens_client_pk_fkey,
    DROP CONSTRAINT oauth_tokens_user_id_fkey,
    DROP CONSTRAINT oauth_tokens_grant_id_fkey;

-- What the cascades did, once per deleting statement (transition tables).

CREATE FUNCTION tessera_oauth_rows_of_deleted_sites() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM oauth_tokens WHERE site_id IN (SELECT id FROM gone);
    DELETE FROM oauth_codes WHERE site_id IN (SELECT id FROM gone);
    DELETE FROM oauth_grants WHERE site_id IN (SELECT id FROM gone);
    RETURN NULL;
END $$;

CREATE TRIGGER sites_delete_oauth_rows AFTER DELETE ON sites
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION tessera_oauth_rows_of_deleted_sites();

CREATE FUNCTION tessera_oauth_rows_of_deleted_clients() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM oauth_tokens WHERE client_pk IN (SELECT id FROM gone);
    DELETE FROM oauth_codes WHERE client_pk IN (SELECT id FROM gone);
    DELETE FROM oauth_grants WHERE client_pk IN (SELECT id FROM gone);
    RETURN NULL;
END $$;

CREATE TRIGGER oauth_clients_delete_oauth_rows AFTER DELETE ON oauth_clients
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION tessera_oauth_rows_of_deleted_clients();

CREATE FUNCTION tessera_oauth_rows_of_deleted_users() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM oauth_tokens WHERE user_id IN (SELECT id FROM gone);
    DELETE FROM oauth_codes WHERE user_id IN (SELECT id FROM gone);
    DELETE FROM oauth_grants WHERE user_id IN (SELECT id FROM gone);
    RETURN NULL;
END $$;

CREATE TRIGGER users_delete_oauth_rows AFTER DELETE ON users
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION tessera_oauth_rows_of_deleted_users();

CREATE FUNCTION tessera_tokens_of_deleted_grants() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM oauth_tokens WHERE grant_id IN (SELECT id FROM gone);
    RETURN NULL;
END $$;

CREATE TRIGGER oauth_grants_delete_tokens AFTER DELETE ON oauth_grants
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION tessera_tokens_of_deleted_grants();

-- A code is written once and claimed once, soon after; a refresh token is
-- marked once when it rotates. Room left free on each page lets that one
-- update stay on the row's page without touching the table's indexes (a
-- HOT update): with full pages half of the claims rewrote all four of the
-- code's index entries.
ALTER TABLE oauth_codes SET (fillfactor = 50);
ALTER TABLE oauth_tokens SET (fillfactor = 70);
