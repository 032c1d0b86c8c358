//! Helpers for the end-to-end tests: finding the real binaries built by this workspace.

use std::path::PathBuf;
use std::process::Command;

/// The path of a binary of this workspace (`attune`, `attune-relay`), built if missing.
///
/// Integration tests of this crate cannot use `CARGO_BIN_EXE_*` for binaries of
/// other packages, so they look next to the test executable (`target/<profile>/`)
/// and build the binary there if it is not there yet.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/
    let profile_dir = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("target directory")
        .to_path_buf();
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--bin", name]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "building {name} failed");
    }
    assert!(path.exists(), "{} was not built", path.display());
    path
}
