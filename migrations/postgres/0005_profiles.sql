-- Profile alerts («Avvisami se esce un bando adatto a me», see
-- src/store/postgres/profiles.rs): one row per user who asked, the same JSON sled stores.
CREATE TABLE profiles (
    user_id BIGINT PRIMARY KEY,
    body    BYTEA  NOT NULL
);
