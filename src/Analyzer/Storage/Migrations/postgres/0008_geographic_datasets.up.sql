-- Which columns of a dataset are its coordinates (both NULL: not geographic), and whether its table has the PostGIS
-- column geo_point (geography(Point, 4326), generated from them) with a GiST index. Nothing here needs PostGIS:
-- the service creates the extension at start when it can (see Storage/Spatial.cs).
ALTER TABLE datasets ADD COLUMN geo_lat text;
ALTER TABLE datasets ADD COLUMN geo_lon text;
ALTER TABLE datasets ADD COLUMN geo_point boolean NOT NULL DEFAULT false;
