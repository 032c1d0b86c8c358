//! `attune backup`: a file in the standard age format that the recovery
//! words open (with the stock `age` tool when it is installed, and always
//! with the age library), restored into an empty directory or merged into
//! the journal; a damaged backup is refused and writes nothing.

use std::path::Path;
use std::process::Command;

use attune_e2e::{words_from_init, Device};

fn journal(tmp: &Path) -> (Device, String) {
    let d = Device::new(tmp.join("journal"));
    let words = words_from_init(&d.ok(&["init", "--name", "laptop", "--no-passphrase"]));
    d.ok(&[
        "write",
        "--kind",
        "micro-win",
        "-b",
        "Paused before answering. 🌱",
        "-p",
        "Ana",
        "--no-prompt",
    ]);
    d.ok(&[
        "write",
        "-b",
        "Second entry",
        "-t",
        "evening",
        "--steadiness",
        "3",
        "--no-prompt",
    ]);
    d.ok(&["crisis", "add", "coping-steps", "walk around the block"]);
    (d, words)
}

#[test]
fn the_recovery_words_open_the_backup_and_restore_gives_the_same_journal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (d, words) = journal(tmp.path());
    let words_file = tmp.path().join("words");
    std::fs::write(&words_file, &words).expect("write words");
    let backup = tmp.path().join("journal.age");
    let out = d.ok(&["backup", "create", "-o", backup.to_str().expect("path")]);
    assert!(out.contains("Backed up 2 entries"), "{out}");
    let sealed = std::fs::read(&backup).expect("backup");
    assert!(
        sealed.starts_with(b"age-encryption.org/v1\n"),
        "the standard age format"
    );
    assert!(
        !sealed.windows(8).any(|w| w == b"answerin"),
        "no plaintext in the file"
    );

    // The identity the words give, in age-keygen's format.
    let identity = d.ok(&[
        "recovery",
        "age-identity",
        "--words-file",
        words_file.to_str().expect("path"),
    ]);
    assert!(identity.contains("AGE-SECRET-KEY-1"), "{identity}");
    let identity_file = tmp.path().join("recovery.key");
    std::fs::write(&identity_file, &identity).expect("write identity");

    // The age library reads it with that identity.
    let keys = attune_client::portable::restore::identities_in(&identity);
    let opened = attune_client::portable::restore::open(&backup, &sealed, &keys).expect("opens");
    assert_eq!(opened.docs.len(), 2);
    assert_eq!(opened.document.entries.len(), 2);

    // The stock age command, when installed (CI installs it).
    if Command::new("age").arg("--version").output().is_ok() {
        let out = Command::new("age")
            .args(["-d", "-i"])
            .arg(&identity_file)
            .arg(&backup)
            .output()
            .expect("run age");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.windows(13).any(|w| w == b"manifest.json"));
        // A device's own identity file (without a passphrase) opens it too.
        let out = Command::new("age")
            .args(["-d", "-i"])
            .arg(d.dir.join("identity"))
            .arg(&backup)
            .output()
            .expect("run age");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!("age is not installed: checked with the age library only");
    }

    // Into an empty directory: a working journal whose list equals the original.
    let fresh = Device::new(tmp.path().join("fresh"));
    let out = fresh.ok(&[
        "backup",
        "restore",
        backup.to_str().expect("path"),
        "--identity",
        identity_file.to_str().expect("path"),
        "--no-passphrase",
        "--name",
        "new laptop",
    ]);
    assert!(out.contains("2 new"), "{out}");
    assert_eq!(d.json(&["list", "--json"]), fresh.json(&["list", "--json"]));
    assert_eq!(
        d.json(&["crisis", "--json"]),
        fresh.json(&["crisis", "--json"])
    );
    fresh.ok(&["write", "-b", "it works", "--no-prompt"]);

    // Into the same journal: merged by entry id, nothing duplicated.
    d.ok(&["write", "-b", "written after the backup", "--no-prompt"]);
    let out = d.ok(&["backup", "restore", backup.to_str().expect("path")]);
    assert!(out.contains("0 new"), "{out}");
    assert_eq!(
        d.json(&["list", "--json"]).as_array().expect("list").len(),
        3
    );
}

#[test]
fn a_damaged_or_truncated_backup_is_refused_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (d, words) = journal(tmp.path());
    let words_file = tmp.path().join("words");
    std::fs::write(&words_file, &words).expect("write words");
    let backup = tmp.path().join("journal.age");
    d.ok(&["backup", "create", "-o", backup.to_str().expect("path")]);
    let sealed = std::fs::read(&backup).expect("backup");

    let cut = tmp.path().join("cut.age");
    std::fs::write(&cut, &sealed[..sealed.len() - 40]).expect("write");
    let mut flipped = sealed.clone();
    let at = sealed.len() - 100;
    flipped[at] ^= 1;
    let bad = tmp.path().join("flipped.age");
    std::fs::write(&bad, &flipped).expect("write");
    for file in [&cut, &bad] {
        let fresh = Device::new(tmp.path().join("fresh"));
        let out = fresh.run(&[
            "backup",
            "restore",
            file.to_str().expect("path"),
            "--words-file",
            words_file.to_str().expect("path"),
            "--no-passphrase",
        ]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot be restored") && err.contains("nothing was written"),
            "{err}"
        );
        assert!(!fresh.dir.exists(), "no journal was created");
    }
}

#[test]
fn a_device_revoked_before_a_backup_cannot_open_it() {
    use attune_e2e::{ids_of, synced_devices, Relay};
    let tmp = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(&tmp.path().join("relay"));
    let d = synced_devices(tmp.path(), &relay, &["laptop", "stolen"]);
    let (laptop, stolen) = (&d[0], &d[1]);
    laptop.ok(&[
        "write",
        "-b",
        "written before the revocation",
        "--no-prompt",
    ]);
    let backup_before = tmp.path().join("before.age");
    laptop.ok(&[
        "backup",
        "create",
        "-o",
        backup_before.to_str().expect("path"),
    ]);
    let (_, stolen_id) = ids_of(stolen);
    laptop.ok(&["device", "revoke", &stolen_id.to_string()[..8]]);
    laptop.ok(&["write", "-b", "written after the revocation", "--no-prompt"]);
    let backup_after = tmp.path().join("after.age");
    laptop.ok(&[
        "backup",
        "create",
        "-o",
        backup_after.to_str().expect("path"),
    ]);

    let identity = |dev: &Device| {
        let text = std::fs::read_to_string(dev.dir.join("identity")).expect("identity");
        attune_client::portable::restore::identities_in(&text)
    };
    let open = |file: &Path, dev: &Device| {
        let sealed = std::fs::read(file).expect("backup");
        attune_client::portable::restore::open(file, &sealed, &identity(dev))
    };
    // The control: the stolen device was a recipient while it was a member…
    assert!(open(&backup_before, stolen).is_ok());
    // …and is none after its revocation; the laptop still is.
    assert!(open(&backup_after, stolen).is_err());
    let opened = open(&backup_after, laptop).expect("the laptop opens its backup");
    assert_eq!(opened.document.entries.len(), 2);
}
