-- Serves the age percentiles: one index-only scan per import.
CREATE INDEX citizens_town_birth_date ON citizens (import_id, town) INCLUDE (birth_date);
