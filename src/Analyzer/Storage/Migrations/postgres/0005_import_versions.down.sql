ALTER TABLE imports DROP COLUMN version;
