//! The decoding of what the shared SQL returns, shared by both backends.
//!
//! Rows are fetched (their types differ per database) as the plain values
//! named here and decoded with the functions below, so that both backends
//! read stored data, and refuse corrupt data, in the same way.

use attune_proto::{
    DeviceId, DeviceSeq, Envelope, Epoch, JournalId, RelaySeq, Roster, Snapshot, StoredEnvelope,
    WrappedKey,
};

use super::{DeviceTip, JournalStats, JournalTip, StorageError, StoredSnapshot};

/// `head_seq, used_bytes, compacted_through` of a journal.
pub(crate) type StatsRow = (i64, i64, i64, i64);
/// `device_seq, hash` of a device's newest envelope.
pub(crate) type TipRow = (i64, Vec<u8>);
/// `epoch, blob` of a wrapped key.
pub(crate) type KeyRow = (i64, Vec<u8>);
/// `bytes, hash` of a snapshot.
pub(crate) type SnapshotRow = (Vec<u8>, Vec<u8>);
/// `device_id, MAX(device_seq)` of a device's envelopes.
pub(crate) type MaximumRow = (Vec<u8>, i64);

/// Converts a wire counter to the database's signed 64-bit integer.
pub(crate) fn to_i64(value: u64, what: &str) -> Result<i64, StorageError> {
    i64::try_from(value).map_err(|_| StorageError::OutOfRange(format!("{what} {value}")))
}

/// Converts a stored signed 64-bit integer back to a wire counter.
pub(crate) fn to_u64(value: i64, what: &str) -> Result<u64, StorageError> {
    u64::try_from(value).map_err(|_| StorageError::Corrupt(format!("negative {what} {value}")))
}

/// A stored schema version (how many migrations ran), refused when this relay
/// knows fewer (`known`) migrations than that.
pub(crate) fn schema_version(applied: i64, known: usize) -> Result<usize, StorageError> {
    let applied = usize::try_from(applied)
        .map_err(|_| StorageError::Corrupt(format!("schema version {applied}")))?;
    if applied > known {
        return Err(StorageError::Corrupt(format!(
            "the database has schema version {applied}, newer than this relay ({known})"
        )));
    }
    Ok(applied)
}

/// A stored 32-byte hash.
pub(crate) fn blob32(bytes: &[u8], what: &str) -> Result<[u8; 32], StorageError> {
    bytes
        .try_into()
        .map_err(|_| StorageError::Corrupt(format!("{what} has {} bytes", bytes.len())))
}

/// A stored journal id.
pub(crate) fn journal_id(bytes: &[u8]) -> Result<JournalId, StorageError> {
    bytes
        .try_into()
        .map(JournalId)
        .map_err(|_| StorageError::Corrupt(format!("journal id has {} bytes", bytes.len())))
}

/// A stored device id.
pub(crate) fn device_id(bytes: &[u8]) -> Result<DeviceId, StorageError> {
    bytes
        .try_into()
        .map(DeviceId)
        .map_err(|_| StorageError::Corrupt(format!("device id has {} bytes", bytes.len())))
}

/// Decodes a stored roster.
pub(crate) fn roster(bytes: &[u8]) -> Result<Roster, StorageError> {
    Roster::decode(bytes).map_err(|e| StorageError::Corrupt(format!("stored roster: {e}")))
}

/// Decodes a journal's counters.
pub(crate) fn journal_stats(
    (head, used, compacted, reseeded): StatsRow,
) -> Result<JournalStats, StorageError> {
    Ok(JournalStats {
        head: RelaySeq(to_u64(head, "head")?),
        used_bytes: to_u64(used, "used bytes")?,
        compacted_through: RelaySeq(to_u64(compacted, "compacted through")?),
        reseeded: reseeded != 0,
    })
}

/// Decodes a journal's head and used bytes.
pub(crate) fn journal_tip(head: i64, used: i64, reseeded: i64) -> Result<JournalTip, StorageError> {
    Ok(JournalTip {
        head: RelaySeq(to_u64(head, "head")?),
        used_bytes: to_u64(used, "used bytes")?,
        reseeded: reseeded != 0,
    })
}

/// Decodes a device's tip ([`DeviceTip::EMPTY`] when it has stored nothing).
pub(crate) fn device_tip(row: Option<TipRow>) -> Result<DeviceTip, StorageError> {
    match row {
        None => Ok(DeviceTip::EMPTY),
        Some((seq, hash)) => Ok(DeviceTip {
            seq: DeviceSeq(to_u64(seq, "device seq")?),
            hash: blob32(&hash, "envelope hash")?,
        }),
    }
}

