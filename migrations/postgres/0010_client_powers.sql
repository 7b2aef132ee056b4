-- What a client may do on its own (issue 10, items 2 and 4).

-- Per site: the scopes a client registered anonymously (open registration,
-- no initial access token) may ask for, and whether such a client may use
-- the client_credentials grant at all.
ALTER TABLE sites ADD COLUMN registrable_scopes TEXT NOT NULL DEFAULT 'openid profile email';
ALTER TABLE sites ADD COLUMN anonymous_client_credentials BOOLEAN NOT NULL DEFAULT FALSE;

-- Per client: registered anonymously; the permissions an admin granted to the
-- client_credentials tokens of a client without owner (space-separated,
-- none by default); whether it is a resource server that may introspect every
-- token of its site.
ALTER TABLE oauth_clients ADD COLUMN registered_anonymously BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE oauth_clients ADD COLUMN granted_permissions TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_clients ADD COLUMN introspect BOOLEAN NOT NULL DEFAULT FALSE;

-- Clients registered dynamically without an owner before now count as
-- anonymous: nothing tells an open registration from a token without user.
UPDATE oauth_clients SET registered_anonymously = TRUE
WHERE owner_user_id IS NULL
  AND id IN (SELECT client_pk FROM oauth_client_registrations);
