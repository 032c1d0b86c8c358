//! The real `attune` binary refuses a weak new passphrase read from a file and
//! leaves the device key as it was.

use std::path::Path;
use std::process::{Command, Output};

const WEAK: &str = "password123";
const STRONG: &str = "lantern orbit mossy caravan";

fn attune(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attune"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env_remove("ATTUNE_PASSPHRASE_FILE")
        // Honoured because tests run a debug build; keeps scrypt fast.
        .env("ATTUNE_SCRYPT_WORK_FACTOR", "10")
        .output()
        .expect("run attune")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = attune(dir, args);
    assert!(
        out.status.success(),
        "attune {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(dir: &Path, args: &[&str]) -> String {
    let out = attune(dir, args);
    assert!(!out.status.success(), "attune {args:?} should fail");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.contains("too easy to guess"), "{stderr}");
    assert!(stderr.contains("four or more unrelated words"), "{stderr}");
    stderr
}

fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{text}\n")).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn passphrase_set_refuses_a_weak_passphrase_and_accepts_a_strong_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let weak = write_file(tmp.path(), "weak", WEAK);
    let strong = write_file(tmp.path(), "strong", STRONG);
    ok(&dir, &["init", "--name", "laptop", "--no-passphrase"]);
    ok(&dir, &["write", "--body", "before the passphrase"]);
    let identity = dir.join("identity");
    let before = std::fs::read(&identity).unwrap();

    let stderr = refused(&dir, &["passphrase", "set", "--new-passphrase-file", &weak]);
    assert!(stderr.contains("Nothing was changed"), "{stderr}");
    assert_eq!(
        std::fs::read(&identity).unwrap(),
        before,
        "identity unchanged"
    );
    assert!(ok(&dir, &["list"]).contains("before the passphrase"));

    ok(
        &dir,
        &["passphrase", "set", "--new-passphrase-file", &strong],
    );
    assert_ne!(std::fs::read(&identity).unwrap(), before);
    assert!(!attune(&dir, &["list"]).status.success(), "now needs it");
    let listed = ok(&dir, &["--passphrase-file", &strong, "list"]);
    assert!(listed.contains("before the passphrase"), "{listed}");

    // Changing to a weak one is refused too; the strong one still opens it.
    let protected = std::fs::read(&identity).unwrap();
    refused(
        &dir,
        &[
            "--passphrase-file",
            &strong,
            "passphrase",
            "set",
            "--new-passphrase-file",
            &weak,
        ],
    );
    assert_eq!(std::fs::read(&identity).unwrap(), protected);
    ok(&dir, &["--passphrase-file", &strong, "list"]);
}

#[test]
fn init_refuses_a_weak_passphrase_file_before_creating_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    let weak = write_file(tmp.path(), "weak", WEAK);
    refused(&dir, &["init", "--passphrase-file", &weak]);
    assert!(!dir.join("identity").exists());

    // Strong on its own, but made of the device's name.
    let named = write_file(tmp.path(), "named", "zanzibarquokka");
    refused(
        &dir,
        &[
            "init",
            "--name",
            "Zanzibar Quokka",
            "--passphrase-file",
            &named,
        ],
    );

    let strong = write_file(tmp.path(), "strong", STRONG);
    let out = ok(
        &dir,
        &["init", "--name", "laptop", "--passphrase-file", &strong],
    );
    assert!(out.contains("Your passphrase protects it"), "{out}");
}
