-- Datasets' tables go back to the schema of the service's own tables.
ALTER TABLE datasets DROP COLUMN version;
UPDATE datasets SET ddl = 'CREATE TABLE ' || substr(ddl, length('CREATE TABLE "datasets".') + 1)
WHERE ddl LIKE 'CREATE TABLE "datasets".%';
-- @run-generated-statements
SELECT format('ALTER TABLE datasets.%I SET SCHEMA %I', name, current_schema()) FROM datasets ORDER BY name
-- @end
DROP SCHEMA datasets;
