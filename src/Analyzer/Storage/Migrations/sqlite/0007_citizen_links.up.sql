-- Relatives move onto the citizen's row as a JSON array of ids (the relations table goes), and citizens
-- gain friends (the same kind of list) and an advertising channel: reading an import is one range scan of
-- citizens by import_id, and storing one pays no foreign-key checks. See the PostgreSQL script.
-- imports.has_friends_and_channels: whether the import's citizens are read back with both (see the PostgreSQL script).
ALTER TABLE imports ADD COLUMN has_friends_and_channels INTEGER NOT NULL DEFAULT 0 CHECK (has_friends_and_channels IN (0, 1));
ALTER TABLE citizens ADD COLUMN relatives TEXT NOT NULL DEFAULT '[]';
ALTER TABLE citizens ADD COLUMN friends TEXT NOT NULL DEFAULT '[]';
ALTER TABLE citizens ADD COLUMN channel TEXT;

UPDATE citizens SET relatives = (
    SELECT json_group_array(relative_id) FROM (
        SELECT r.relative_id FROM relations r
        WHERE r.import_id = citizens.import_id AND r.citizen_id = citizens.citizen_id
        ORDER BY r.relative_id))
WHERE EXISTS (SELECT 1 FROM relations r WHERE r.import_id = citizens.import_id AND r.citizen_id = citizens.citizen_id);

DROP TABLE relations;
DROP INDEX citizens_town_birth_date;
