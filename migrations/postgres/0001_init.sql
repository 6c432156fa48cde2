-- Sportello's data in PostgreSQL (see src/store/postgres/mod.rs). Bodies are the same
-- JSON the sled backend stores; times are seconds (ms where named) since the epoch.

CREATE TABLE sessions (
    user_id  BIGINT PRIMARY KEY,
    revision BIGINT NOT NULL,
    touched  BIGINT NOT NULL,
    bytes    BYTEA  NOT NULL
);
CREATE INDEX sessions_touched ON sessions (touched);

CREATE TABLE questions (
    id    BIGSERIAL PRIMARY KEY,
    at    BIGINT NOT NULL,
    -- Who asked, only so that erasing a user erases their questions; never shown.
    asker BIGINT,
    entry BYTEA  NOT NULL
);
CREATE INDEX questions_at ON questions (at, id);
CREATE INDEX questions_asker ON questions (asker) WHERE asker IS NOT NULL;

CREATE TABLE subscriptions (
    user_id BIGINT NOT NULL,
    call    TEXT   NOT NULL,
    body    BYTEA  NOT NULL,
    PRIMARY KEY (user_id, call)
);

-- qkey: due second (big-endian) || identity, as in sled: ordering by it is due order.
CREATE TABLE reminder_queue (
    qkey        BYTEA  PRIMARY KEY,
    identity    BYTEA  NOT NULL,
    user_id     BIGINT NOT NULL,
    due         BIGINT NOT NULL,
    lease_until BIGINT,
    body        BYTEA  NOT NULL
);
CREATE INDEX reminder_queue_due ON reminder_queue (due);
CREATE INDEX reminder_queue_user ON reminder_queue (user_id);

CREATE TABLE reminders_done (
    identity BYTEA  PRIMARY KEY,
    user_id  BIGINT NOT NULL,
    body     BYTEA  NOT NULL
);
CREATE INDEX reminders_done_user ON reminders_done (user_id);

CREATE SEQUENCE ticket_numbers START 1;

CREATE TABLE tickets (
    number  BIGINT PRIMARY KEY,
    user_id BIGINT,
    body    BYTEA  NOT NULL
);
CREATE INDEX tickets_user ON tickets (user_id);

CREATE TABLE ticket_messages (
    chat    BIGINT  NOT NULL,
    message INTEGER NOT NULL,
    number  BIGINT  NOT NULL,
    PRIMARY KEY (chat, message)
);

-- ver changes with every update of a row: claims and changes compare against it.
CREATE TABLE outbox (
    seq         BIGSERIAL PRIMARY KEY,
    class       SMALLINT NOT NULL,
    chat        BIGINT   NOT NULL,
    attempts    INTEGER  NOT NULL DEFAULT 0,
    not_before  BIGINT   NOT NULL DEFAULT 0,
    claim_owner BIGINT,
    claim_until BIGINT,
    notified    BOOLEAN  NOT NULL DEFAULT FALSE,
    at_ms       BIGINT   NOT NULL,
    ver         BIGINT   NOT NULL DEFAULT 0,
    entry       BYTEA    NOT NULL
);
CREATE INDEX outbox_order ON outbox (class, seq);
CREATE INDEX outbox_chat ON outbox (chat, class, seq);

CREATE TABLE applied_updates (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL
);
