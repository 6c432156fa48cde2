-- Follows of a call («🔔 Avvisami») and FAQ drafts written by staff (see
-- src/store/postgres/watches.rs and drafts.rs). Bodies are the same JSON sled stores.

-- COLLATE "C": pages of follows are in byte order of the call id, whatever the
-- database's locale.
CREATE TABLE watches (
    user_id BIGINT             NOT NULL,
    call    TEXT COLLATE "C"   NOT NULL,
    body    BYTEA              NOT NULL,
    PRIMARY KEY (user_id, call)
);

CREATE SEQUENCE draft_ids START 1;

CREATE TABLE faq_drafts (
    id   BIGINT PRIMARY KEY,
    body BYTEA  NOT NULL
);
