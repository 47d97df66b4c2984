-- Ids (jti) of bearer tokens refused before they expire. expires_at, when known, lets a later
-- cleanup delete rows of tokens that have expired anyway.
CREATE TABLE token_revocations (
    jti        text        PRIMARY KEY,
    revoked_at timestamptz NOT NULL,
    expires_at timestamptz
);