/// Decodes the wrapped keys of `device`.
pub(crate) fn wrapped_keys(
    device: DeviceId,
    rows: Vec<KeyRow>,
) -> Result<Vec<WrappedKey>, StorageError> {
    rows.into_iter()
        .map(|(epoch, blob)| {
            let epoch = u32::try_from(epoch)
                .map_err(|_| StorageError::Corrupt(format!("epoch {epoch}")))?;
            Ok(WrappedKey {
                device_id: device,
                epoch: Epoch(epoch),
                blob,
            })
        })
        .collect()
}

/// Decodes a stored snapshot.
pub(crate) fn snapshot((bytes, hash): SnapshotRow) -> Result<StoredSnapshot, StorageError> {
    let snapshot = Snapshot::decode(&bytes)
        .map_err(|e| StorageError::Corrupt(format!("stored snapshot: {e}")))?;
    let hash: [u8; 32] = hash.try_into().map_err(|h: Vec<u8>| {
        StorageError::Corrupt(format!("snapshot hash has {} bytes", h.len()))
    })?;
    Ok(StoredSnapshot { snapshot, hash })
}

/// Decodes a device's highest stored sequence.
pub(crate) fn device_maximum(
    (device, seq): MaximumRow,
) -> Result<(DeviceId, DeviceSeq), StorageError> {
    Ok((device_id(&device)?, DeviceSeq(to_u64(seq, "device seq")?)))
}

/// A page of envelopes being read, bounded in bytes (see [`super::Storage::envelopes_after`]).
pub(crate) struct Page {
    journal: JournalId,
    max_bytes: usize,
    total: usize,
    envelopes: Vec<StoredEnvelope>,
}

impl Page {
    /// An empty page of `journal` that stops before passing `max_bytes`.
    pub(crate) fn new(journal: JournalId, max_bytes: usize) -> Page {
        Page {
            journal,
            max_bytes,
            total: 0,
            envelopes: Vec::new(),
        }
    }

    /// Adds one row of [`ENVELOPES_AFTER`](super::sql::ENVELOPES_AFTER); false when the page is full (the row is not taken).
    ///
    /// The first row is always taken, whatever its size. An envelope whose
    /// bytes no longer decode is logged and left out.
    pub(crate) fn take(
        &mut self,
        relay_seq: i64,
        received_unix: i64,
        bytes: &[u8],
    ) -> Result<bool, StorageError> {
        self.total = self.total.saturating_add(bytes.len());
        if self.total > self.max_bytes && !self.envelopes.is_empty() {
            return Ok(false);
        }
        let relay_seq = RelaySeq(to_u64(relay_seq, "relay seq")?);
        let received_unix = to_u64(received_unix, "time")?;
        match Envelope::decode(bytes) {
            Ok(envelope) => self.envelopes.push(StoredEnvelope {
                relay_seq,
                received_unix,
                envelope,
            }),
            Err(e) => {
                tracing::error!(journal_id = %self.journal, relay_seq = relay_seq.0, error = %e,
                    "stored envelope does not decode; leaving it out of the page");
            }
        }
        Ok(true)
    }

    /// The envelopes taken, in order.
    pub(crate) fn into_envelopes(self) -> Vec<StoredEnvelope> {
        self.envelopes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(seq: u64) -> Vec<u8> {
        Envelope {
            v: attune_proto::WIRE_VERSION,
            journal_id: JournalId([1; 16]),
            device_id: DeviceId([2; 16]),
            epoch: Epoch(1),
            device_seq: DeviceSeq(seq),
            prev_hash: [0; 32],
            ciphertext: vec![7; 100],
            signature: [0; 64],
        }
        .encode()
    }

    #[test]
    fn a_page_takes_its_first_envelope_and_stops_at_its_budget() {
        let (one, two) = (envelope(1), envelope(2));
        let mut page = Page::new(JournalId([1; 16]), one.len());
        // Bytes that do not decode are left out (and do not make the page non-empty).
        assert!(page.take(1, 5, &[0xff; 3]).unwrap());
        assert!(page.take(2, 5, &one).unwrap());
        assert!(!page.take(3, 5, &two).unwrap());
        let taken = page.into_envelopes();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].relay_seq, RelaySeq(2));
        assert_eq!(taken[0].received_unix, 5);
        assert!(Page::new(JournalId([1; 16]), 10).take(-1, 0, &one).is_err());
    }
}
