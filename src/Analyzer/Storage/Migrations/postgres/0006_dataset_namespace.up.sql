-- Datasets' tables move into a schema of their own, so that no migration can ever collide with a
-- user's table; the catalog's DDL names them there. Each catalog entry gets a version, bumped when the
-- dataset's table is created again (replace), so that servers can cache the parsed entry by it.
CREATE SCHEMA datasets;
-- @run-generated-statements
SELECT format('ALTER TABLE %I SET SCHEMA datasets', name) FROM datasets ORDER BY name
-- @end
UPDATE datasets SET ddl = 'CREATE TABLE "datasets".' || substr(ddl, length('CREATE TABLE ') + 1)
WHERE ddl LIKE 'CREATE TABLE "%';
ALTER TABLE datasets ADD COLUMN version bigint NOT NULL DEFAULT 1;
