-- Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document,
-- issue 12 item 6).

-- Per-site opt-in: when true, a `client_id` that is an https URL is
-- resolved by fetching the JSON document it names.
ALTER TABLE sites ADD COLUMN client_id_metadata_documents BOOLEAN NOT NULL DEFAULT FALSE;

-- A client resolved from its metadata document is kept as a row (its
-- `client_id` is the document's URL) so that codes, grants, consents and
-- tokens can point at it; the row is rewritten from the document each time
-- it is fetched again, and never edited by hand.
ALTER TABLE oauth_clients ADD COLUMN metadata_document BOOLEAN NOT NULL DEFAULT FALSE;
