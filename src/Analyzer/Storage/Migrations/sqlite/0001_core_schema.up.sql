CREATE TABLE imports (
    import_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- No foreign key to imports, as on PostgreSQL: an import and its citizens are written in one transaction.
CREATE TABLE citizens (
    import_id  INTEGER NOT NULL,
    citizen_id INTEGER NOT NULL CHECK (citizen_id >= 0),
    town       TEXT    NOT NULL,
    street     TEXT    NOT NULL,
    building   TEXT    NOT NULL,
    apartment  INTEGER NOT NULL CHECK (apartment >= 0),
    name       TEXT    NOT NULL,
    birth_date TEXT    NOT NULL, -- ISO 8601 'YYYY-MM-DD'
    gender     TEXT    NOT NULL CHECK (gender IN ('male', 'female')),
    PRIMARY KEY (import_id, citizen_id)
) WITHOUT ROWID;

-- Both directions of every relation are stored (a self-relation once), so a
-- citizen's relatives are one index range scan.
CREATE TABLE relations (
    import_id   INTEGER NOT NULL,
    citizen_id  INTEGER NOT NULL,
    relative_id INTEGER NOT NULL,
    PRIMARY KEY (import_id, citizen_id, relative_id),
    FOREIGN KEY (import_id, citizen_id) REFERENCES citizens (import_id, citizen_id),
    FOREIGN KEY (import_id, relative_id) REFERENCES citizens (import_id, citizen_id)
) WITHOUT ROWID;
