//! Journal keys are bound to the signed roster: a key planted by a hostile
//! member or by the relay itself (age does not authenticate who wrapped a
//! key) is refused, and nothing is ever sealed under it.

use attune_client::sync::SyncState;
use attune_crypto::{open_envelope, wrap_journal_key, ChainState, JournalKey, KeyRing};
use attune_e2e::{
    block_on, ids_of, open_store, relay_envelopes, session_as, synced_devices, Device, Relay,
};
use attune_proto::{DeviceId, Epoch, JournalId, StoredEnvelope, WrappedKey, WrappedKeys};

fn recipient_of(viewer: &Device, device: DeviceId) -> String {
    let store = open_store(viewer);
    let state = SyncState::load(&store).unwrap();
    state
        .roster()
        .and_then(|r| r.device(device))
        .expect("a member")
        .age_recipient
        .clone()
}

/// The relay operator writes a key row straight into its database.
fn relay_plants(relay: &Relay, journal: JournalId, device: DeviceId, epoch: u32, blob: Vec<u8>) {
    relay.edit_db(async |conn| {
        sqlx::query("INSERT OR REPLACE INTO wrapped_keys (journal_id, device_id, epoch, blob) VALUES (?, ?, ?, ?)")
            .bind(journal.0.to_vec())
            .bind(device.0.to_vec())
            .bind(i64::from(epoch))
            .bind(blob)
            .execute(&mut *conn)
            .await
            .expect("plant a key row");
    });
}

fn newest_of(relay: &Relay, viewer: &Device, device: DeviceId) -> StoredEnvelope {
    relay_envelopes(relay, &open_store(viewer))
        .into_iter()
        .rfind(|e| e.envelope.device_id == device)
        .expect("an envelope of the device")
}

/// Whether `planted` (as the key of every epoch) opens the envelope.
fn opens_with(env: &StoredEnvelope, viewer: &Device, planted: &JournalKey) -> bool {
    let store = open_store(viewer);
    let state = SyncState::load(&store).unwrap();
    let mut ring = KeyRing::new();
    for epoch in 0..12 {
        ring.insert(Epoch(epoch), planted.clone());
    }
    open_envelope(
        &env.envelope,
        &state.rosters,
        &ring,
        &ChainState::new(),
        env.envelope.journal_id,
    )
    .is_ok()
}

/// The problems one sync reports (it finishes, but says what it refused).
fn sync_problems(d: &Device) -> String {
    let out = d.sync();
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("a JSON sync report");
    report["problems"].to_string()
}

#[test]
fn keys_planted_by_a_member_or_by_the_relay_are_refused_and_never_used() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "desktop", "tablet"]);
    let (a, b, t) = (&d[0], &d[1], &d[2]);
    let (journal, b_id) = ids_of(b);
    let (_, t_id) = ids_of(t);
    let b_recipient = recipient_of(a, b_id);
    let planted = JournalKey::generate();

    // A hostile member (the tablet) plants a key of its choosing for the
    // desktop at a future epoch, and one over an epoch it holds: the relay refuses both.
    let tablet = session_as(&relay, t);
    for epoch in [7, 1] {
        let put = block_on(tablet.put_keys(&WrappedKeys {
            v: attune_proto::WIRE_VERSION,
            keys: vec![WrappedKey {
                device_id: b_id,
                epoch: Epoch(epoch),
                blob:
                    wrap_journal_key(&planted, epoch, std::slice::from_ref(&b_recipient)).unwrap(),
            }],
        }));
        assert!(
            put.is_err(),
            "the relay stored a planted key at epoch {epoch}"
        );
    }

    // The relay itself needs no member: it writes the rows into its database,
    // at a future epoch and at epoch 0 (which once decided the at-rest key).
    for epoch in [7, 0] {
        let blob = wrap_journal_key(&planted, epoch, std::slice::from_ref(&b_recipient)).unwrap();
        relay_plants(&relay, journal, b_id, epoch, blob);
    }
    // The laptop revokes the tablet: epoch 2, committed in the signed roster.
    let out = a.ok(&["device", "revoke", &t_id.to_string()[..8]]);
    assert!(out.contains("epoch 2"), "{out}");

    // The desktop takes the committed key of epoch 2 and refuses the planted ones.
    let problems = sync_problems(b);
    assert!(problems.contains("refused the journal key"), "{problems}");
    assert!(!b.dir.join("keys").join("epoch-7.age").exists());
    assert!(!b.dir.join("keys").join("epoch-0.age").exists());
    b.write(&["--body", "written after the plant"]);
    b.ok(&["sync"]);
    let newest = newest_of(&relay, a, b_id);
    assert_eq!(
        newest.envelope.epoch,
        Epoch(2),
        "sealed under the roster's epoch"
    );
    assert!(
        !opens_with(&newest, a, &planted),
        "the desktop's entry opened with the planted key"
    );
    b.ok(&["sync", "--snapshot"]);
    // The snapshot (the whole journal) is sealed under epoch 2's real key too.
    let snapshot = block_on(session_as(&relay, a).snapshot())
        .unwrap()
        .snapshot
        .expect("a snapshot");
    assert_eq!(snapshot.header.epoch, Epoch(2));
    let ring = {
        let mut ring = KeyRing::new();
        ring.insert(Epoch(2), planted.clone());
        ring
    };
    let state = SyncState::load(&open_store(a)).unwrap();
    assert!(attune_crypto::open_snapshot(&snapshot, &state.rosters, &ring, journal).is_err());

    // Nothing changed the desktop's own disk key: every file reads, no view was lost.
    let check = b.ok(&["check"]);
    assert!(check.contains("reads correctly"), "{check}");
    a.ok(&["sync"]);
    assert_eq!(a.snapshot(), b.snapshot());
    let listed = b.json(&["list", "--json"]).to_string();
    assert!(listed.contains("written after the plant"), "{listed}");
}

#[test]
fn a_key_the_relay_plants_for_a_joining_device_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let a = Device::new(tmp.path().join("laptop"));
    a.init_with_relay("laptop", &relay);
    a.write(&["--body", "before the new device"]);
    a.ok(&["sync"]);

    // The new device asks to join; the laptop adds it.
    let c = Device::new(tmp.path().join("phone"));
    let ticket = a.add_device(&c.request_join("phone", &relay));

    // Between `device add` and `join finish`, the relay writes its own key for the phone.
    let (journal, _) = ids_of(&a);
    let state = SyncState::load(&open_store(&a)).unwrap();
    let phone = state.roster().unwrap().devices.last().unwrap().clone();
    let planted = JournalKey::generate();
    let blob = wrap_journal_key(&planted, 9, std::slice::from_ref(&phone.age_recipient)).unwrap();
    relay_plants(&relay, journal, phone.device_id, 9, blob);

    let joined = c.run(&["join", "finish", &ticket]);
    assert!(joined.status.success());
    let said = String::from_utf8_lossy(&joined.stderr);
    assert!(said.contains("refused"), "{said}");
    assert!(!c.dir.join("keys").join("epoch-9.age").exists());
    c.write(&["--body", "from the phone"]);
    c.ok(&["sync"]);
    let newest = newest_of(&relay, &a, phone.device_id);
    assert_eq!(newest.envelope.epoch, Epoch(1));
    assert!(!opens_with(&newest, &a, &planted));
    a.ok(&["sync"]);
    let listed = a.json(&["list", "--json"]).to_string();
    assert!(listed.contains("from the phone"), "{listed}");
}
