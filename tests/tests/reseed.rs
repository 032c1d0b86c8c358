//! A relay that lost its data is given the journal back by a device, and the
//! other devices go on through it: nothing written is lost, a new device
//! joins, and a relay serving another device list is still refused.

use std::collections::BTreeSet;

use attune_e2e::{journal_with_devices, Device, Relay};

/// The bodies a device lists.
fn bodies(device: &Device) -> BTreeSet<String> {
    device
        .json(&["list", "--json"])
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["body"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn expect(bodies_wanted: &[&str]) -> BTreeSet<String> {
    bodies_wanted.iter().map(|b| b.to_string()).collect()
}

#[test]
fn a_lost_relay_is_reseeded_from_one_device_and_everyone_converges() {
    let tmp = tempfile::tempdir().unwrap();
    let mut old = Relay::start(&tmp.path().join("old-relay"));
    let devices = journal_with_devices(tmp.path(), &old, &["laptop", "phone"]);
    let (laptop, phone) = (&devices[0], &devices[1]);
    laptop.write(&["--body", "written before, synced everywhere"]);
    laptop.ok(&["sync"]);
    phone.ok(&["sync"]);
    // The phone's next entry reaches only the old relay; the laptop's only its outbox.
    phone.write(&["--body", "only the old relay and the phone had this"]);
    phone.ok(&["sync"]);
    laptop.write(&["--body", "written on the laptop while the relay was dying"]);

    // The relay's disk dies.
    old.terminate();
    std::fs::remove_dir_all(&old.data).unwrap();
    let new = Relay::start(&tmp.path().join("new-relay"));

    // Pointed at the new relay, the laptop is told it does not hold the journal.
    let said = laptop.ok(&["relay", "set", &new.url]);
    assert!(said.contains("attune relay reseed"), "{said}");
    let refused = laptop.sync();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("relay reseed"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let seeded = laptop.ok(&["relay", "reseed"]);
    assert!(seeded.contains("snapshot"), "{seeded}");
    // Re-seeding twice is refused: the relay holds the journal now.
    let again = laptop.run(&["relay", "reseed"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("journal_exists"));

    // The phone moves too; it gets the laptop's entry and sends its own again.
    let said = phone.ok(&["relay", "set", &new.url]);
    assert!(
        said.contains("starts from that relay's beginning"),
        "{said}"
    );
    let moved = phone.sync();
    assert!(
        moved.status.success(),
        "{}",
        String::from_utf8_lossy(&moved.stdout)
    );
    // The laptop is told, once, that the phone's envelope the old relay held
    // is not coming (the phone sent its changes again instead).
    let told = laptop.sync();
    let said = String::from_utf8_lossy(&told.stdout);
    assert!(said.contains("left behind on an old one"), "{said}");
    laptop.ok(&["sync"]);
    phone.ok(&["sync"]);
    let all = expect(&[
        "written before, synced everywhere",
        "only the old relay and the phone had this",
        "written on the laptop while the relay was dying",
    ]);
    assert_eq!(bodies(laptop), all, "the laptop has the phone's lost entry");
    assert_eq!(
        bodies(phone),
        all,
        "the phone has the laptop's unsent entry"
    );

    // Both go on writing through the new relay.
    phone.write(&["--body", "after the move"]);
    phone.ok(&["sync"]);
    laptop.ok(&["sync"]);
    assert!(bodies(laptop).contains("after the move"));

    // A new device joins through the new relay and starts from its snapshot.
    let tablet = Device::new(tmp.path().join("tablet"));
    tablet.join("tablet", laptop, &new);
    tablet.ok(&["sync"]);
    let mut everything = all.clone();
    everything.insert("after the move".into());
    assert_eq!(bodies(&tablet), everything);
    tablet.write(&["--body", "from the tablet"]);
    tablet.ok(&["sync"]);
    phone.ok(&["sync"]);
    assert!(bodies(phone).contains("from the tablet"));
    let status = phone.json(&["status", "--json"]);
    assert_eq!(status["pending_changes"].as_u64(), Some(0), "{status}");
}

#[test]
fn a_relay_reseeded_with_an_older_device_list_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let first = Relay::start(&tmp.path().join("first-relay"));
    let devices = journal_with_devices(tmp.path(), &first, &["laptop", "phone"]);
    let (laptop, phone) = (&devices[0], &devices[1]);
    laptop.ok(&["sync"]);
    phone.ok(&["sync"]);
    // An old copy of the laptop's directory, from before the tablet joined.
    let stale = tmp.path().join("laptop-backup");
    copy_dir(&laptop.dir, &stale);
    let tablet = Device::new(tmp.path().join("tablet"));
    tablet.join("tablet", laptop, &first);
    phone.ok(&["sync"]);

    // A new relay re-seeded from the old copy serves a device list without the tablet.
    let second = Relay::start(&tmp.path().join("second-relay"));
    let backup = Device::new(stale);
    backup.ok(&["relay", "set", &second.url]);
    backup.ok(&["relay", "reseed"]);

    phone.ok(&["relay", "set", &second.url]);
    let refused = phone.sync();
    assert!(!refused.status.success(), "the phone trusts a newer list");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("roster") || said.contains("device list"),
        "{said}"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_revoked_device_that_reseeds_a_lost_relay_reads_nothing_written_after() {
    let tmp = tempfile::tempdir().unwrap();
    let mut old = Relay::start(&tmp.path().join("old-relay"));
    let devices = journal_with_devices(tmp.path(), &old, &["laptop", "stolen"]);
    let (laptop, stolen) = (&devices[0], &devices[1]);
    laptop.write(&["--body", "before the theft"]);
    laptop.ok(&["sync"]);
    stolen.ok(&["sync"]);
    let stolen_id = stolen.json(&["status", "--json"])["device_id"]
        .as_str()
        .unwrap()
        .to_string();
    laptop.ok(&["device", "revoke", &stolen_id[..8]]);

    // The relay's disk dies; the thief is first to a new relay and re-seeds
    // it with the device list it last saw (where it is still a member).
    old.terminate();
    std::fs::remove_dir_all(&old.data).unwrap();
    let new = Relay::start(&tmp.path().join("new-relay"));
    stolen.ok(&["relay", "set", &new.url]);
    stolen.ok(&["relay", "reseed"]);

    // The laptop trusts the list without the thief: it refuses that relay
    // and sends it nothing.
    laptop.write(&["--body", "after the theft"]);
    laptop.ok(&["relay", "set", &new.url]);
    let refused = laptop.sync();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("roster") || said.contains("device list"),
        "{said}"
    );
    let _ = stolen.sync();
    assert!(!bodies(stolen).contains("after the theft"));
    assert!(std::fs::read_dir(&new.data).unwrap().all(|e| {
        let bytes = std::fs::read(e.unwrap().path()).unwrap_or_default();
        !bytes
            .windows(b"after the theft".len())
            .any(|w| w == b"after the theft")
    }));
}
