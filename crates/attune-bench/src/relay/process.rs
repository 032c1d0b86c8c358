//! The relay process under measurement: started with the limits the benchmark
//! needs, its RSS read from `/proc`, its open-file limit raised beforehand.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use attune_testkit::Relay;
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// The largest number of open files a process may have on the machines this runs on.
const OPEN_FILES_CEILING: u64 = 20_000;

/// Sets the open-file soft limit to the hard one (at most [`OPEN_FILES_CEILING`]); returns it.
pub fn raise_open_files_limit() -> Result<u64> {
    let limit = getrlimit(Resource::Nofile);
    let current = limit
        .maximum
        .unwrap_or(OPEN_FILES_CEILING)
        .min(OPEN_FILES_CEILING);
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(current),
            maximum: limit.maximum,
        },
    )
    .context("raising the open-file limit")?;
    Ok(current)
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

/// The real relay under measurement, with the limits this benchmark needs.
pub struct RelayProcess {
    relay: Relay,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl RelayProcess {
    /// Starts the relay with `storage` arguments, caps raised for `connections` live connections.
    pub fn start(binary: &Path, dir: &Path, storage: &[&str], connections: usize) -> Result<Self> {
        let caps = connections.max(1).to_string();
        let sessions = (connections + 1000).to_string();
        let lots = "1000000";
        let mut args: Vec<&str> = storage.to_vec();
        // One client address opens thousands of connections and sessions
        // here; the defaults are for the open internet.
        args.extend([
            "--max-connections-per-ip",
            &caps,
            "--max-sessions",
            &sessions,
        ]);
        args.extend(["--rate-limit-burst", lots, "--rate-limit-per-second", lots]);
        args.extend([
            "--auth-rate-limit-burst",
            lots,
            "--auth-rate-limit-per-second",
            lots,
        ]);
        args.extend(["--max-journals-per-hour", lots]);
        let relay = Relay::spawn(binary, dir, "127.0.0.1:0", "warn", &args);
        let url = relay.url.clone();
        let addr = url
            .strip_prefix("http://")
            .and_then(|a| a.parse().ok())
            .with_context(|| format!("the relay's address {url:?}"))?;
        Ok(Self { relay, url, addr })
    }

    /// The relay's process id.
    pub fn pid(&self) -> Result<u32> {
        self.relay.pid().context("relay stopped")
    }

    /// The relay's resident set (VmRSS), in MiB.
    pub fn rss_mib(&self) -> Result<f64> {
        self.relay
            .rss_mib()
            .ok_or_else(|| anyhow!("no VmRSS for the relay in /proc"))
    }

    /// Stops the relay with SIGTERM (SIGKILL after 15 s).
    pub fn stop(mut self) {
        if !self.relay.stop_within(Duration::from_secs(15)) {
            eprintln!(
                "the relay did not stop within 15 s; it was killed (log: {})",
                self.relay.log.display()
            );
        }
    }
}
