-- The secret pseudonyms are made with when the store is exported (src/store/dump.rs):
-- one per database, made at the first start.
CREATE TABLE store_secret (
    id     SMALLINT PRIMARY KEY CHECK (id = 1),
    secret BYTEA    NOT NULL
);
