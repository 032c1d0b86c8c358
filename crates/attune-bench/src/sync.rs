//! `attune-bench sync`: envelope crypto against its primitives, relay intake,
//! fan-out, and write-to-applied latency, against a real relay on loopback.

use anyhow::{Context, Result};
use attune_testkit::Relay;

use crate::{median, print_figure};
use crypto::crypto_figures;
use fanout::{bare_fanout, fanout};
use intake::intake;
use latency::{latency, write_to_applied};

pub(crate) use fixture::{chain_of, members_of, Journal};

mod crypto;
mod fanout;
mod fixture;
mod intake;
mod latency;

/// The `p` quantile (0 to 1) of some measurements.
pub(crate) fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() as f64 - 1.0) * p).round() as usize]
}

/// Run the sync benchmark and print its figures.
pub fn run(per_device: usize) -> Result<()> {
    crypto_figures()?;
    let tmp = tempfile::tempdir()?;
    let relay = Relay::start_on(&tmp.path().join("relay"), "127.0.0.1:0", "warn");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("runtime")?;
    rt.block_on(async {
        for devices in [1usize, 10, 100] {
            let per = (per_device * 10 / devices.max(1)).clamp(20, per_device * 10);
            // One envelope per request is live typing; 100 is a device catching up.
            for per_request in [1usize, 10, 100] {
                let rate = intake(&relay, devices, per.max(per_request), per_request).await?;
                print_figure(
                    &format!("relay_durable_envelopes_{devices}dev_{per_request}per_request"),
                    rate,
                    "envelopes/s",
                );
            }
        }
        let receivers = 50;
        let relay_fanout = fanout(&relay, receivers, 400).await?;
        print_figure(
            &format!("relay_fanout_{receivers}_receivers"),
            relay_fanout,
            "deliveries/s",
        );
        let bare = bare_fanout(receivers, 400).await?;
        print_figure(
            &format!("bare_websocket_fanout_{receivers}_receivers"),
            bare,
            "deliveries/s",
        );
        print_figure("relay_fanout_vs_bare", relay_fanout / bare, "ratio");
        let (p50, p99) = latency(&relay, 100, 1000).await?;
        print_figure("sync_a_to_b_latency_p50_at_100_per_s", p50, "ms");
        print_figure("sync_a_to_b_latency_p99_at_100_per_s", p99, "ms");
        let (p50, p99) = write_to_applied(&relay, 100, 500).await?;
        print_figure("sync_write_to_applied_latency_p50_at_100_per_s", p50, "ms");
        print_figure("sync_write_to_applied_latency_p99_at_100_per_s", p99, "ms");
        Ok::<_, anyhow::Error>(())
    })?;
    let _ = median;
    Ok(())
}
