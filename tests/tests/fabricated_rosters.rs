//! The roster cannot be bent: a version that re-keys or redirects another
//! device is refused by the relay and, when a dishonest relay serves it
//! anyway, by every device; a joining or recovering device shown a roster
//! chain the relay made up refuses it instead of trusting it on first use.

use attune_client::sync::SyncState;
use attune_crypto::{genesis_roster, sign_roster, wrap_journal_key, DeviceIdentity, JournalKey};
use attune_e2e::{
    block_on, ids_of, open_store, session_as, synced_devices, words_from_init, Device, Relay,
};
use attune_proto::{DeviceId, Epoch, JournalId, Roster, RosterDevice, RosterUpdate, WIRE_VERSION};

/// A wrapped-key row as the relay stores it: device, epoch, blob.
type KeyRow = (DeviceId, u32, Vec<u8>);

/// The relay operator replaces a journal's roster chain with `chain` and stores `keys` as well.
fn relay_serves(relay: &Relay, journal: JournalId, chain: &[Roster], keys: &[KeyRow]) {
    relay.edit_db(async |conn| {
        sqlx::query("DELETE FROM rosters WHERE journal_id = ?")
            .bind(journal.0.to_vec())
            .execute(&mut *conn)
            .await
            .unwrap();
        for roster in chain {
            sqlx::query("INSERT INTO rosters (journal_id, version, hash, bytes) VALUES (?, ?, ?, ?)")
                .bind(journal.0.to_vec())
                .bind(roster.version as i64)
                .bind(roster.hash().to_vec())
                .bind(roster.encode())
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        for (device, epoch, blob) in keys {
            sqlx::query("INSERT OR REPLACE INTO wrapped_keys (journal_id, device_id, epoch, blob) VALUES (?, ?, ?, ?)")
                .bind(journal.0.to_vec())
                .bind(device.0.to_vec())
                .bind(i64::from(*epoch))
                .bind(blob.clone())
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    });
}

fn trusted_chain(d: &Device) -> Vec<Roster> {
    SyncState::load(&open_store(d)).unwrap().rosters
}

#[test]
fn a_roster_that_rekeys_or_redirects_another_device_is_refused_by_relay_and_devices() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "desktop", "tablet"]);
    let (a, b, t) = (&d[0], &d[1], &d[2]);
    let (journal, a_id) = ids_of(a);
    let (_, t_id) = ids_of(t);
    let chain = trusted_chain(t);
    let latest = chain.last().unwrap().clone();
    let fingerprint_before = a.json(&["device", "list", "--json"]).to_string();

    // The tablet signs versions that point the laptop's keys at itself.
    let (t_identity, t_entry) = {
        let store = open_store(t);
        let entry = latest.device(t_id).unwrap().clone();
        let bytes = std::fs::read(t.dir.join("identity")).unwrap();
        drop(store);
        (
            DeviceIdentity::from_file_bytes(&bytes, None).unwrap(),
            entry,
        )
    };
    let bent = |change: &dyn Fn(&mut RosterDevice)| {
        let mut next = latest.clone();
        next.version += 1;
        next.prev_hash = latest.hash();
        next.signer = t_id;
        for device in &mut next.devices {
            if device.device_id == a_id {
                change(device);
            }
        }
        sign_roster(&t_identity, next)
    };
    let redirected = bent(&|d| d.age_recipient = t_entry.age_recipient.clone());
    let rekeyed = bent(&|d| d.verifying_key = t_entry.verifying_key);
    let tablet = session_as(&relay, t);
    for roster in [&redirected, &rekeyed] {
        let put = block_on(tablet.put_roster(&RosterUpdate {
            v: WIRE_VERSION,
            roster: roster.clone(),
            keys: vec![],
        }));
        assert!(
            put.is_err(),
            "the relay took a roster that bends another device's keys"
        );
    }

    // A dishonest relay serves them anyway: every device refuses, nothing
    // changes. (Only the desktop is asked about the re-keyed laptop: the
    // relay's own login check already follows the roster it serves.)
    for (roster, devices) in [(redirected, vec![a, b]), (rekeyed, vec![b])] {
        let mut served = chain.clone();
        served.push(roster);
        relay_serves(&relay, journal, &served, &[]);
        for dev in devices {
            let out = dev.run(&["sync"]);
            assert!(!out.status.success());
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("cannot be trusted"), "{err}");
        }
        assert_eq!(
            a.json(&["device", "list", "--json"]).to_string(),
            fingerprint_before
        );
    }
}

#[test]
fn a_joining_device_refuses_a_roster_chain_the_relay_made_up() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let a = Device::new(tmp.path().join("laptop"));
    a.init_with_relay("laptop", &relay);
    a.ok(&["sync"]);
    let c = Device::new(tmp.path().join("phone"));
    let ticket = a.add_device(&c.request_join("phone", &relay));

    // The relay swaps in a journal of its own: its device and the phone, its key.
    let (journal, _) = ids_of(&a);
    let phone = trusted_chain(&a)
        .last()
        .unwrap()
        .devices
        .last()
        .unwrap()
        .clone();
    let (fabricated, keys) = made_up_journal(journal, vec![phone.clone()], &phone);
    relay_serves(&relay, journal, &fabricated, &keys);

    let out = c.run(&["join", "finish", &ticket]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("vouched"), "{err}");
    assert!(!c.dir.join("keys").join("epoch-1.age").exists());
}

