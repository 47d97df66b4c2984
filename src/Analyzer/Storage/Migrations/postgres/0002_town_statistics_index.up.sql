-- Serves the age percentiles: one index-only scan per import. Towns are only grouped, never
-- sorted for people, so the index compares bytes ("C") instead of paying for locale collation.
CREATE INDEX citizens_town_birth_date ON citizens (import_id, town COLLATE "C") INCLUDE (birth_date);
