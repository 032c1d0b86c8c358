-- Attune relay schema for PostgreSQL, version 1 (the same tables as SQLite's
-- 0001_init.sql). Every blob is opaque to the relay except rosters (public
-- keys) and the envelope header fields it indexes by.
--
-- Several relay instances may share one database: every push group locks its
-- journals' rows (SELECT ... FOR UPDATE) before it assigns relay sequences,
-- so head_seq below is the single source of the next relay sequence.

CREATE TABLE journals (
    journal_id   BYTEA  NOT NULL PRIMARY KEY,
    created_unix BIGINT NOT NULL,
    -- Latest relay sequence number of the journal (0 = no envelope yet).
    head_seq     BIGINT NOT NULL DEFAULT 0,
    -- Bytes of stored envelopes, counted against the journal quota.
    used_bytes   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE rosters (
    journal_id BYTEA  NOT NULL REFERENCES journals (journal_id),
    version    BIGINT NOT NULL,
    hash       BYTEA  NOT NULL,
    bytes      BYTEA  NOT NULL,
    PRIMARY KEY (journal_id, version)
);

-- The devices of the latest roster, kept in step with it by every roster write.
CREATE TABLE devices (
    journal_id     BYTEA  NOT NULL REFERENCES journals (journal_id),
    device_id      BYTEA  NOT NULL,
    verifying_key  BYTEA  NOT NULL,
    roster_version BIGINT NOT NULL,
    PRIMARY KEY (journal_id, device_id)
);

CREATE TABLE wrapped_keys (
    journal_id BYTEA  NOT NULL REFERENCES journals (journal_id),
    device_id  BYTEA  NOT NULL,
    epoch      BIGINT NOT NULL,
    blob       BYTEA  NOT NULL,
    PRIMARY KEY (journal_id, device_id, epoch)
);

CREATE TABLE envelopes (
    journal_id    BYTEA  NOT NULL REFERENCES journals (journal_id),
    relay_seq     BIGINT NOT NULL,
    device_id     BYTEA  NOT NULL,
    device_seq    BIGINT NOT NULL,
    hash          BYTEA  NOT NULL,
    bytes         BYTEA  NOT NULL,
    received_unix BIGINT NOT NULL,
    PRIMARY KEY (journal_id, relay_seq),
    UNIQUE (journal_id, device_id, device_seq)
);

-- Envelopes are ciphertext: compressing them is wasted work.
ALTER TABLE envelopes ALTER COLUMN bytes SET STORAGE EXTERNAL;
