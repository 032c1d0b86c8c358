//! The relay must have no code that could decrypt: it never depends on
//! attune-core or attune-crypto, directly or through another crate.

use std::process::Command;

#[test]
fn relay_does_not_depend_on_core_or_crypto() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "attune-relay",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo tree");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(
        tree.contains("attune-proto"),
        "unexpected cargo tree output:\n{tree}"
    );
    for forbidden in ["attune-core", "attune-crypto", "age ", "chacha20poly1305"] {
        assert!(
            !tree.lines().any(|l| l.starts_with(forbidden)),
            "attune-relay depends on {forbidden}:\n{tree}"
        );
    }
}
