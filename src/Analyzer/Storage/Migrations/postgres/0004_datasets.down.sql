-- The datasets' own tables go with their catalog.
DO $$
DECLARE dataset record;
BEGIN
    FOR dataset IN SELECT name FROM datasets LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I', dataset.name);
    END LOOP;
END $$;
DROP TABLE dataset_pending_changes;
DROP TABLE datasets;
