-- Attune relay schema, version 1. Every blob is opaque to the relay except
-- rosters (public keys) and the envelope header fields it indexes by.

CREATE TABLE journals (
    journal_id   BLOB    NOT NULL PRIMARY KEY,
    created_unix INTEGER NOT NULL,
    -- Latest relay sequence number of the journal (0 = no envelope yet).
    head_seq     INTEGER NOT NULL DEFAULT 0,
    -- Bytes of stored envelopes, counted against the journal quota.
    used_bytes   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE rosters (
    journal_id BLOB    NOT NULL REFERENCES journals (journal_id),
    version    INTEGER NOT NULL,
    hash       BLOB    NOT NULL,
    bytes      BLOB    NOT NULL,
    PRIMARY KEY (journal_id, version)
);

-- The devices of the latest roster, kept in step with it by every roster write.
CREATE TABLE devices (
    journal_id    BLOB    NOT NULL REFERENCES journals (journal_id),
    device_id     BLOB    NOT NULL,
    verifying_key BLOB    NOT NULL,
    roster_version INTEGER NOT NULL,
    PRIMARY KEY (journal_id, device_id)
);

CREATE TABLE wrapped_keys (
    journal_id BLOB    NOT NULL REFERENCES journals (journal_id),
    device_id  BLOB    NOT NULL,
    epoch      INTEGER NOT NULL,
    blob       BLOB    NOT NULL,
    PRIMARY KEY (journal_id, device_id, epoch)
);

CREATE TABLE envelopes (
    journal_id    BLOB    NOT NULL REFERENCES journals (journal_id),
    relay_seq     INTEGER NOT NULL,
    device_id     BLOB    NOT NULL,
    device_seq    INTEGER NOT NULL,
    hash          BLOB    NOT NULL,
    bytes         BLOB    NOT NULL,
    received_unix INTEGER NOT NULL,
    PRIMARY KEY (journal_id, relay_seq),
    UNIQUE (journal_id, device_id, device_seq)
);
