-- Ids (jti) of bearer tokens refused before they expire. expires_at, when known, lets a later
-- cleanup delete rows of tokens that have expired anyway. Times are UTC text.
CREATE TABLE token_revocations (
    jti        TEXT PRIMARY KEY,
    revoked_at TEXT NOT NULL,
    expires_at TEXT
) WITHOUT ROWID;
