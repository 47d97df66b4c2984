-- Long work as durable jobs (POST /imports, /datasets, /upload with Prefer: respond-async). A job keeps the request it
-- replays (kind, query string, content type; the body in job_bodies, in parts of 1 MiB), its caller (subject, '' when
-- authentication is off) and Idempotency-Key with a hash of the request, its place in the queue (state, the worker
-- holding it and until when: lease_until), a cancel request, its progress in rows, and its outcome: result (the
-- synchronous answer's data, JSON text) or error (the problem the synchronous call would have answered, JSON text).
-- Timestamps are ISO 8601 text in UTC. Every state change goes through JobStore.ChangeStateAsync.
CREATE TABLE jobs (
    job_id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    query            TEXT    NOT NULL,
    content_type     TEXT,
    subject          TEXT    NOT NULL,
    idempotency_key  TEXT,
    request_hash     TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    progress_done    INTEGER NOT NULL DEFAULT 0,
    progress_total   INTEGER,
    worker           TEXT,
    lease_until      TEXT,
    created_at       TEXT    NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    result           TEXT,
    error            TEXT,
    UNIQUE (subject, idempotency_key)
);
CREATE INDEX jobs_state ON jobs (state, job_id);
CREATE INDEX jobs_finished_at ON jobs (finished_at) WHERE finished_at IS NOT NULL;

-- No foreign key: SQLite enforces them only with PRAGMA foreign_keys; JobStore deletes a job's parts with the job.
CREATE TABLE job_bodies (
    job_id  INTEGER NOT NULL,
    part    INTEGER NOT NULL,
    content BLOB    NOT NULL,
    PRIMARY KEY (job_id, part)
);
