//! Nothing wedges: a hostile member's signed envelope with a bad change, or
//! one bit flipped in a stored envelope, is refused and reported while every
//! device converges on everything else within three syncs — and revoking and
//! adding devices keeps working meanwhile.

use attune_client::sync::{ChangeBatch, SyncState};
use attune_core::{EntryChange, EntryDoc, EntryId, NewEntry, Timestamp};
use attune_crypto::seal_envelope;
use attune_e2e::{block_on, ids_of, open_store, session_as, synced_devices, Device, Relay};
use attune_proto::{DeviceSeq, Envelope};

fn bodies(d: &Device) -> Vec<String> {
    let mut b: Vec<String> = d
        .json(&["list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"].as_str().unwrap().to_string())
        .collect();
    b.sort();
    b
}

/// Syncs each device up to three times, until all show the same journal.
fn converge(devices: &[&Device]) {
    for _ in 0..3 {
        for d in devices {
            let _ = d.run(&["sync"]);
        }
        if devices
            .windows(2)
            .all(|w| w[0].snapshot() == w[1].snapshot())
        {
            return;
        }
    }
    panic!("the devices did not converge within three syncs");
}

/// The member `t` signs and pushes one envelope carrying `changes`, as its next one.
fn push_signed(relay: &Relay, t: &Device, changes: Vec<EntryChange>) {
    push_batch(relay, t, ChangeBatch::of(changes, "tablet"));
}

/// The member `t` signs and pushes `batch` as its next envelope.
fn push_batch(relay: &Relay, t: &Device, batch: ChangeBatch) {
    let (journal, device) = ids_of(t);
    let envelope: Envelope = {
        let store = open_store(t);
        let mut state = SyncState::load(&store).unwrap();
        let ring = store.keyring();
        let (epoch, key) = ring.for_roster(state.roster().unwrap()).unwrap();
        let plain = batch.encode();
        let env = seal_envelope(
            key,
            store.identity(),
            journal,
            device,
            epoch,
            DeviceSeq(state.next_seq),
            state.last_hash,
            &plain,
        )
        .unwrap();
        state.next_seq += 1;
        state.last_hash = env.hash();
        state.save(&store).unwrap();
        env
    };
    block_on(session_as(relay, t).push(vec![envelope]))
        .expect("the relay stores a signed envelope");
}

#[test]
fn a_signed_envelope_with_bad_changes_is_refused_and_sync_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "desktop", "tablet"]);
    let (a, b, t) = (&d[0], &d[1], &d[2]);
    let (_, a_id) = ids_of(a);

    // 1. Bytes that are no Automerge change at all.
    push_signed(
        &relay,
        t,
        vec![EntryChange {
            entry: EntryId([7; 16]),
            bytes: b"this is not an automerge change".to_vec(),
        }],
    );
    // 2. A real change, written as if by the laptop (the tablet impersonates its author).
    let (_, forged) = EntryDoc::create(
        EntryId([8; 16]),
        &a_id.0,
        Timestamp::new(1_767_225_600_000, 0),
        NewEntry {
            body: "words the laptop never wrote".into(),
            ..Default::default()
        },
    )
    .unwrap();
    push_signed(&relay, t, vec![forged]);
    a.write(&["--body", "written after the bad envelopes"]);
    let _ = a.run(&["sync"]);

    // The desktop reports both, applies the rest, and its cursor moves on.
    let out = b.sync();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems = report["problems"].to_string();
    assert!(problems.contains("malformed change"), "{problems}");
    assert!(problems.contains("written by another device"), "{problems}");
    assert!(bodies(b).contains(&"written after the bad envelopes".to_string()));
    assert!(!bodies(b).contains(&"words the laptop never wrote".to_string()));
    assert!(
        b.dir
            .join(attune_client::sync::QUARANTINE_DIR)
            .read_dir()
            .unwrap()
            .count()
            >= 2
    );
    let again = b.sync();
    assert!(
        again.status.success(),
        "the refused envelopes are not asked for again: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    converge(&[a, b]);

    // Revoking the sender and adding a device still work.
    let (_, t_id) = ids_of(t);
    a.ok(&["device", "revoke", &t_id.to_string()[..8]]);
    let e = Device::new(tmp.path().join("new-laptop"));
    e.join("new-laptop", a, &relay);
    converge(&[a, b, &e]);
    assert!(bodies(&e).contains(&"written after the bad envelopes".to_string()));
}

