//! The test kit shared by Attune's tests and benchmarks: the real binaries
//! of this workspace ([`binary`]), a real relay process ([`Relay`]), a fresh
//! PostgreSQL schema ([`pg::schema`]) and a device driven through the real
//! `attune` command ([`Device`]).
//!
//! ```no_run
//! let tmp = std::env::temp_dir().join("attune-testkit-example");
//! let relay = attune_testkit::Relay::start(&tmp.join("relay"));
//! let laptop = attune_testkit::Device::new(tmp.join("laptop"));
//! laptop.init_with_relay("laptop", &relay);
//! laptop.write(&["--body", "hello"]);
//! assert!(laptop.sync().status.success());
//! ```

use std::path::PathBuf;
use std::process::Command;

/// The path of a binary of this workspace (`attune`, `attune-relay`), built if missing.
///
/// Integration tests of this crate cannot use `CARGO_BIN_EXE_*` for binaries of
/// other packages, so they look next to the test executable (`target/<profile>/`)
/// and build the binary there if it is not there yet.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // Tests run from target/<profile>/deps/<test>; binaries such as
    // attune-bench from target/<profile>/<bin>.
    let mut profile_dir = exe.parent().expect("target directory").to_path_buf();
    if profile_dir.file_name().is_some_and(|n| n == "deps") {
        profile_dir.pop();
    }
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        // From the workspace root: a test's own directory is its package's.
        cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
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

pub mod browser;
mod device;
pub mod pg;
mod relay;

pub use browser::{browser, Browser, UiServer};
pub use device::{journal_with_devices, synced_devices, Device};
pub use relay::{spawn_relay, Relay, RelayChild, NO_RATE_LIMITS};
