//! Snapshots end to end, through the real relay process and CLI: a new device
//! of a ten-year journal starts from a snapshot; compaction deletes only what
//! the snapshot covers; a forged or stale snapshot is refused.

use attune_core::{EntryDoc, EntryId, NewEntry, Timestamp};
use attune_e2e::{journal_with_devices, open_store, Device, Relay};
use serde_json::Value;

/// Stored envelopes of the relay (all journals), read from its database.
fn envelope_count(relay: &Relay) -> i64 {
    relay.edit_db(async |db| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM envelopes")
            .fetch_one(db)
            .await
            .unwrap()
    })
}

fn bodies(d: &Device) -> Vec<String> {
    let mut out: Vec<String> = d
        .json(&["list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// Ten years of daily entries written straight into a device's store, queued for sync.
fn ten_years(d: &Device) {
    const DAY_MS: i64 = 86_400_000;
    let mut store = open_store(d);
    let actor = store.config().actor();
    let docs: Vec<EntryDoc> = (0..3650u64)
        .map(|i| {
            let mut id = [7u8; 16];
            id[8..].copy_from_slice(&i.to_be_bytes());
            let new = NewEntry {
                body: format!(
                    "Day {i}: I noticed how my sister's voice softened when she talked about the garden, and I let the silence be."
                ),
                ..Default::default()
            };
            let at = Timestamp::new(1_460_000_000_000 + i as i64 * DAY_MS, 60);
            EntryDoc::create(EntryId(id), &actor, at, new).unwrap().0
        })
        .collect();
    store.insert_docs(&docs).unwrap();
    store.queue_history_for_sync().unwrap();
}

#[test]
fn a_new_device_starts_from_the_snapshot_and_compaction_keeps_what_is_not_covered() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = journal_with_devices(tmp.path(), &relay, &["laptop", "phone"]);
    let (laptop, phone) = (&d[0], &d[1]);
    ten_years(laptop);
    laptop.ok(&["sync"]);
    let before = envelope_count(&relay);

    // The phone writes offline while the laptop snapshots: never covered, never deleted.
    // (Had the phone synced the ten years first, the snapshot policy would
    // have had it take the snapshot: 3,650 changes are more than enough.)
    phone.write(&["--body", "written on the phone, not yet pushed"]);
    let report = laptop.json(&["sync", "--snapshot", "--json"]);
    let taken = &report["snapshot_taken"];
    assert_eq!(taken["entries"], 3650, "{report}");
    let compacted = taken["compacted"].as_u64().unwrap();
    let after = envelope_count(&relay);
    assert!(
        compacted > 0 && after == before - compacted as i64,
        "{report}"
    );
    // Each device's newest envelope stays (its next one chains to it).
    assert!(after >= 1, "{after}");

    // The phone pushes after the compaction, and the laptop reads it.
    phone.ok(&["sync"]);
    laptop.ok(&["sync"]);
    assert!(bodies(laptop).contains(&"written on the phone, not yet pushed".to_string()));

    // A new device starts from the snapshot, then pulls only what came after.
    let tablet = Device::new(tmp.path().join("tablet"));
    tablet.join("tablet", laptop, &relay);
    let status = tablet.json(&["status", "--json"]);
    assert_eq!(status["problems"], Value::Array(vec![]), "{status}");
    assert_eq!(bodies(&tablet), bodies(laptop));
    assert_eq!(bodies(&tablet).len(), 3651);
    // The list rows that came with the snapshot match the documents.
    let check = tablet.ok(&["check"]);
    assert!(!check.contains("rebuilt"), "{check}");
    // It writes, everyone converges.
    tablet.write(&["--body", "from the tablet"]);
    tablet.ok(&["sync"]);
    for dev in [laptop, phone] {
        dev.ok(&["sync"]);
        assert_eq!(bodies(dev), bodies(&tablet));
    }
}

#[test]
fn a_forged_or_stale_snapshot_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = journal_with_devices(tmp.path(), &relay, &["laptop"]);
    let laptop = &d[0];
    laptop.write(&["--body", "first"]);
    laptop.ok(&["sync", "--snapshot"]);
    let old: Vec<u8> = relay.edit_db(async |db| {
        sqlx::query_scalar("SELECT bytes FROM snapshots")
            .fetch_one(db)
            .await
            .unwrap()
    });
    laptop.write(&["--body", "second"]);
    laptop.ok(&["sync"]);
    laptop.write(&["--body", "third"]);
    laptop.ok(&["sync", "--snapshot"]);

    // A dishonest relay flips one byte of the sealed snapshot: the new device
    // refuses it and cannot be fed anything else (the envelopes are compacted).
    let tampered: Vec<u8> = relay.edit_db(async |db| {
        let mut bytes: Vec<u8> = sqlx::query_scalar("SELECT bytes FROM snapshots")
            .fetch_one(&mut *db)
            .await
            .unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        let original = bytes.clone();
        sqlx::query("UPDATE snapshots SET bytes = ?")
            .bind(&bytes)
            .execute(db)
            .await
            .unwrap();
        original
    });
    let first = Device::new(tmp.path().join("first"));
    let out = join_output(&first, laptop, &relay);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not trustworthy"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // The relay serves the older (genuine) snapshot instead: a stale one, behind
    // the compaction point, so the device says so instead of showing a partial journal.
    relay.edit_db(async |db| {
        sqlx::query("UPDATE snapshots SET bytes = ?")
            .bind(&old)
            .execute(db)
            .await
            .unwrap();
    });
    let second = Device::new(tmp.path().join("second"));
    let out = join_output(&second, laptop, &relay);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no newer snapshot"), "{err}");
    let _ = tampered;

    // The laptop itself, ahead of both, is not fooled into going back.
    let out = laptop.run(&["sync"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(bodies(laptop), vec!["first", "second", "third"]);
}

/// `join start` + `device add` + `join finish`, returning the last command's output.
fn join_output(new: &Device, existing: &Device, relay: &Relay) -> std::process::Output {
    let ticket = existing.add_device(&new.request_join("new", relay));
    new.run(&["join", "finish", &ticket])
}
