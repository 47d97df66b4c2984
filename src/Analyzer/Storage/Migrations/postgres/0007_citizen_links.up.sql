-- Relatives move onto the citizen's row as an integer[] (the relations table goes), and citizens gain
-- friends (the same kind of list) and an advertising channel. Reading an import is then one range scan
-- of citizens by import_id, with no join whose plan could turn quadratic once the planner has
-- statistics, and storing one pays no foreign-key checks. Validation proves every listed id exists in
-- the import and that lists are mutual; a PATCH keeps them so under the import's lock.
-- An import stored without friends or channels keeps the contract's shape when read; one that has them
-- (or a PATCH that named them) shows both on every citizen: imports.has_friends_and_channels.
ALTER TABLE imports ADD COLUMN has_friends_and_channels boolean NOT NULL DEFAULT false;
ALTER TABLE citizens
    ADD COLUMN relatives integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN friends   integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN channel   text;

UPDATE citizens c SET relatives = r.ids
FROM (SELECT import_id, citizen_id, array_agg(relative_id ORDER BY relative_id) AS ids
      FROM relations GROUP BY import_id, citizen_id) r
WHERE c.import_id = r.import_id AND c.citizen_id = r.citizen_id;

ALTER TABLE citizens ALTER COLUMN relatives DROP DEFAULT;
DROP TABLE relations;

-- The age percentiles read an import's towns and birth dates through the primary key like every other
-- per-import query; the covering index cost a POST more than it saved.
DROP INDEX citizens_town_birth_date;
