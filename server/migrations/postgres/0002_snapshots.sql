-- Version 2: snapshots and compaction.

-- Every envelope of the journal up to this relay sequence was deleted by
-- compaction; a device whose cursor is below it starts from the snapshot.
ALTER TABLE journals ADD COLUMN compacted_through BIGINT NOT NULL DEFAULT 0;

-- The newest verified snapshot of each journal (one per journal). Its bytes
-- are the encoded, signed snapshot; only its header is readable.
CREATE TABLE snapshots (
    journal_id    BYTEA NOT NULL PRIMARY KEY REFERENCES journals (journal_id),
    hash          BYTEA NOT NULL,
    cursor_seq    BIGINT NOT NULL,
    bytes         BYTEA NOT NULL,
    received_unix BIGINT NOT NULL
);
