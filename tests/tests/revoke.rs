//! Revoking a device: a new key epoch for the others, and the revoked device
//! can neither sync nor read what is written afterwards.

use attune_e2e::{journal_with_devices, open_store, relay_envelopes, Relay};
use serde_json::Value;

fn device_id(d: &attune_e2e::Device) -> String {
    d.json(&["status", "--json"])["device_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn bodies(d: &attune_e2e::Device) -> Vec<String> {
    d.json(&["list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_revoked_device_can_neither_sync_nor_read_what_comes_after() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = journal_with_devices(tmp.path(), &relay, &["laptop", "desktop", "lost-phone"]);
    let (a, b, c) = (&d[0], &d[1], &d[2]);
    a.write(&["--body", "before the revocation"]);
    for dev in &d {
        dev.ok(&["sync"]);
    }
    assert!(bodies(c).contains(&"before the revocation".to_string()));

    // The desktop writes offline, concurrently with the revocation.
    b.write(&["--body", "written concurrently on the desktop"]);

    let c_id = device_id(c);
    let refused = a.run(&["device", "revoke", &device_id(a)[..8]]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("device you are using"));
    let out = a.ok(&["device", "revoke", &c_id[..8]]);
    assert!(out.contains("Revoked") && out.contains("epoch 2"), "{out}");
    a.write(&["--body", "after the revocation"]);
    a.ok(&["sync"]);

    // The revoked device cannot sync any more…
    let out = c.run(&["sync"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not_in_roster") || err.contains("not in the journal"),
        "{err}"
    );
    assert!(!bodies(c).contains(&"after the revocation".to_string()));

    // …and even given the new envelope by a leaking relay, its keys cannot open it.
    let from_a = relay_envelopes(&relay, &open_store(a));
    let newest = from_a.last().unwrap();
    assert_eq!(newest.envelope.epoch.0, 2);
    let c_store = open_store(c);
    let state = attune_client::sync::SyncState::load(&c_store).unwrap();
    let opened = attune_crypto::open_envelope(
        &newest.envelope,
        &state.rosters,
        &c_store.keyring(),
        &attune_crypto::ChainState::new(),
        newest.envelope.journal_id,
    );
    assert!(
        opened.is_err(),
        "the revoked device opened an envelope of the new epoch"
    );
    drop(c_store);

    // The remaining devices converge across the epoch change, including the concurrent write.
    for _ in 0..2 {
        b.ok(&["sync"]);
        a.ok(&["sync"]);
    }
    assert_eq!(a.snapshot(), b.snapshot());
    let on_a = bodies(a);
    assert!(
        on_a.contains(&"written concurrently on the desktop".to_string()),
        "{on_a:?}"
    );
    assert!(bodies(b).contains(&"after the revocation".to_string()));
    b.write(&["--body", "desktop at the new epoch"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert!(bodies(a).contains(&"desktop at the new epoch".to_string()));
    let devices: Value = a.json(&["device", "list", "--json"])["devices"].clone();
    // laptop, desktop, and the recovery kit's device.
    assert_eq!(devices.as_array().unwrap().len(), 3);
    let names: Vec<&str> = devices
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(
        names.contains(&"laptop") && names.contains(&"desktop"),
        "{names:?}"
    );
    // A rename reaches the other devices with the next sync.
    b.ok(&["device", "rename", "study desk"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    let listed = a.json(&["device", "list", "--json"])["devices"].to_string();
    assert!(
        listed.contains("study desk") && listed.contains("last_seen_unix"),
        "{listed}"
    );
    assert!(a.ok(&["device", "list"]).contains("study desk"));
    assert_eq!(
        devices
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["recovery_kit"] == true)
            .count(),
        1
    );
    assert!(!devices.to_string().contains(&c_id));
}
