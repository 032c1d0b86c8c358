//! A real browser for the web UI's tests and benchmark: Debian's chromium,
//! driven by the playwright-core scripts in `tests/browser/`, against real
//! `attune ui` processes.
//!
//! A missing browser fails loudly (after `tests/browser/setup.sh` tried to
//! install it), unless `ATTUNE_SKIP_BROWSER=1`: then the test prints
//! `SKIPPED` and passes. CI never sets it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{binary, Device};

/// Chromium and the scripts that drive it.
pub struct Browser {
    /// The chromium binary.
    pub chromium: PathBuf,
    /// `tests/browser/`.
    pub scripts: PathBuf,
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// The browser, installed if needed; `None` only under `ATTUNE_SKIP_BROWSER=1`.
pub fn browser() -> Option<Browser> {
    static SETUP: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let setup = SETUP.get_or_init(|| {
        let out = Command::new("bash")
            .arg(scripts_dir().join("setup.sh"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("could not run tests/browser/setup.sh: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        match stdout.lines().last() {
            Some(path) if out.status.success() => Ok(PathBuf::from(path.trim())),
            _ => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        }
    });
    match setup {
        Ok(chromium) => Some(Browser {
            chromium: chromium.clone(),
            scripts: scripts_dir(),
        }),
        Err(why) if std::env::var("ATTUNE_SKIP_BROWSER").as_deref() == Ok("1") => {
            eprintln!("\n*** SKIPPED: no browser ({why}) and ATTUNE_SKIP_BROWSER=1 ***\n");
            None
        }
        Err(why) => panic!(
            "\n\n*** The browser tests cannot run: {why}\n\
             tests/browser/setup.sh installs Debian's chromium and the npm packages; \
             set ATTUNE_SKIP_BROWSER=1 to skip these tests. ***\n"
        ),
    }
}

impl Browser {
    /// Run `node tests/browser/<script>` with `env`; panics with its output when it fails.
    pub fn run(&self, script: &str, env: &[(&str, String)]) -> Output {
        let out = Command::new("node")
            .arg(self.scripts.join(script))
            .env("ATTUNE_CHROMIUM", &self.chromium)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .output()
            .expect("run node");
        assert!(
            out.status.success(),
            "{script} failed:\n--- stdout\n{}\n--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

/// An `attune ui --no-open` process; killed when dropped.
pub struct UiServer {
    child: Child,
    /// The one-time opening link it printed.
    pub opening_url: String,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    /// Where its stderr (request logs) goes.
    pub log: PathBuf,
}

impl UiServer {
    /// Everything it logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for UiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Device {
    /// Start `attune ui --no-open --port 0 extra…` on this device and wait for its link.
    pub fn ui(&self, extra: &[&str]) -> UiServer {
        let log = self.dir.with_extension("ui.log");
        let stderr = std::fs::File::create(&log).expect("ui log file");
        let mut child = Command::new(binary("attune"))
            .arg("--dir")
            .arg(&self.dir)
            .args(["ui", "--no-open", "--port", "0"])
            .args(extra)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start attune ui");
        let stdout = child.stdout.take().expect("ui stdout");
        let mut lines = BufReader::new(stdout).lines();
        let start = Instant::now();
        let mut opening_url = None;
        while start.elapsed() < Duration::from_secs(30) {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(at) = line.find("http://127.0.0.1:") {
                opening_url = Some(line[at..].trim().to_string());
                break;
            }
        }
        // Keep reading stdout so the process never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let opening_url = opening_url.unwrap_or_else(|| {
            panic!(
                "attune ui printed no link; its log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        let origin = opening_url
            .split("/open")
            .next()
            .unwrap_or_default()
            .to_string();
        UiServer {
            child,
            opening_url,
            origin,
            log,
        }
    }
}
