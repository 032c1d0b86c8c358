//! `attune recovery rotate`: new words work, the old words restore nothing new.

use std::collections::BTreeSet;

use attune_e2e::{words_from_init, Device, Relay};

fn recover(
    tmp: &std::path::Path,
    name: &str,
    relay: &Relay,
    words: &str,
) -> (Device, std::process::Output) {
    let file = tmp.join(format!("{name}-words"));
    std::fs::write(&file, words).unwrap();
    let device = Device::new(tmp.join(name));
    let out = device.run(&[
        "recover",
        "--relay",
        &relay.url,
        "--words-file",
        file.to_str().unwrap(),
        "--no-passphrase",
        "--name",
        name,
    ]);
    (device, out)
}

fn bodies(device: &Device) -> BTreeSet<String> {
    device
        .json(&["list", "--json"])
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["body"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn rotated_words_restore_everything_and_the_old_words_nothing_new() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let laptop = Device::new(tmp.path().join("laptop"));
    let old_words = words_from_init(&laptop.ok(&["init", "--name", "laptop", "--no-passphrase"]));
    laptop.ok(&["relay", "set", &relay.url]);
    laptop.write(&["--body", "before the words were seen"]);
    laptop.ok(&["sync"]);
    let phone = Device::new(tmp.path().join("phone"));
    phone.join("phone", &laptop, &relay);

    // The paper was seen by someone: new words.
    let rotated = laptop.ok(&["recovery", "rotate"]);
    let new_words = words_from_init(&rotated);
    assert_eq!(new_words.split(' ').count(), 24, "{rotated}");
    assert_ne!(new_words, old_words);
    laptop.write(&["--body", "after the rotation"]);
    laptop.ok(&["sync"]);
    // The phone follows the new epoch and keeps writing.
    phone.ok(&["sync"]);
    phone.write(&["--body", "the phone after the rotation"]);
    phone.ok(&["sync"]);
    laptop.ok(&["sync"]);

    // The old words restore nothing: their device was removed.
    let (old, out) = recover(tmp.path(), "old-words", &relay, &old_words);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("can no longer restore"), "{said}");
    assert!(!old.dir.exists(), "nothing written for the old words");

    // The new words find the journal (their id derives no journal) and bring back everything.
    let (restored, out) = recover(tmp.path(), "new-words", &relay, &new_words);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: BTreeSet<String> = [
        "before the words were seen",
        "after the rotation",
        "the phone after the rotation",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(bodies(&restored), expected);
    // The restored device writes, and the others read it.
    restored.write(&["--body", "from the restored device"]);
    restored.ok(&["sync"]);
    phone.ok(&["sync"]);
    assert!(bodies(&phone).contains("from the restored device"));
}

#[test]
fn a_device_that_does_not_know_the_kit_cannot_rotate_it() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"));
    let laptop = Device::new(tmp.path().join("laptop"));
    laptop.init_with_relay("laptop", &relay);
    laptop.ok(&["sync"]);
    let phone = Device::new(tmp.path().join("phone"));
    phone.join("phone", &laptop, &relay);
    let out = phone.run(&["recovery", "rotate"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("does not know which device"), "{said}");
}
