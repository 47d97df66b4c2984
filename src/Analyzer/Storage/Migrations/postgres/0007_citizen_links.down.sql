-- Friends and channels are lost: the schema before 0007 has no place for them.
CREATE TABLE relations (
    import_id   bigint  NOT NULL,
    citizen_id  integer NOT NULL,
    relative_id integer NOT NULL,
    PRIMARY KEY (import_id, citizen_id, relative_id),
    FOREIGN KEY (import_id, citizen_id) REFERENCES citizens (import_id, citizen_id),
    FOREIGN KEY (import_id, relative_id) REFERENCES citizens (import_id, citizen_id)
);
INSERT INTO relations (import_id, citizen_id, relative_id)
SELECT import_id, citizen_id, unnest(relatives) FROM citizens;

CREATE INDEX citizens_town_birth_date ON citizens (import_id, town COLLATE "C") INCLUDE (birth_date);

ALTER TABLE citizens DROP COLUMN relatives, DROP COLUMN friends, DROP COLUMN channel;
ALTER TABLE imports DROP COLUMN has_friends_and_channels;
