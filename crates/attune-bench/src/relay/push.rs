//! Push phases: envelopes pushed over HTTP while every device listens live,
//! with each delivery and its latency recorded.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use attune_proto::{DeviceSeq, Envelope, JournalId, PushRequest, PushResponse, WIRE_VERSION};
use tokio::task::JoinHandle;

use super::setup::{post_wire, BenchJournal};
use crate::print_figure;
use crate::sync::{chain_of, percentile};

/// The longest a phase may wait for its last delivery.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(60);

/// When each pushed envelope was sent, and how long each delivery took.
#[derive(Default)]
pub(super) struct Deliveries {
    pub(super) sent: Mutex<HashMap<(JournalId, DeviceSeq), Instant>>,
    pub(super) latencies_ms: Mutex<Vec<f64>>,
    pub(super) last: Mutex<Option<Instant>>,
    pub(super) count: AtomicUsize,
}

impl Deliveries {
    fn sending(&self, envelopes: &[Envelope], at: Instant) {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        for e in envelopes {
            sent.insert((e.journal_id, e.device_seq), at);
        }
    }

    pub(super) fn delivered(&self, envelope: &Envelope, at: Instant) {
        let sent = self
            .sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(envelope.journal_id, envelope.device_seq))
            .copied();
        if let Some(sent) = sent {
            self.latencies_ms
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(at.saturating_duration_since(sent).as_secs_f64() * 1000.0);
            *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
            self.count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Forgets the last phase.
    fn reset(&self) {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.latencies_ms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.count.store(0, Ordering::Relaxed);
    }
}

/// The figures of one push phase.
pub(super) struct Phase {
    pub(super) envelopes: usize,
    pub(super) durable_per_s: f64,
    pub(super) deliveries: usize,
    pub(super) deliveries_per_s: f64,
    pub(super) latency_p50_ms: f64,
    pub(super) latency_p99_ms: f64,
}

impl Phase {
    pub(super) fn print(&self, prefix: &str) {
        print_figure(
            &format!("{prefix}_envelopes_pushed"),
            self.envelopes as f64,
            "envelopes",
        );
        print_figure(
            &format!("{prefix}_durable_envelopes"),
            self.durable_per_s,
            "envelopes/s",
        );
        print_figure(
            &format!("{prefix}_fanout_deliveries"),
            self.deliveries as f64,
            "deliveries",
        );
        print_figure(
            &format!("{prefix}_fanout"),
            self.deliveries_per_s,
            "deliveries/s",
        );
        print_figure(
            &format!("{prefix}_fanout_latency_p50"),
            self.latency_p50_ms,
            "ms",
        );
        print_figure(
            &format!("{prefix}_fanout_latency_p99"),
            self.latency_p99_ms,
            "ms",
        );
    }
}

/// What a push phase sends: device 0 of each journal pushes `each`
/// envelopes of 1 KiB, `per_request` at a time; with `interval`, each journal
/// pushes once per interval (journals staggered), else as fast as acknowledged.
pub(super) struct Load<'a> {
    pub(super) journals: &'a [BenchJournal],
    pub(super) each: usize,
    pub(super) per_request: usize,
    pub(super) interval: Option<Duration>,
}

/// Runs one push phase while every device of the pushing journals (the
/// pusher too) listens live; waits for every delivery.
pub(super) async fn push_phase(
    http: &reqwest::Client,
    base: &str,
    per: usize,
    load: &Load<'_>,
    deliveries: &Arc<Deliveries>,
) -> Result<Phase> {
    let journals = load.journals;
    let (each, interval) = (load.each, load.interval);
    deliveries.reset();
    // Sealed ahead, continuing each chain from what earlier phases pushed.
    let mut chains = Vec::with_capacity(journals.len());
    for j in journals {
        let mut pushed = j.pushed.lock().unwrap_or_else(|e| e.into_inner());
        let chain = chain_of(&j.journal, 0, each, pushed.0 + 1, pushed.1)?;
        if let Some(last) = chain.last() {
            *pushed = (last.device_seq.0, last.hash());
        }
        chains.push(chain);
    }
    let start = Instant::now();
    let tasks: Vec<JoinHandle<Result<()>>> = journals
        .iter()
        .zip(chains)
        .enumerate()
        .map(|(i, (j, chain))| {
            let http = http.clone();
            let url = format!("{base}/v1/journals/{}/envelopes", j.journal.id);
            let token = j.tokens[0].clone();
            let deliveries = deliveries.clone();
            let offset = interval.map(|every| every.mul_f64(i as f64 / journals.len() as f64));
            let per_request = load.per_request.max(1);
            tokio::spawn(async move {
                for (n, envelopes) in chain.chunks(per_request).enumerate() {
                    if let (Some(every), Some(offset)) = (interval, offset) {
                        tokio::time::sleep_until((start + offset + every * n as u32).into()).await;
                    }
                    let request = PushRequest {
                        v: WIRE_VERSION,
                        envelopes: envelopes.to_vec(),
                    };
                    deliveries.sending(&request.envelopes, Instant::now());
                    let answer = post_wire(
                        &http,
                        &url,
                        Some(&token),
                        reqwest::Method::POST,
                        request.encode(),
                    )
                    .await?;
                    ensure!(
                        PushResponse::decode(&answer)?.acks.len() == request.envelopes.len(),
                        "a push was not acknowledged envelope by envelope"
                    );
                }
                Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let durable = start.elapsed().as_secs_f64();
    let envelopes = journals.len() * each;
    let expected = envelopes * per;
    let deadline = Instant::now() + DELIVERY_DEADLINE;
    while deliveries.count.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let delivered = deliveries.count.load(Ordering::Relaxed);
    if delivered < expected {
        eprintln!(
            "\n*** Only {delivered} of {expected} deliveries arrived within {} s. ***\n",
            DELIVERY_DEADLINE.as_secs()
        );
    }
    let last = deliveries
        .last
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or(start);
    let mut latencies = std::mem::take(
        &mut *deliveries
            .latencies_ms
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    Ok(Phase {
        envelopes,
        durable_per_s: envelopes as f64 / durable,
        deliveries: delivered,
        deliveries_per_s: delivered as f64 / last.duration_since(start).as_secs_f64(),
        latency_p50_ms: percentile(&mut latencies, 0.5),
        latency_p99_ms: percentile(&mut latencies, 0.99),
    })
}
