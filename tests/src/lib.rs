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

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Output, Stdio};

/// Relay flags that lift its per-address rate limits. Every device of a test
/// connects from 127.0.0.1, so limits meant for one client each would refuse
/// the syncs of several busy devices. [`Relay::start_with`] adds them unless
/// the test passes its own `--rate-limit-burst`.
pub const NO_RATE_LIMITS: &[&str] = &[
    "--auth-rate-limit-burst",
    "100000",
    "--auth-rate-limit-per-second",
    "100000",
    "--rate-limit-burst",
    "100000",
    "--rate-limit-per-second",
    "100000",
];

/// A real `attune-relay` process on 127.0.0.1, killed when dropped.
pub struct Relay {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// Its data directory.
    pub data: PathBuf,
    /// Its log file (stderr, at the level given).
    pub log: PathBuf,
}

impl Relay {
    /// Start a relay on an ephemeral port with its data in `data`.
    pub fn start(data: &Path) -> Relay {
        Relay::start_on(data, "127.0.0.1:0", "info")
    }

    /// Start a relay on `listen` with `RUST_LOG=log_level`.
    pub fn start_on(data: &Path, listen: &str, log_level: &str) -> Relay {
        Relay::start_with(data, listen, log_level, &[])
    }

    /// Start a relay with extra command-line arguments.
    pub fn start_with(data: &Path, listen: &str, log_level: &str, extra: &[&str]) -> Relay {
        std::fs::create_dir_all(data).expect("relay data dir");
        let log = data.join(format!(
            "relay-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let log_file = std::fs::File::create(&log).expect("relay log");
        let mut command = Command::new(binary("attune-relay"));
        command.args(["--listen", listen]);
        // With PostgreSQL the data directory holds only the log.
        if !extra.contains(&"--database") {
            command.arg("--data").arg(data);
        }
        let mut child = command
            .args(extra)
            // Every test device connects from 127.0.0.1: lift the per-address
            // rates unless the test sets them (server/tests/limits.rs tests them).
            .args(if extra.contains(&"--rate-limit-burst") {
                &[][..]
            } else {
                NO_RATE_LIMITS
            })
            .env("RUST_LOG", log_level)
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("start attune-relay");
        let stdout = child.stdout.take().expect("relay stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("relay prints its address");
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "unexpected relay banner {line:?}"
        );
        Relay {
            child: Some(child),
            url,
            data: data.to_path_buf(),
            log,
        }
    }

    /// Change the relay's SQLite database directly, as a dishonest operator would.
    pub fn edit_db<T>(&self, edit: impl AsyncFnOnce(&mut sqlx::SqliteConnection) -> T) -> T {
        use sqlx::Connection;
        let db = self.data.join("relay.sqlite3");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                .await
                .expect("open the relay database");
            edit(&mut conn).await
        })
    }

    /// The `host:port` the relay listens on.
    pub fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    /// `kill -9` the relay.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stop with SIGTERM and wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("relay is running");
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        child.wait().expect("relay exits")
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.kill9();
    }
}

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

/// Open a device's journal in-process (no passphrase).
pub fn open_store(d: &Device) -> attune_client::Store {
    attune_client::Store::open(&d.dir, &mut || Err(attune_client::StoreError::PassphraseRequired))
        .expect("open store")
}

/// Every envelope the relay holds for the store's journal, fetched as that device.
pub fn relay_envelopes(relay: &Relay, store: &attune_client::Store) -> Vec<attune_proto::StoredEnvelope> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let client = attune_client::sync::RelayClient::connect(
            &relay.url,
            store.config().journal_id.parse().expect("journal id"),
            store.config().device_id.parse().expect("device id"),
            store.identity(),
            None,
        )
        .await
        .expect("connect to the relay");
        client
            .pull(attune_proto::RelaySeq(0), 1000)
            .await
            .expect("pull")
            .envelopes
    })
}

/// Run a future to completion on a fresh single-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// A device's journal and device ids.
pub fn ids_of(d: &Device) -> (attune_proto::JournalId, attune_proto::DeviceId) {
    let store = open_store(d);
    (
        store.config().journal_id.parse().expect("journal id"),
        store.config().device_id.parse().expect("device id"),
    )
}

/// A session with the relay as device `d`, for a test playing a hostile member.
pub fn session_as(relay: &Relay, d: &Device) -> attune_client::sync::RelayClient {
    let store = open_store(d);
    block_on(attune_client::sync::RelayClient::connect(
        &relay.url,
        store.config().journal_id.parse().expect("journal id"),
        store.config().device_id.parse().expect("device id"),
        store.identity(),
        None,
    ))
    .expect("connect to the relay")
}

/// The 24 recovery words `attune init` prints (numbered "1. word 2. word …").
pub fn words_from_init(out: &str) -> String {
    let after = out
        .split("Your recovery words")
        .nth(1)
        .expect("init prints the words");
    let tokens: Vec<&str> = after.split_whitespace().collect();
    tokens
        .windows(2)
        .filter(|w| w[0].ends_with('.') && w[0].trim_end_matches('.').parse::<u32>().is_ok())
        .map(|w| w[1])
        .collect::<Vec<_>>()
        .join(" ")
}
