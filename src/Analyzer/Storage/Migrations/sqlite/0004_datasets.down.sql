-- SQLite has no dynamic SQL, so the datasets' own tables (named in the catalog) stay behind; an
-- upload under one of those names later is refused with 409, as for any existing table.
DROP TABLE dataset_pending_changes;
DROP TABLE datasets;
