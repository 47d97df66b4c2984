-- Friends and channels are lost: the schema before 0007 has no place for them.
CREATE TABLE relations (
    import_id   INTEGER NOT NULL,
    citizen_id  INTEGER NOT NULL,
    relative_id INTEGER NOT NULL,
    PRIMARY KEY (import_id, citizen_id, relative_id),
    FOREIGN KEY (import_id, citizen_id) REFERENCES citizens (import_id, citizen_id),
    FOREIGN KEY (import_id, relative_id) REFERENCES citizens (import_id, citizen_id)
) WITHOUT ROWID;
INSERT INTO relations (import_id, citizen_id, relative_id)
SELECT c.import_id, c.citizen_id, j.value FROM citizens c, json_each(c.relatives) j;

CREATE INDEX citizens_town_birth_date ON citizens (import_id, town, birth_date);

ALTER TABLE citizens DROP COLUMN relatives;
ALTER TABLE citizens DROP COLUMN friends;
ALTER TABLE citizens DROP COLUMN channel;
ALTER TABLE imports DROP COLUMN has_friends_and_channels;
