//! End-to-end sync through the real `attune-relay` process and several device
//! directories driven by the real `attune` binary.

use attune_e2e::{journal_with_devices as devices, Device, Relay};
use serde_json::Value;

fn sync_ok(d: &Device) -> Value {
    let out = d.sync();
    assert!(
        out.status.success(),
        "sync failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("sync report")
}

fn body_of(d: &Device, id: &str) -> String {
    d.json(&["show", id, "--json"])["body"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn two_devices_write_offline_then_converge_including_the_same_body() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = devices(tmp.path(), &relay, &["laptop", "desktop"]);
    let (a, b) = (&d[0], &d[1]);

    // A shared entry both will edit, and one that one deletes while the other edits.
    let shared = a.write(&[
        "--kind",
        "conversation",
        "--body",
        "We walked by the river.",
        "--person",
        "Ana",
    ]);
    let contested = a.write(&["--body", "A note to keep or not."]);
    sync_ok(a);
    sync_ok(b);
    assert_eq!(body_of(b, &shared), "We walked by the river.");

    // Offline on both: new entries, the same body edited at both ends, delete vs edit.
    a.write(&["--kind", "micro-win", "--body", "paused before answering"]);
    b.write(&[
        "--kind",
        "grounding",
        "--field",
        "technique=breathing",
        "--field",
        "distress-before=7",
        "--field",
        "distress-after=3",
    ]);
    a.ok(&["edit", &shared, "--append", "She laughed."]);
    b.ok(&["edit", &shared, "--body", "Slowly, we walked by the river."]);
    a.ok(&["delete", &contested]);
    b.ok(&[
        "edit",
        &contested,
        "--append",
        "Kept on the desktop.",
        "--add-tag",
        "desk",
    ]);

    for _ in 0..2 {
        sync_ok(a);
        sync_ok(b);
    }
    assert_eq!(
        a.snapshot(),
        b.snapshot(),
        "identical journals on both devices"
    );
    let body = body_of(a, &shared);
    assert!(
        body.contains("She laughed.") && body.starts_with("Slowly, we walked"),
        "both insertions kept: {body:?}"
    );
    assert_eq!(a.json(&["list", "--json"]).as_array().unwrap().len(), 3);

    // Delete vs concurrent edit: the entry stays deleted on both, with the edit kept inside.
    let deleted = a.json(&["show", &contested, "--json"]);
    assert_eq!(deleted["deleted"], true);
    assert!(deleted["body"]
        .as_str()
        .unwrap()
        .contains("Kept on the desktop."));
    b.ok(&["restore", &contested]);
    sync_ok(b);
    sync_ok(a);
    assert_eq!(a.json(&["show", &contested, "--json"])["deleted"], false);
    assert_eq!(a.snapshot(), b.snapshot());
}

#[test]
fn the_relay_never_sees_plaintext_even_in_trace_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_on(&tmp.path().join("relay"), "127.0.0.1:0", "trace");
    let d = devices(tmp.path(), &relay, &["laptop", "desktop"]);
    let markers = [
        "ZQXBODYMARK",
        "ZQXTAGMARK",
        "ZQXPERSONMARK",
        "ZQXFIELDMARK",
        "ZQXNOTEMARK",
    ];
    d[0].write(&[
        "--kind",
        "reframe",
        "--body",
        markers[0],
        "--tag",
        markers[1],
        "--person",
        markers[2],
        "--field",
        &format!("old-story={}", markers[3]),
        "--field",
        "charge-before=8",
        "--notes",
        markers[4],
        "--at",
        "2031-07-19 18:45",
    ]);
    d[1].write(&[
        "--kind",
        "self-compassion",
        "--body",
        "ZQXSECONDDEVICE",
        "--at",
        "2031-07-20",
    ]);
    for dev in &d {
        sync_ok(dev);
    }
    sync_ok(&d[0]);
    assert_eq!(d[0].snapshot(), d[1].snapshot());
    // Let the relay finish writing its WAL and logs, then scan every byte it holds.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut scanned = 0usize;
    let needles: Vec<&str> = markers
        .iter()
        .copied()
        .chain([
            "ZQXSECONDDEVICE",
            "reframe",
            "self-compassion",
            "2031-07-19",
            "2031-07-20",
            "laptop",
            "desktop",
        ])
        .collect();
    for entry in std::fs::read_dir(&relay.data).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        for n in &needles {
            assert!(
                !bytes.windows(n.len()).any(|w| w == n.as_bytes()),
                "{n:?} found in the relay's {}",
                path.display()
            );
        }
    }
    let log = std::fs::read_to_string(&relay.log).unwrap();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG") || log.len() > 1000,
        "the log is at trace level"
    );
    assert!(
        scanned > 10_000,
        "the scan covered the database and logs ({scanned} bytes)"
    );
}

