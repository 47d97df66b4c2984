-- The catalog of uploaded CSV tables: each dataset's own table is created by the upload (its DDL is
-- kept here, with the column metadata), named after the dataset.
CREATE TABLE datasets (
    name        text        PRIMARY KEY,
    columns     jsonb       NOT NULL, -- [{"name": ..., "type": ..., "nullable": ...}, ...]
    ddl         text        NOT NULL,
    source_file text,
    row_count   bigint      NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Changes requested through a link and applied when the link is followed. Only a hash of the
-- token is stored.
CREATE TABLE dataset_pending_changes (
    token_hash bytea       PRIMARY KEY,
    dataset    text        NOT NULL REFERENCES datasets (name) ON DELETE CASCADE,
    action     text        NOT NULL CHECK (action IN ('create', 'update')),
    row_id     bigint,
    changes    jsonb       NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    applied_at timestamptz
);
