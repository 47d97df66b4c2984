-- People who sign in with a TOTP code (analyzer users add). secret is the RFC 6238 shared secret encrypted with
-- AES-256-GCM under a key derived from the service's HS256 secret (nonce, tag, ciphertext): the service must
-- compute codes from it, so it cannot be hashed. last_step is the time step of the last code accepted (a code
-- is usable once); failures count wrong codes since the last success or lock; locked_until is in Unix seconds.
CREATE TABLE totp_users (
    name         TEXT    PRIMARY KEY,
    scopes       TEXT    NOT NULL,
    secret       BLOB    NOT NULL,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_step    INTEGER,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER
);
