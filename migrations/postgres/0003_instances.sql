-- Several instances on one database (see src/store/postgres/instances.rs): one-time
-- duties, e.g. the webhook set with given settings (a fingerprint, never the secret).

CREATE TABLE instance_duties (
    duty  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
