//! Guards against a lying relay and a stale device: withheld envelopes are
//! reported by the other devices, a restored old directory never pushes.

use attune_e2e::{journal_with_devices, Device, Relay};
use serde_json::Value;

fn problems(d: &Device) -> String {
    let out = d.sync();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    format!(
        "{}{}",
        report["problems"],
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_relay_hiding_a_devices_newest_envelope_is_caught_by_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = journal_with_devices(tmp.path(), &relay, &["a", "b"]);
    let (a, b) = (&d[0], &d[1]);
    a.write(&["--body", "first"]);
    a.ok(&["sync"]);
    a.write(&["--body", "the newest, to be hidden"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    b.write(&["--body", "b has seen everything of a"]);
    b.ok(&["sync"]);

    // The operator removes a's newest envelope and renumbers the rest so
    // that no relay sequence number is missing.
    let a_device: attune_proto::DeviceId = a.json(&["status", "--json"])["device_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    relay.edit_db(async |conn| {
        use sqlx::Row;
        let row = sqlx::query(
            "SELECT relay_seq FROM envelopes WHERE device_id = ? ORDER BY device_seq DESC LIMIT 1",
        )
        .bind(&a_device.0[..])
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let hidden: i64 = row.get(0);
        sqlx::query("DELETE FROM envelopes WHERE relay_seq = ?")
            .bind(hidden)
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("UPDATE envelopes SET relay_seq = -(relay_seq - 1) WHERE relay_seq > ?")
            .bind(hidden)
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("UPDATE envelopes SET relay_seq = -relay_seq WHERE relay_seq < 0")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("UPDATE journals SET head_seq = head_seq - 1")
            .execute(&mut *conn)
            .await
            .unwrap();
    });

    // A new device, served the doctored history, learns from b's envelope that
    // a's newest one exists, and says so.
    let c = Device::new(tmp.path().join("c"));
    c.join("c", a, &relay);
    let found = problems(&c);
    assert!(found.contains("withholding"), "{found}");
    assert!(!c
        .json(&["list", "--json"])
        .to_string()
        .contains("the newest, to be hidden"));
}

#[test]
fn a_restored_old_directory_refuses_to_push() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = journal_with_devices(tmp.path(), &relay, &["a", "b"]);
    let (a, b) = (&d[0], &d[1]);
    a.write(&["--body", "one"]);
    a.ok(&["sync"]);
    // An old copy of a's directory…
    let old = Device::new(tmp.path().join("a-old"));
    copy_dir(&a.dir, &old.dir);
    // …while a moves on.
    a.write(&["--body", "two"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    let before = b.snapshot();

    old.write(&["--body", "written in the restored copy"]);
    let out = old.run(&["sync"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("restored from an old copy") || err.contains("does not match"),
        "{err}"
    );
    b.ok(&["sync"]);
    assert_eq!(
        b.snapshot(),
        before,
        "nothing from the stale copy reached the others"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_wrong_relay_or_an_older_roster_is_refused_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = journal_with_devices(tmp.path(), &relay, &["a", "b"]);
    let (a, b) = (&d[0], &d[1]);
    a.write(&["--body", "hello"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);

    // Pointed at another relay that never held this journal: stop, say why, push nothing.
    let other = Relay::start(&tmp.path().join("other-relay"));
    a.ok(&["relay", "set", &other.url]);
    a.write(&["--body", "not for the wrong relay"]);
    let out = a.run(&["sync"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds no copy of this journal"), "{err}");
    assert!(std::fs::read_dir(&other.data).unwrap().all(|e| {
        let bytes = std::fs::read(e.unwrap().path()).unwrap_or_default();
        !bytes
            .windows(b"not for the wrong relay".len())
            .any(|w| w == b"not for the wrong relay")
    }));
    a.ok(&["relay", "set", &relay.url]);
    a.ok(&["sync"]);

    // The operator rolls the roster back to an older version: every device that saw the newer one notices.
    relay.edit_db(async |conn| {
        sqlx::query("DELETE FROM rosters WHERE version = (SELECT MAX(version) FROM rosters)")
            .execute(&mut *conn)
            .await
            .unwrap();
    });
    // a, in every version, sees the list go back in time…
    let out = a.run(&["sync"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot be trusted"), "{err}");
    // …and b, missing from the old list, is told the list it trusts does not match.
    let out = b.run(&["sync"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("old or altered list"), "{err}");
}
