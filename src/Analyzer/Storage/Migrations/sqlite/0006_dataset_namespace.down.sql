-- Datasets' tables lose the "datasets." prefix again.
ALTER TABLE datasets DROP COLUMN version;
UPDATE datasets SET ddl = 'CREATE TABLE "' || substr(ddl, length('CREATE TABLE "datasets.') + 1)
WHERE ddl LIKE 'CREATE TABLE "datasets.%';
-- @run-generated-statements
SELECT 'ALTER TABLE "datasets.' || name || '" RENAME TO "' || name || '"' FROM datasets ORDER BY name
-- @end
