-- Resource indicators (RFC 8707) with the device authorization grant
-- (RFC 8628; issue 12, item 2): the resource a device authorization
-- request names, kept with its device code and given to the grant and the
-- tokens it is redeemed for. NULL: the site's own API.
ALTER TABLE oauth_device_codes ADD COLUMN resource TEXT;
