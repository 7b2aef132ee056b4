-- A site's security profile: `default`, or `fapi2` for the FAPI 2.0
-- Security Profile (PAR, private_key_jwt, DPoP, PS256/ES256/EdDSA only).
ALTER TABLE sites ADD COLUMN security_profile TEXT NOT NULL DEFAULT 'default';
