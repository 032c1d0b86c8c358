//! The relay process under measurement: started with the limits the benchmark
//! needs, its RSS read from `/proc`, its open-file limit raised beforehand.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

/// The largest number of open files a process may have on the machines this runs on.
const OPEN_FILES_CEILING: u64 = 20_000;

/// Sets the open-file soft limit to the hard one (at most [`OPEN_FILES_CEILING`]); returns it.
pub fn raise_open_files_limit() -> Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(std::io::Error::last_os_error()).context("reading the open-file limit");
        }
        limit.rlim_cur = limit.rlim_max.min(OPEN_FILES_CEILING);
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            return Err(std::io::Error::last_os_error()).context("raising the open-file limit");
        }
    }
    Ok(limit.rlim_cur)
}

/// The relay's `attune_relay_live_connections` gauge, from `/metrics`.
pub async fn live_gauge(http: &reqwest::Client, base: &str) -> Result<f64> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    text.lines()
        .find_map(|line| line.strip_prefix("attune_relay_live_connections "))
        .map_or(Ok(0.0), |v| v.trim().parse::<f64>())
        .context("the live connections gauge")
}

/// A real `attune-relay` process, like `attune_e2e::Relay` but with its pid
/// (for its RSS) and the limits this benchmark needs; killed when dropped.
pub struct RelayProcess {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// Where it listens.
    pub addr: SocketAddr,
    log: PathBuf,
}

impl RelayProcess {
    /// Starts the relay with `storage` arguments, caps raised for `connections` live connections.
    pub fn start(binary: &Path, dir: &Path, storage: &[&str], connections: usize) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let log = dir.join("relay.log");
        let caps = connections.max(1).to_string();
        let lots = "1000000";
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0"])
            .args(storage)
            // One client address opens thousands of connections and sessions
            // here; the defaults are for the open internet.
            .args(["--max-connections-per-ip", &caps])
            .args(["--max-sessions", &(connections + 1000).to_string()])
            .args(["--rate-limit-burst", lots, "--rate-limit-per-second", lots])
            .args(["--auth-rate-limit-burst", lots])
            .args(["--auth-rate-limit-per-second", lots])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("relay stdout")?;
        let mut banner = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut banner)?;
        let url = banner
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        let Some(addr) = url.strip_prefix("http://").and_then(|a| a.parse().ok()) else {
            let _ = child.kill();
            bail!(
                "the relay did not start ({banner:?}); its log: {}\n{}",
                log.display(),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        Ok(Self {
            child: Some(child),
            url,
            addr,
            log,
        })
    }

    /// The relay's process id.
    pub fn pid(&self) -> Result<u32> {
        Ok(self.child.as_ref().context("relay stopped")?.id())
    }

    /// The relay's resident set (VmRSS), in MiB.
    pub fn rss_mib(&self) -> Result<f64> {
        let pid = self.pid()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow!("no VmRSS in /proc/{pid}/status"))?;
        Ok(kib / 1024.0)
    }

    /// Stops the relay with SIGTERM (SIGKILL after 15 s).
    pub fn stop(mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let Ok(pid) = libc::pid_t::try_from(child.id()) else {
            let _ = child.kill();
            return;
        };
        // SAFETY: kill only sends a signal to our own child.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!(
            "the relay did not stop within 15 s; killing it (log: {})",
            self.log.display()
        );
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
