-- Serves the age percentiles: a covering index, one range scan per import.
CREATE INDEX citizens_town_birth_date ON citizens (import_id, town, birth_date);
