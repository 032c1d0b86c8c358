-- Version 4: pairing rendezvous in the database, so that the two devices of a
-- pairing may reach different relay instances (ADR 0007).

-- One open rendezvous. Rows live until `expires_unix` and are deleted by the
-- next open after that. `opener` is the opener's client address (as the
-- limits see it), kept only for the per-address cap.
CREATE TABLE pairings (
    nameplate         BIGINT NOT NULL PRIMARY KEY,
    journal_id        BYTEA NOT NULL,
    opener            TEXT NOT NULL,
    cancel_commitment BYTEA NOT NULL,
    expires_unix      BIGINT NOT NULL,
    closed            BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX pairings_by_opener ON pairings (opener, expires_unix);

-- The opaque messages of each side (0: existing device, 1: new device), in order.
CREATE TABLE pairing_messages (
    nameplate BIGINT NOT NULL REFERENCES pairings (nameplate) ON DELETE CASCADE,
    side      BIGINT NOT NULL,
    idx       BIGINT NOT NULL,
    body      BYTEA NOT NULL,
    PRIMARY KEY (nameplate, side, idx)
);
