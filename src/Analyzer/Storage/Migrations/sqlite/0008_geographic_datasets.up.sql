-- Which columns of a dataset are its coordinates (both NULL: not geographic). geo_point is always 0 here: SQLite
-- datasets use the fallback (a (lat, lon) index plus haversine); the column exists so both back ends read one catalog.
ALTER TABLE datasets ADD COLUMN geo_lat TEXT;
ALTER TABLE datasets ADD COLUMN geo_lon TEXT;
ALTER TABLE datasets ADD COLUMN geo_point INTEGER NOT NULL DEFAULT 0 CHECK (geo_point IN (0, 1));
