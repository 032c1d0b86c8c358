//! Every figure of one backend: connections held, memory, and the push phases
//! at each connection count.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use tokio::task::JoinHandle;

use super::connections::open_connections;
use super::process::{live_gauge, RelayProcess};
use super::push::{push_phase, Deliveries, Load};
use super::setup::create_journals;
use super::{Options, SETUP_CONCURRENCY};
use crate::print_figure;

/// Every figure of one backend, on a relay already running.
pub(super) async fn measure(
    name: &str,
    relay: &RelayProcess,
    connections: &[usize],
    options: &Options,
) -> Result<()> {
    let most = *connections.last().unwrap_or(&0);
    let per = options.devices_per_journal;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(SETUP_CONCURRENCY)
        .timeout(Duration::from_secs(60))
        .build()?;
    let start = Instant::now();
    let journals = create_journals(&http, &relay.url, most.div_ceil(per), per).await?;
    print_figure(
        &format!("relay_{name}_setup_devices_authenticated"),
        (journals.len() * per) as f64,
        "devices",
    );
    print_figure(
        &format!("relay_{name}_setup_time"),
        start.elapsed().as_secs_f64(),
        "s",
    );
    let baseline = relay.rss_mib()?;
    print_figure(&format!("relay_{name}_rss_0_ws"), baseline, "MiB");

    let deliveries = Arc::new(Deliveries::default());
    let mut held: Vec<JoinHandle<()>> = Vec::with_capacity(most);
    for &count in connections {
        let opened = Instant::now();
        let before = held.len();
        open_connections(
            relay,
            &journals,
            per,
            held.len()..count,
            options.sources,
            &deliveries,
            &mut held,
        )
        .await?;
        let open_s = opened.elapsed().as_secs_f64();
        // Let every connection reach its idle loop before measuring.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let gauge = live_gauge(&http, &relay.url).await?;
        ensure!(
            gauge as usize == count,
            "the relay counts {gauge} live connections, expected {count}"
        );
        let rss = relay.rss_mib()?;
        print_figure(
            &format!("relay_{name}_ws_held_{count}"),
            gauge,
            "connections",
        );
        print_figure(
            &format!("relay_{name}_ws_open_rate_{count}"),
            (count - before) as f64 / open_s,
            "connections/s",
        );
        print_figure(&format!("relay_{name}_rss_{count}_ws"), rss, "MiB");
        print_figure(
            &format!("relay_{name}_rss_per_ws_{count}"),
            (rss - baseline) * 1024.0 / count as f64,
            "KiB",
        );
        if options.inspect_secs > 0 {
            eprintln!(
                "holding {count} connections for {} s; the relay is pid {}",
                options.inspect_secs,
                relay.pid()?
            );
            tokio::time::sleep(Duration::from_secs(options.inspect_secs)).await;
        }

        // The journals connected last push (their chains continue across phases).
        let connected = count / per;
        let pushers = &journals[connected - options.pushers.min(connected)..connected];
        let prefix = format!("relay_{name}_{count}_ws");
        // As fast as acknowledged, one envelope per request (live typing).
        let one = Load {
            journals: pushers,
            each: options.pushes,
            per_request: 1,
            interval: None,
        };
        push_phase(&http, &relay.url, per, &one, &deliveries)
            .await?
            .print(&prefix);
        // As fast as acknowledged, ten per request (a device catching up).
        let batched = Load {
            journals: pushers,
            each: options.pushes * 4,
            per_request: 10,
            interval: None,
        };
        push_phase(&http, &relay.url, per, &batched, &deliveries)
            .await?
            .print(&format!("{prefix}_batch10"));
        // A steady 100 envelopes/s in all: latency without queueing.
        let paced = Load {
            journals: pushers,
            each: 5,
            per_request: 1,
            interval: Some(Duration::from_secs_f64(pushers.len() as f64 / 100.0)),
        };
        let paced = push_phase(&http, &relay.url, per, &paced, &deliveries).await?;
        print_figure(
            &format!("{prefix}_fanout_latency_p50_at_100_per_s"),
            paced.latency_p50_ms,
            "ms",
        );
        print_figure(
            &format!("{prefix}_fanout_latency_p99_at_100_per_s"),
            paced.latency_p99_ms,
            "ms",
        );
    }

    for task in &held {
        task.abort();
    }
    for task in held {
        let _ = task.await;
    }
    Ok(())
}
