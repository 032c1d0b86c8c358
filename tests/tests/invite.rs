//! A relay that requires an invite creates a journal only for a device that
//! brings one (`attune relay set URL --invite TOKEN`); the invite is kept
//! sealed, never in `attune.json`.

use attune_e2e::{Device, Relay};

#[test]
fn a_journal_is_created_on_an_invite_only_relay_only_with_an_invite() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(
        &tmp.path().join("relay"),
        "127.0.0.1:0",
        "info",
        &["--require-invite", "--invite-tokens", "garden-gate-42"],
    );
    let laptop = Device::new(tmp.path().join("laptop"));
    laptop.ok(&["init", "--name", "laptop", "--no-passphrase"]);
    laptop.write(&["--body", "kept until the relay lets us in"]);

    laptop.ok(&["relay", "set", &relay.url]);
    let refused = laptop.run(&["sync"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("invite_required"), "{said}");

    laptop.ok(&["relay", "set", &relay.url, "--invite", "not-the-one"]);
    let refused = laptop.run(&["sync"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("invalid_invite"), "{said}");

    laptop.ok(&["relay", "set", &relay.url, "--invite", "garden-gate-42"]);
    assert!(
        laptop.sync().status.success(),
        "the invited sync creates the journal"
    );
    let config = std::fs::read_to_string(laptop.dir.join("attune.json")).unwrap();
    assert!(
        !config.contains("garden-gate-42"),
        "the invite is not in attune.json"
    );
    let everything: Vec<u8> = walk(&laptop.dir);
    assert!(
        !everything.windows(14).any(|w| w == b"garden-gate-42"),
        "the invite is stored sealed"
    );

    // A second device joins the existing journal: no invite needed for that.
    let phone = Device::new(tmp.path().join("phone"));
    phone.join("phone", &laptop, &relay);
    let listed = phone.json(&["list", "--json"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}

/// Every byte of every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
    out
}
