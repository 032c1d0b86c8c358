//! A real `attune-relay` process on 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::binary;

/// Relay flags that lift its per-address rate limits (requests and new journals). Every device of a test
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
    "--max-journals-per-hour",
    "100000",
];

/// A real `attune-relay` process on 127.0.0.1, killed when dropped.
pub struct Relay {
    child: Option<RelayChild>,
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
        Relay::spawn(&binary("attune-relay"), data, listen, log_level, extra)
    }

    /// Start the relay binary at `binary` (a test's `CARGO_BIN_EXE_attune-relay`,
    /// a benchmark's release build) with its log and data in `data`.
    pub fn spawn(
        binary: &Path,
        data: &Path,
        listen: &str,
        log_level: &str,
        extra: &[&str],
    ) -> Relay {
        std::fs::create_dir_all(data).expect("relay data dir");
        let log = data.join(format!(
            "relay-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let log_file = std::fs::File::create(&log).expect("relay log");
        let mut args: Vec<&str> = Vec::new();
        // With PostgreSQL the data directory holds only the log.
        let data_arg = data.to_str().expect("a UTF-8 data directory");
        if !extra.contains(&"--database") && !extra.contains(&"--data") {
            args.extend(["--data", data_arg]);
        }
        args.extend(extra);
        // Every test device connects from 127.0.0.1: lift the per-address
        // rates unless the test sets them (server/tests/limits.rs tests them).
        if !extra.contains(&"--rate-limit-burst") {
            args.extend(NO_RATE_LIMITS);
        }
        let process = launch(
            binary,
            listen,
            &args,
            log_level,
            Stdio::from(log_file),
            &log,
        );
        let url = process.base.clone();
        Relay {
            child: Some(process),
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

    /// The relay's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.child.id())
    }

    /// The relay's resident set (VmRSS, Linux), in MiB.
    pub fn rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())?;
        Some(kib / 1024.0)
    }

    /// `kill -9` the relay.
    pub fn kill9(&mut self) {
        if let Some(mut process) = self.child.take() {
            let _ = process.child.kill();
            let _ = process.child.wait();
        }
    }

    /// Stop with SIGTERM and wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut process = self.child.take().expect("relay is running");
        let child = &mut process.child;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        child.wait().expect("relay exits")
    }

    /// Stop with SIGTERM, waiting at most `patience` before `kill -9`; whether it stopped cleanly.
    pub fn stop_within(&mut self, patience: std::time::Duration) -> bool {
        let Some(mut process) = self.child.take() else {
            return true;
        };
        let child = &mut process.child;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = std::time::Instant::now() + patience;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A relay process as started, with nothing added: killed when dropped.
pub struct RelayChild {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl Drop for RelayChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `binary` on an ephemeral port with exactly `args`, `RUST_LOG=filter`
/// and its log to `stderr` (the relay's own tests use this one: no limits lifted).
pub fn spawn_relay(binary: &Path, args: &[&str], filter: &str, stderr: Stdio) -> RelayChild {
    launch(
        binary,
        "127.0.0.1:0",
        args,
        filter,
        stderr,
        Path::new("its stderr"),
    )
}

/// Start the relay and wait for the line that says where it listens.
fn launch(
    binary: &Path,
    listen: &str,
    args: &[&str],
    filter: &str,
    stderr: Stdio,
    log: &Path,
) -> RelayChild {
    let mut child = Command::new(binary)
        .args(["--listen", listen])
        .args(args)
        .env("RUST_LOG", filter)
        .env_remove("ATTUNE_RELAY_DATA")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start attune-relay");
    let stdout = child.stdout.take().expect("relay stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("relay prints its address");
    let base = line
        .trim()
        .strip_prefix("attune-relay listening on ")
        .unwrap_or_default()
        .to_string();
    if !base.starts_with("http://127.0.0.1:") {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "unexpected relay banner {line:?}; its log ({}):\n{}",
            log.display(),
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }
    RelayChild { child, base }
}
