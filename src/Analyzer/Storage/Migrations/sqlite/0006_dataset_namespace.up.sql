-- Datasets' tables move into a namespace of their own, so that no migration can ever collide with a
-- user's table: SQLite has no schemas within a file, so the namespace is the name prefix "datasets."
-- (the table of dataset airports is "datasets.airports"; no table of the service has a dot in its
-- name). The catalog's DDL names them so. Each catalog entry gets a version, bumped when the
-- dataset's table is created again (replace), so that servers can cache the parsed entry by it.
-- @run-generated-statements
SELECT 'ALTER TABLE "' || name || '" RENAME TO "datasets.' || name || '"' FROM datasets ORDER BY name
-- @end
UPDATE datasets SET ddl = 'CREATE TABLE "datasets.' || substr(ddl, length('CREATE TABLE "') + 1)
WHERE ddl LIKE 'CREATE TABLE "%';
ALTER TABLE datasets ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
