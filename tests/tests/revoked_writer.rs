//! A revoked device writes nothing more: its open live socket is refused and
//! closed, an envelope it signs afterwards (even at the old epoch whose key it
//! kept, and even stored by a colluding relay) is refused by every device, and
//! it cannot read another device's files written after its removal.

use std::time::{Duration, Instant};

use attune_client::sync::{ChangeBatch, SyncState};
use attune_crypto::{open_blob, seal_envelope, unwrap_at_rest_key};
use attune_e2e::{ids_of, journal_with_devices, open_store, synced_devices, Device, Relay};
use attune_proto::{DeviceId, DeviceSeq, Epoch, JournalId};

fn bodies(d: &Device) -> Vec<String> {
    d.json(&["list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"].as_str().unwrap().to_string())
        .collect()
}

fn envelopes_of(relay: &Relay, journal: JournalId, device: DeviceId) -> i64 {
    relay.edit_db(async |conn| {
        sqlx::query_scalar("SELECT COUNT(*) FROM envelopes WHERE journal_id = ? AND device_id = ?")
            .bind(journal.0.to_vec())
            .bind(device.0.to_vec())
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    })
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_revoked_device_with_an_open_live_socket_cannot_push() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "desktop", "stolen"]);
    let (a, b, t) = (&d[0], &d[1], &d[2]);
    let (journal, t_id) = ids_of(t);

    // The stolen device keeps a live socket open.
    let mut watch = t.watch();
    t.write(&["--body", "the stolen device, before"]);
    wait_until("the live push", Duration::from_secs(30), || {
        envelopes_of(&relay, journal, t_id) >= 1
    });
    let before = envelopes_of(&relay, journal, t_id);

    a.ok(&["device", "revoke", &t_id.to_string()[..8]]);
    t.write(&["--body", "the stolen device, after its revocation"]);
    // Its watch either gets the push refused and stops, or is closed by the relay.
    wait_until(
        "the watch of the revoked device to stop",
        Duration::from_secs(30),
        || watch.try_wait().unwrap().is_some(),
    );
    assert_eq!(
        envelopes_of(&relay, journal, t_id),
        before,
        "the relay stored a push of a revoked device"
    );
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert!(!bodies(a).contains(&"the stolen device, after its revocation".to_string()));
    assert!(bodies(a).contains(&"the stolen device, before".to_string()));
}

#[test]
fn what_a_revoked_device_signs_later_is_refused_even_from_a_colluding_relay() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = journal_with_devices(tmp.path(), &relay, &["laptop", "desktop", "stolen"]);
    let (a, b, t) = (&d[0], &d[1], &d[2]);
    t.write(&["--body", "the stolen device, before"]);
    for dev in &d {
        dev.ok(&["sync"]);
    }
    let (journal, t_id) = ids_of(t);
    a.ok(&["device", "revoke", &t_id.to_string()[..8]]);

    // The stolen device signs its next envelope under the epoch-1 key it kept,
    // and the relay stores it as if it had been pushed.
    let forged = {
        let store = open_store(t);
        let state = SyncState::load(&store).unwrap();
        let ring = store.keyring();
        let plain = ChangeBatch::of(vec![], "definitely the laptop").encode();
        seal_envelope(
            ring.get(Epoch(1)).unwrap(),
            store.identity(),
            journal,
            t_id,
            Epoch(1),
            DeviceSeq(state.next_seq),
            state.last_hash,
            &plain,
        )
        .unwrap()
    };
    relay.edit_db(async |conn| {
        let head: i64 = sqlx::query_scalar("SELECT head_seq FROM journals WHERE journal_id = ?")
            .bind(journal.0.to_vec())
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO envelopes (journal_id, relay_seq, device_id, device_seq, hash, bytes, received_unix) VALUES (?, ?, ?, ?, ?, ?, 0)")
            .bind(journal.0.to_vec())
            .bind(head + 1)
            .bind(t_id.0.to_vec())
            .bind(forged.device_seq.0 as i64)
            .bind(forged.hash().to_vec())
            .bind(forged.encode())
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("UPDATE journals SET head_seq = ? WHERE journal_id = ?")
            .bind(head + 1)
            .bind(journal.0.to_vec())
            .execute(&mut *conn)
            .await
            .unwrap();
    });
    for dev in [a, b] {
        let out = dev.sync();
        let problems = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
            ["problems"]
            .to_string();
        assert!(problems.contains("after it was removed"), "{problems}");
        // Refused once and for all: the next sync is quiet.
        let again = dev.sync();
        assert!(again.status.success());
        let names = dev.json(&["device", "list", "--json"]).to_string();
        assert!(!names.contains("definitely the laptop"), "{names}");
    }
    assert!(bodies(a).contains(&"the stolen device, before".to_string()));
}

#[test]
fn a_revoked_device_cannot_read_files_written_after_its_revocation() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "stolen"]);
    let (a, t) = (&d[0], &d[1]);
    let (_, t_id) = ids_of(t);
    a.ok(&["device", "revoke", &t_id.to_string()[..8]]);
    let id = a.write(&["--body", "written after the revocation"]);
    // Small entries are packed by the first byte of their id (ADR 0011).
    let pack = id[..2].to_string();
    let file = a.dir.join("entries").join(format!("{pack}.pack"));
    let sealed = std::fs::read(&file).unwrap();

    // Every key the stolen device holds: its journal keys and its own disk key.
    let store = open_store(t);
    let identity = store.identity();
    let mut keys: Vec<_> = store
        .keyring()
        .epochs()
        .filter_map(|e| store.keyring().get(e).cloned())
        .collect();
    keys.push(
        unwrap_at_rest_key(&std::fs::read(t.dir.join("at-rest-key")).unwrap(), identity).unwrap(),
    );
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(open_blob(key, "entry-pack", &pack, &sealed).is_err());
    }
    drop(store);
    // Copied into its own directory, the file is reported as unreadable, not shown.
    std::fs::copy(&file, t.dir.join("entries").join(format!("{pack}.pack"))).unwrap();
    let out = t.run(&["show", &id]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("written after the revocation"));
}