#[test]
fn a_tampered_envelope_is_rejected_the_rest_applies_and_the_gap_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = devices(tmp.path(), &relay, &["laptop", "desktop"]);
    let (a, b) = (&d[0], &d[1]);
    let first = a.write(&["--body", "first"]);
    sync_ok(a);
    let second = a.write(&["--body", "second, to be tampered"]);
    sync_ok(a);
    let third = a.write(&["--body", "third"]);
    sync_ok(a);
    let from_b = b.write(&["--body", "written on the desktop"]);
    sync_ok(b);

    // Flip one bit of A's envelope that carries "second" in the relay's database.
    let (seq, device_seq) = relay.edit_db(async |conn| {
        use sqlx::Row;
        // A's envelopes in order: history batch, then "second" as device seq 3? Find the
        // device that is not B's first, newest-but-one of A.
        let rows = sqlx::query(
            "SELECT relay_seq, device_id, device_seq, bytes FROM envelopes ORDER BY relay_seq",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let a_device: Vec<u8> = rows[0].get("device_id");
        let a_rows: Vec<_> = rows
            .iter()
            .filter(|r| r.get::<Vec<u8>, _>("device_id") == a_device)
            .collect();
        let target = a_rows[a_rows.len() - 2];
        let seq: i64 = target.get("relay_seq");
        let device_seq: i64 = target.get("device_seq");
        let mut bytes: Vec<u8> = target.get("bytes");
        let at = bytes.len() - 100;
        bytes[at] ^= 0x04;
        sqlx::query("UPDATE envelopes SET bytes = ? WHERE relay_seq = ?")
            .bind(bytes)
            .bind(seq)
            .execute(&mut *conn)
            .await
            .unwrap();
        (seq, device_seq)
    });
    assert!(device_seq >= 2);

    // A new device joins and takes the whole history, damaged envelope included.
    let c = Device::new(tmp.path().join("third-device"));
    let ticket = a.add_device(&c.request_join("third", &relay));
    let joined = c.run(&["join", "finish", &ticket]);
    assert!(joined.status.success());
    let problems = String::from_utf8_lossy(&joined.stderr).into_owned();
    assert!(
        problems.contains(&format!("#{seq}")) && problems.contains("refused"),
        "{problems}"
    );
    assert!(
        problems.contains("could not be read and was skipped"),
        "the hole it leaves is reported: {problems}"
    );
    // Everything else arrived, the entry after the hole too (its signature
    // vouches for it); the tampered entry did not.
    let ids = |d: &Device| -> Vec<String> {
        d.json(&["list", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    let on_c = ids(&c);
    assert!(on_c.contains(&first) && on_c.contains(&from_b), "{on_c:?}");
    assert!(on_c.contains(&third), "{on_c:?}");
    assert!(
        !on_c.contains(&second),
        "the tampered envelope was not applied"
    );
    let status = c.json(&["status", "--json"]);
    assert!(!status["problems"].as_array().unwrap().is_empty());
    assert!(c.dir.join("quarantine").read_dir().unwrap().count() >= 1);

    // The author sees its own envelope damaged on its next pull and sends its
    // changes again: the tampered entry arrives after all, nothing is lost.
    let _ = a.run(&["sync"]);
    let _ = c.run(&["sync"]);
    assert!(ids(&c).contains(&second));
    assert_eq!(a.snapshot(), c.snapshot());
}

#[test]
fn a_forged_roster_at_the_relay_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = devices(tmp.path(), &relay, &["laptop", "desktop"]);
    d[0].write(&["--body", "hello"]);
    sync_ok(&d[0]);
    sync_ok(&d[1]);

    // The operator rewrites the latest roster: an extra device, signed by a key not in the journal.
    relay.edit_db(async |conn| {
        use sqlx::Row;
        let row = sqlx::query("SELECT version, bytes FROM rosters ORDER BY version DESC LIMIT 1")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let version: i64 = row.get("version");
        let bytes: Vec<u8> = row.get("bytes");
        let roster = attune_proto::Roster::decode(&bytes).unwrap();
        let intruder = attune_crypto::DeviceIdentity::generate();
        let mut devices = roster.devices.clone();
        devices.push(attune_proto::RosterDevice {
            device_id: attune_proto::DeviceId([0xee; 16]),
            verifying_key: intruder.verifying_key(),
            age_recipient: intruder.age_recipient(),
        });
        let mut forged = roster.clone();
        forged.devices = devices;
        forged.signer = attune_proto::DeviceId([0xee; 16]);
        let forged = attune_crypto::sign_roster(&intruder, forged);
        sqlx::query("UPDATE rosters SET bytes = ?, hash = ? WHERE version = ?")
            .bind(forged.encode())
            .bind(forged.hash().to_vec())
            .bind(version)
            .execute(&mut *conn)
            .await
            .unwrap();
    });
    let out = d[1].sync();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be trusted"), "{stderr}");
}
