-- When each update of the inbox (0007) was kept, so that the running bot can hand out
-- again the updates kept long ago and still not handled (their instance died and did
-- not come back, or their handling's writes were refused): `Inbox::stranded`
-- (src/store/postgres/inbox.rs) takes those kept longer ago than the configured time and
-- sets this to now, as a lease, so that one instance takes each. Rows kept before this
-- migration count as kept now.
ALTER TABLE inbox ADD COLUMN received_at TIMESTAMPTZ NOT NULL DEFAULT now();
