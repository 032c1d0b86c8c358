//! Helpers for the web UI's browser tests: where screenshots and script logs
//! go, a fresh journal, and reading lists out of JSON.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Device;

/// `$CARGO_TARGET_DIR/ui-screenshots/` (or `target/ui-screenshots/`), created.
pub fn screenshots() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target")
            .to_string_lossy()
            .into_owned()
    });
    let dir = PathBuf::from(target).join("ui-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// The `SCREENSHOTS` variable the scripts read.
pub fn shots_env() -> (&'static str, String) {
    ("SCREENSHOTS", screenshots().to_string_lossy().into_owned())
}

/// Print a script's output, and keep it beside the screenshots as `<script>.log`.
pub fn stdout(script: &str, out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let errors = String::from_utf8_lossy(&out.stderr);
    println!("{text}");
    eprintln!("{errors}");
    let log = screenshots().join(script.replace(".mjs", ".log"));
    std::fs::write(&log, format!("{text}\n--- stderr\n{errors}")).expect("script log");
    text
}

/// A fresh journal with no relay, in `tmp/laptop`.
pub fn journal(tmp: &Path) -> Device {
    let d = Device::new(tmp.join("laptop"));
    d.ok(&["init", "--name", "laptop", "--no-passphrase"]);
    d
}

/// The strings of a JSON array.
pub fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}
