-- When each update of the inbox (0007) was kept, so that an instance can hand out the
-- updates another instance kept and never handled (it died and did not come back):
-- `Inbox::stranded` (src/store/postgres/inbox.rs) takes those kept longer ago than the
-- configured time and sets this to now, as a lease, so that one instance takes each.
-- Rows kept before this migration count as kept now.
ALTER TABLE inbox ADD COLUMN received_at TIMESTAMPTZ NOT NULL DEFAULT now();
