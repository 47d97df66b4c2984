-- Long work as durable jobs (POST /imports, /datasets, /upload with Prefer: respond-async). A job keeps the request it
-- replays (kind, query string, content type; the body in job_bodies, in parts of 1 MiB), its caller (subject, '' when
-- authentication is off) and Idempotency-Key with a hash of the request, its place in the queue (state, the worker
-- holding it and until when: lease_until, renewed by the worker's heartbeat), a cancel request, its progress in rows,
-- and its outcome: result (the synchronous answer's data, JSON text) or error (the problem the synchronous call would
-- have answered, JSON text). Every state change goes through JobStore.ChangeStateAsync.
CREATE TABLE jobs (
    job_id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text        NOT NULL,
    state            text        NOT NULL,
    query            text        NOT NULL,
    content_type     text,
    subject          text        NOT NULL,
    idempotency_key  text,
    request_hash     text        NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    cancel_requested boolean     NOT NULL DEFAULT false,
    progress_done    bigint      NOT NULL DEFAULT 0,
    progress_total   bigint,
    worker           text,
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    result           text,
    error            text,
    UNIQUE (subject, idempotency_key)
);
CREATE INDEX jobs_state ON jobs (state, job_id);
CREATE INDEX jobs_finished_at ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE job_bodies (
    job_id  bigint  NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    part    integer NOT NULL,
    content bytea   NOT NULL,
    PRIMARY KEY (job_id, part)
);
