-- Users named the way a snapshot names them (src/store/dump.rs, src/store/postgres/mod.rs,
-- `Names`): sessions, the askers in the question log and sent reminders are keyed by the
-- user's pseudonym, HMAC-SHA256("user" || 0x00 || id as 8 bytes big-endian) under the
-- database's secret, first 16 bytes; never by the id. Outbox entries get the pseudonym
-- of the user they are about (`owner`), so erasing a user drops them too. Then a
-- snapshot of any backend imports as it is, and erasure still deletes every row of the
-- user in one transaction.

-- A database upgraded from before 0004 has no secret until the first start: make it
-- here (gen_random_uuid: PostgreSQL 13 or later, 244 random bits from the server's
-- strong random source), since the rows below are renamed with it.
INSERT INTO store_secret (id, secret)
VALUES (1, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'))
ON CONFLICT (id) DO NOTHING;

-- HMAC-SHA256 (RFC 2104) with the built-in sha256(): a key of 32 bytes is padded to the
-- 64-byte block. Temporary: it lives for this migration's connection only.
CREATE FUNCTION pg_temp.sportello_pseudonym(secret BYTEA, user_id BIGINT) RETURNS BYTEA
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    k BYTEA := secret || decode(repeat('00', 64 - length(secret)), 'hex');
    i BYTEA := k;
    o BYTEA := k;
BEGIN
    FOR n IN 0..63 LOOP
        i := set_byte(i, n, get_byte(k, n) # 54);
        o := set_byte(o, n, get_byte(k, n) # 92);
    END LOOP;
    RETURN substring(
        sha256(o || sha256(i || 'user'::bytea || '\x00'::bytea || int8send(user_id)))
        FROM 1 FOR 16);
END
$$;

ALTER TABLE sessions ADD COLUMN who BYTEA;
UPDATE sessions
SET who = pg_temp.sportello_pseudonym((SELECT secret FROM store_secret WHERE id = 1), user_id);
ALTER TABLE sessions DROP COLUMN user_id;
ALTER TABLE sessions ALTER COLUMN who SET NOT NULL;
ALTER TABLE sessions ADD PRIMARY KEY (who);

ALTER TABLE questions ADD COLUMN asker_who BYTEA;
UPDATE questions
SET asker_who = pg_temp.sportello_pseudonym((SELECT secret FROM store_secret WHERE id = 1), asker)
WHERE asker IS NOT NULL;
ALTER TABLE questions DROP COLUMN asker;
ALTER TABLE questions RENAME COLUMN asker_who TO asker;
CREATE INDEX questions_asker ON questions (asker) WHERE asker IS NOT NULL;

-- identity: the user key (8 bytes) ‖ the rest, now the pseudonym (16 bytes) ‖ the rest.
ALTER TABLE reminders_done ADD COLUMN who BYTEA;
UPDATE reminders_done
SET who = pg_temp.sportello_pseudonym((SELECT secret FROM store_secret WHERE id = 1), user_id);
UPDATE reminders_done SET identity = who || substring(identity FROM 9);
ALTER TABLE reminders_done DROP COLUMN user_id;
ALTER TABLE reminders_done ALTER COLUMN who SET NOT NULL;
CREATE INDEX reminders_done_who ON reminders_done (who);

-- Entries already waiting: owned by the private chat they go to (as before, when an
-- erasure dropped entries by chat only).
ALTER TABLE outbox ADD COLUMN owner BYTEA;
UPDATE outbox
SET owner = pg_temp.sportello_pseudonym((SELECT secret FROM store_secret WHERE id = 1), chat)
WHERE chat > 0;
CREATE INDEX outbox_owner ON outbox (owner) WHERE owner IS NOT NULL;

DROP FUNCTION pg_temp.sportello_pseudonym(BYTEA, BIGINT);