#[test]
fn recovery_refuses_a_genesis_the_recovery_kit_did_not_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let a = Device::new(tmp.path().join("laptop"));
    let out = a.ok(&["init", "--name", "laptop", "--no-passphrase"]);
    let words = words_from_init(&out);
    a.ok(&["relay", "set", &relay.url]);
    a.write(&["--body", "the real journal"]);
    a.ok(&["sync"]);

    // The relay keeps the recovery kit's public keys (they are in the roster)
    // and builds a chain of its own around them.
    let (journal, a_id) = ids_of(&a);
    let chain = trusted_chain(&a);
    let kit = chain[0]
        .devices
        .iter()
        .find(|d| d.device_id != a_id)
        .unwrap()
        .clone();
    let kit_key: Vec<u8> = relay.edit_db(async |conn| {
        sqlx::query_scalar(
            "SELECT blob FROM wrapped_keys WHERE journal_id = ? AND device_id = ? AND epoch = 1",
        )
        .bind(journal.0.to_vec())
        .bind(kit.device_id.0.to_vec())
        .fetch_one(&mut *conn)
        .await
        .unwrap()
    });
    let (fabricated, keys) = made_up_journal(journal, vec![kit.clone()], &kit);
    relay_serves(&relay, journal, &fabricated, &keys);

    let words_file = tmp.path().join("words");
    std::fs::write(&words_file, &words).unwrap();
    let fresh = Device::new(tmp.path().join("recovered"));
    let out = fresh.run(&[
        "recover",
        "--relay",
        &relay.url,
        "--words-file",
        words_file.to_str().unwrap(),
        "--no-passphrase",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("vouched"), "{err}");
    assert!(!fresh.dir.exists());

    // Served the real chain (and key) again, the same words recover the real
    // journal, even with a bad key blob for the kit next to the real one.
    let junk = wrap_journal_key(
        &JournalKey::generate(),
        5,
        std::slice::from_ref(&kit.age_recipient),
    )
    .unwrap();
    relay_serves(
        &relay,
        journal,
        &chain,
        &[(kit.device_id, 1, kit_key), (kit.device_id, 5, junk)],
    );
    fresh.ok(&[
        "recover",
        "--relay",
        &relay.url,
        "--words-file",
        words_file.to_str().unwrap(),
        "--no-passphrase",
    ]);
    assert!(fresh
        .json(&["list", "--json"])
        .to_string()
        .contains("the real journal"));
}

#[test]
fn removing_the_recovery_kit_is_a_signed_step_every_device_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "tablet"]);
    let (a, t) = (&d[0], &d[1]);
    let (_, t_id) = ids_of(t);
    let kit = trusted_chain(a)
        .last()
        .unwrap()
        .devices
        .iter()
        .find(|d| d.device_id != t_id && d.device_id != ids_of(a).1)
        .unwrap()
        .device_id;
    // A member removes the kit (it can: it is a member), in a signed version.
    t.ok(&["device", "revoke", &kit.to_string()[..8]]);
    let out = a.sync();
    let problems =
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["problems"].to_string();
    assert!(problems.contains("recovery kit was removed"), "{problems}");
    assert!(problems.contains(&t_id.to_string()[..8]), "{problems}");
}

/// A genesis signed by a device of the relay's own, listing it and `others`,
/// committing to a key of its own, which it wraps to `victim`.
fn made_up_journal(
    journal: JournalId,
    others: Vec<RosterDevice>,
    victim: &RosterDevice,
) -> (Vec<Roster>, Vec<KeyRow>) {
    let relay_device = DeviceIdentity::generate();
    let relay_id = DeviceId([0xee; 16]);
    let key = JournalKey::generate();
    let mut devices = vec![RosterDevice {
        device_id: relay_id,
        verifying_key: relay_device.verifying_key(),
        age_recipient: relay_device.age_recipient(),
    }];
    devices.extend(others);
    let genesis = genesis_roster(&relay_device, relay_id, journal, devices, Epoch(1), &key);
    let blob = wrap_journal_key(&key, 1, std::slice::from_ref(&victim.age_recipient)).unwrap();
    (vec![genesis], vec![(victim.device_id, 1, blob)])
}

#[test]
fn a_relay_hiding_a_revocation_is_reported_and_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "desktop", "stolen"]);
    let (a, b, t) = (&d[0], &d[1], &d[2]);
    let (journal, t_id) = ids_of(t);
    a.ok(&["device", "revoke", &t_id.to_string()[..8]]);
    a.write(&["--body", "after the revocation"]);
    a.ok(&["sync"]);

    // The relay hides the revoking version from everyone who has not seen it.
    let newest = trusted_chain(a);
    relay_serves(&relay, journal, &newest[..newest.len() - 1], &[]);
    let out = b.sync();
    let problems =
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["problems"].to_string();
    assert!(
        problems.contains("waits for a newer device list"),
        "{problems}"
    );
    assert!(!b
        .json(&["list", "--json"])
        .to_string()
        .contains("after the revocation"));

    // Once the list is served again, nothing was lost.
    relay_serves(&relay, journal, &newest, &[]);
    let out = b.sync();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(b
        .json(&["list", "--json"])
        .to_string()
        .contains("after the revocation"));
    assert_eq!(a.snapshot(), b.snapshot());
}
