-- The inbox (src/store/inbox.rs, src/store/postgres/inbox.rs): updates fetched from
-- Telegram and not yet handled, kept before they are confirmed to Telegram and handed
-- out again after a crash. `owner` is the pseudonym of the update's user (`Names`), so
-- that erasing the user deletes their updates too; NULL for an update of nobody. The
-- user's id is not a column (as in every table since 0006); the body holds it.
CREATE TABLE inbox (
    update_id BIGINT PRIMARY KEY,
    owner     BYTEA,
    body      BYTEA  NOT NULL
);
CREATE INDEX inbox_owner ON inbox (owner);
