-- Version 3: journals re-seeded from a device.

-- When a device re-created this journal from its signed roster chain (0:
-- never). Such a journal lost its history before the re-seed: each device's
-- first envelope here may continue its chain from wherever it stands, and the
-- first snapshot may cover envelopes this relay never held.
ALTER TABLE journals ADD COLUMN reseeded_unix INTEGER NOT NULL DEFAULT 0;

-- A recovery kit finds its journal by its device id (words issued by
-- `attune recovery rotate` do not derive the journal's id).
CREATE INDEX devices_by_device ON devices (device_id);
