//! A device: a journal directory driven through the real `attune` binary.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::{binary, Relay};

/// One device: a journal directory driven through the real `attune` binary.
pub struct Device {
    /// The journal directory.
    pub dir: PathBuf,
}

impl Device {
    /// A device directory (not created yet).
    pub fn new(dir: PathBuf) -> Device {
        Device { dir }
    }

    /// Run `attune --dir DIR args…` and return its output, whatever the status.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(binary("attune"))
            .arg("--dir")
            .arg(&self.dir)
            .args(args)
            .env_remove("ATTUNE_PASSPHRASE_FILE")
            .env("ATTUNE_SCRYPT_WORK_FACTOR", "10")
            .stdin(Stdio::null())
            .output()
            .expect("run attune")
    }

    /// Run and require success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "attune {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Run with `--json` parsing.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("valid JSON")
    }

    /// Create the journal (first device) and point it at the relay.
    pub fn init_with_relay(&self, name: &str, relay: &Relay) {
        self.ok(&["init", "--name", name, "--no-passphrase"]);
        self.ok(&["relay", "set", &relay.url]);
    }

    /// Join the journal of `existing` through the relay (the copy-and-paste flow).
    pub fn join(&self, name: &str, existing: &Device, relay: &Relay) {
        let ticket = existing.add_device(&self.request_join(name, relay));
        self.ok(&["join", "finish", &ticket]);
    }

    /// `attune join start` on this new device: returns the join request it prints.
    pub fn request_join(&self, name: &str, relay: &Relay) -> String {
        let out = self.ok(&[
            "join",
            "start",
            "--relay",
            &relay.url,
            "--name",
            name,
            "--no-passphrase",
        ]);
        out.split_whitespace()
            .find(|w| w.starts_with("attune-join-v1."))
            .expect("a join request")
            .to_string()
    }

    /// `attune device add REQUEST` on this device: returns the join ticket it prints.
    pub fn add_device(&self, request: &str) -> String {
        let added = self.ok(&["device", "add", request]);
        added
            .lines()
            .find_map(|l| l.trim().strip_prefix("attune join finish "))
            .expect("a join ticket")
            .trim()
            .to_string()
    }

    /// Start `attune sync --watch` on this device (a live socket), output discarded.
    pub fn watch(&self) -> Child {
        Command::new(binary("attune"))
            .arg("--dir")
            .arg(&self.dir)
            .args(["sync", "--watch", "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start attune sync --watch")
    }

    /// Write a note and return its id.
    pub fn write(&self, args: &[&str]) -> String {
        let mut all = vec!["write", "--json"];
        all.extend_from_slice(args);
        self.json(&all)["id"].as_str().expect("id").to_string()
    }

    /// Sync once; returns the JSON report (the command may fail with problems).
    pub fn sync(&self) -> Output {
        self.run(&["sync", "--json"])
    }

    /// The whole journal as JSON, deleted entries included, for comparing devices.
    pub fn snapshot(&self) -> (serde_json::Value, serde_json::Value) {
        (
            self.json(&["list", "--json"]),
            self.json(&["list", "--deleted", "--json"]),
        )
    }
}

/// A journal created on `names[0]`, synced, and joined by every other name.
pub fn journal_with_devices(tmp: &Path, relay: &Relay, names: &[&str]) -> Vec<Device> {
    let first = Device::new(tmp.join(names[0]));
    first.init_with_relay(names[0], relay);
    first.ok(&["sync"]);
    let mut all = vec![first];
    for name in &names[1..] {
        let d = Device::new(tmp.join(name));
        d.join(name, &all[0], relay);
        all.push(d);
    }
    all
}

/// [`journal_with_devices`], then one sync on each device so all are up to date.
pub fn synced_devices(tmp: &Path, relay: &Relay, names: &[&str]) -> Vec<Device> {
    let devices = journal_with_devices(tmp, relay, names);
    for device in &devices {
        device.ok(&["sync"]);
    }
    devices
}
