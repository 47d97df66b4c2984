-- The catalog of uploaded CSV tables: each dataset's own table is created by the upload (its DDL is
-- kept here, with the column metadata), named after the dataset.
CREATE TABLE datasets (
    name        TEXT    PRIMARY KEY,
    columns     TEXT    NOT NULL, -- JSON: [{"name": ..., "type": ..., "nullable": ...}, ...]
    ddl         TEXT    NOT NULL,
    source_file TEXT,
    row_count   INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

-- Changes requested through a link and applied when the link is followed. Only a hash of the
-- token is stored.
CREATE TABLE dataset_pending_changes (
    token_hash BLOB PRIMARY KEY,
    dataset    TEXT NOT NULL REFERENCES datasets (name) ON DELETE CASCADE,
    action     TEXT NOT NULL CHECK (action IN ('create', 'update')),
    row_id     INTEGER,
    changes    TEXT NOT NULL, -- JSON object of column values
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    applied_at TEXT
);
