-- Languages and look (issue 13 item 7).

-- The language a user chose for pages and emails (`en`, `de`); NULL: as
-- their browser asks, else the site's default.
ALTER TABLE users ADD COLUMN locale TEXT;

-- Per site: the language of visitors whose browser names none Tessera
-- speaks, and of emails to people who chose none; and the site's look on
-- every page: a display name (the site's name when NULL), an https logo URL
-- (shown by the browser, never fetched by the server) and an accent colour
-- (`#rrggbb`).
ALTER TABLE sites ADD COLUMN default_locale TEXT NOT NULL DEFAULT 'en';
ALTER TABLE sites ADD COLUMN display_name TEXT;
ALTER TABLE sites ADD COLUMN logo_url TEXT;
ALTER TABLE sites ADD COLUMN accent_colour TEXT;
