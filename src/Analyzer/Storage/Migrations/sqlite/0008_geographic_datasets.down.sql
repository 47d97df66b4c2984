-- The tables keep their (lat, lon) indexes; the service no longer knows they are geographic.
ALTER TABLE datasets DROP COLUMN geo_point;
ALTER TABLE datasets DROP COLUMN geo_lon;
ALTER TABLE datasets DROP COLUMN geo_lat;