#[test]
fn one_bit_flipped_in_a_stored_envelope_heals_within_three_syncs() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "desktop"]);
    let (a, b) = (&d[0], &d[1]);
    b.write(&["--body", "damaged on the relay"]);
    b.ok(&["sync"]);

    // The relay's disk flips one bit of that envelope's ciphertext.
    let (journal, b_id) = ids_of(b);
    relay.edit_db(async |conn| {
        let (seq, bytes): (i64, Vec<u8>) = sqlx::query_as(
            "SELECT relay_seq, bytes FROM envelopes WHERE journal_id = ? AND device_id = ? ORDER BY relay_seq DESC LIMIT 1",
        )
        .bind(journal.0.to_vec())
        .bind(b_id.0.to_vec())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let mut flipped = bytes;
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x04;
        sqlx::query("UPDATE envelopes SET bytes = ? WHERE journal_id = ? AND relay_seq = ?")
            .bind(flipped)
            .bind(journal.0.to_vec())
            .bind(seq)
            .execute(&mut *conn)
            .await
            .unwrap();
    });

    // The desktop writes on; the relay keeps serving the damaged copy.
    b.write(&["--body", "written after the damage"]);
    let _ = b.run(&["sync"]);
    let out = a.sync();
    let problems =
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["problems"].to_string();
    assert!(problems.contains("refused envelope"), "{problems}");
    converge(&[a, b]);
    let on_a = bodies(a);
    for body in ["damaged on the relay", "written after the damage"] {
        assert!(
            on_a.contains(&body.to_string()),
            "{body} is missing: {on_a:?}"
        );
    }
    // Once healed, syncing is quiet again.
    let quiet = a.sync();
    assert!(
        quiet.status.success(),
        "{}",
        String::from_utf8_lossy(&quiet.stdout)
    );
}

#[test]
fn an_envelope_the_relay_withholds_is_healed_by_a_snapshot_that_covers_it() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "desktop", "tablet"]);
    let (a, b, c) = (&d[0], &d[1], &d[2]);
    b.write(&["--body", "the relay hides this one"]);
    b.ok(&["sync"]);
    b.write(&["--body", "and serves this one"]);
    b.ok(&["sync"]);
    c.ok(&["sync"]);

    // From now on the relay withholds the desktop's first envelope from everyone.
    let (journal, b_id) = ids_of(b);
    relay.edit_db(async |conn| {
        sqlx::query(
            "DELETE FROM envelopes WHERE journal_id = ? AND device_id = ? AND relay_seq = \
             (SELECT MIN(relay_seq) FROM envelopes WHERE journal_id = ? AND device_id = ?)",
        )
        .bind(journal.0.to_vec())
        .bind(b_id.0.to_vec())
        .bind(journal.0.to_vec())
        .bind(b_id.0.to_vec())
        .execute(&mut *conn)
        .await
        .unwrap();
    });
    let out = a.sync();
    let problems =
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["problems"].to_string();
    assert!(problems.contains("missing"), "{problems}");
    assert!(!bodies(a).contains(&"the relay hides this one".to_string()));

    // The tablet, which has both, takes a snapshot; the laptop starts from it.
    c.ok(&["sync", "--snapshot"]);
    converge(&[a, b, c]);
    let on_a = bodies(a);
    for body in ["the relay hides this one", "and serves this one"] {
        assert!(
            on_a.contains(&body.to_string()),
            "{body} is missing: {on_a:?}"
        );
    }
}

#[test]
fn an_envelope_the_relay_can_no_longer_decode_is_skipped_and_sent_again() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "desktop"]);
    let (a, b) = (&d[0], &d[1]);
    b.write(&["--body", "its header is damaged"]);
    b.ok(&["sync"]);
    b.write(&["--body", "written after that"]);
    b.ok(&["sync"]);

    // A bit flips in the version byte of the desktop's first envelope: the
    // relay can no longer decode it, and leaves a hole in every page.
    let (journal, b_id) = ids_of(b);
    relay.edit_db(async |conn| {
        let (seq, mut bytes): (i64, Vec<u8>) = sqlx::query_as(
            "SELECT relay_seq, bytes FROM envelopes WHERE journal_id = ? AND device_id = ? ORDER BY relay_seq LIMIT 1",
        )
        .bind(journal.0.to_vec())
        .bind(b_id.0.to_vec())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        bytes[0] ^= 0x08;
        sqlx::query("UPDATE envelopes SET bytes = ? WHERE journal_id = ? AND relay_seq = ?")
            .bind(bytes)
            .bind(journal.0.to_vec())
            .bind(seq)
            .execute(&mut *conn)
            .await
            .unwrap();
    });
    // A device that had not seen either: a new one.
    let c = Device::new(tmp.path().join("new-laptop"));
    c.join("new-laptop", a, &relay);
    converge(&[a, b, &c]);
    let on_c = bodies(&c);
    for body in ["its header is damaged", "written after that"] {
        assert!(
            on_c.contains(&body.to_string()),
            "{body} is missing: {on_c:?}"
        );
    }
    let quiet = c.sync();
    assert!(
        quiet.status.success(),
        "{}",
        String::from_utf8_lossy(&quiet.stdout)
    );
}

#[test]
fn a_member_cannot_make_a_device_send_everything_again_and_again() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "tablet"]);
    let (a, t) = (&d[0], &d[1]);
    a.write(&["--body", "one"]);
    a.ok(&["sync"]);
    let (_, a_id) = ids_of(a);
    let pushed = |d: &Device| {
        let out = d.sync();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["pushed"]
            .as_u64()
            .unwrap()
    };
    // The tablet claims, again and again, that it could not read the laptop's first envelope.
    let claim = || {
        let mut batch = ChangeBatch::of(vec![], "tablet");
        batch.unreadable = vec![(a_id, 1)];
        batch
    };
    push_batch(&relay, t, claim());
    assert!(
        pushed(a) >= 1,
        "the first report is answered: everything is sent again"
    );
    for _ in 0..3 {
        push_batch(&relay, t, claim());
        assert_eq!(
            pushed(a),
            0,
            "a report about an answered envelope sends nothing"
        );
    }
}
