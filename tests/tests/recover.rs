//! The recovery kit: every device lost, the 24 words bring the journal back.

use attune_e2e::{journal_with_devices, words_from_init, Device, Relay};

#[test]
fn every_device_lost_the_words_bring_back_every_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let a = Device::new(tmp.path().join("a"));
    let out = a.ok(&["init", "--name", "laptop", "--no-passphrase"]);
    let words = words_from_init(&out);
    assert_eq!(words.split(' ').count(), 24, "{words:?}");
    a.ok(&["relay", "set", &relay.url]);
    let mut ids = vec![a.write(&["--kind", "values", "--body", "what matters to me"])];
    a.ok(&["sync"]);
    let b = Device::new(tmp.path().join("b"));
    b.join("desktop", &a, &relay);
    ids.push(b.write(&["--kind", "micro-win", "--body", "written on the desktop"]));
    b.ok(&["sync"]);
    // A revocation later: the recovery kit must receive the new epoch too.
    let c = Device::new(tmp.path().join("c"));
    c.join("phone", &a, &relay);
    let c_id = c.json(&["status", "--json"])["device_id"]
        .as_str()
        .unwrap()
        .to_string();
    a.ok(&["device", "revoke", &c_id[..8]]);
    ids.push(a.write(&["--body", "after the revocation"]));
    a.ok(&["sync"]);
    let before = a.snapshot();

    // Every device directory is gone.
    for d in [&a, &b, &c] {
        std::fs::remove_dir_all(&d.dir).unwrap();
    }

    // Wrong words: a clear error and nothing written.
    let fresh = Device::new(tmp.path().join("fresh"));
    let wrong_file = tmp.path().join("wrong-words");
    let mut wrong: Vec<&str> = words.split(' ').collect();
    wrong.swap(3, 4);
    wrong[0] = if wrong[0] == "abandon" {
        "ability"
    } else {
        "abandon"
    };
    std::fs::write(&wrong_file, wrong.join(" ")).unwrap();
    let out = fresh.run(&[
        "recover",
        "--relay",
        &relay.url,
        "--words-file",
        wrong_file.to_str().unwrap(),
        "--no-passphrase",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("recovery words"), "{err}");
    assert!(!fresh.dir.exists(), "nothing was written for wrong words");

    // Valid words of another journal: the relay has none for them.
    let other = Device::new(tmp.path().join("other"));
    let other_words = words_from_init(&other.ok(&["init", "--no-passphrase"]));
    let other_file = tmp.path().join("other-words");
    std::fs::write(&other_file, &other_words).unwrap();
    let out = fresh.run(&[
        "recover",
        "--relay",
        &relay.url,
        "--words-file",
        other_file.to_str().unwrap(),
        "--no-passphrase",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no journal for those recovery words"));
    assert!(!fresh.dir.exists());

    // The right words: every entry is back, and the new device works fully.
    let words_file = tmp.path().join("words");
    std::fs::write(&words_file, &words).unwrap();
    let out = fresh.ok(&[
        "recover",
        "--relay",
        &relay.url,
        "--words-file",
        words_file.to_str().unwrap(),
        "--no-passphrase",
        "--name",
        "new laptop",
    ]);
    assert!(out.contains("is back"), "{out}");
    assert_eq!(fresh.snapshot(), before);
    for id in &ids {
        fresh.ok(&["show", &id[..8]]);
    }
    fresh.write(&["--body", "the first entry after recovery"]);
    fresh.ok(&["sync"]);
    // …and it can add a device again.
    let d = Device::new(tmp.path().join("d"));
    d.join("another", &fresh, &relay);
    assert_eq!(d.snapshot(), fresh.snapshot());
    let _ = journal_with_devices;
}
