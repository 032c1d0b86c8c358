//! Prometheus metrics: what a self-hoster watches (`GET /metrics`).
//!
//! Counters and histograms are recorded with the `metrics` facade; the
//! Prometheus exporter renders them as text. No label ever carries a journal
//! or device id (cardinality, and the operator does not need them).
//!
//! Every series is registered at zero when the recorder is installed, with
//! its `HELP` text, and so are the refusals of every [`ErrorCode`] the relay
//! sends: dashboards and alerts (`rate(...)`, `absent(...)`) work from the
//! first scrape, not from the first push or the first refusal.

use std::sync::OnceLock;
use std::time::Duration;

use attune_proto::ErrorCode;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Envelopes committed (new, not re-pushes).
pub const ENVELOPES_STORED: &str = "attune_relay_envelopes_stored_total";
/// Bytes of envelopes committed.
pub const BYTES_STORED: &str = "attune_relay_envelope_bytes_stored_total";
/// Envelopes served by pulls and live connections.
pub const ENVELOPES_SERVED: &str = "attune_relay_envelopes_served_total";
/// Snapshots verified and stored.
pub const SNAPSHOTS_STORED: &str = "attune_relay_snapshots_stored_total";
/// Sealed snapshot bytes served to devices.
pub const SNAPSHOT_BYTES_SERVED: &str = "attune_relay_snapshot_bytes_served_total";
/// Envelopes deleted by compaction.
pub const ENVELOPES_COMPACTED: &str = "attune_relay_envelopes_compacted_total";
/// Requests refused, by reason (`reason` label: the stable error code).
pub const REFUSALS: &str = "attune_relay_refusals_total";
/// Time from a group's arrival at the writer to its commit.
pub const PUSH_COMMIT_SECONDS: &str = "attune_relay_push_commit_seconds";
/// Time to fan one committed batch out to the live connections of its journal.
pub const FANOUT_SECONDS: &str = "attune_relay_fanout_seconds";
/// Live WebSocket connections open now.
pub const LIVE_CONNECTIONS: &str = "attune_relay_live_connections";

/// The counters, with their `HELP` text (the refusals are labelled, below).
const COUNTERS: &[(&str, &str)] = &[
    (
        ENVELOPES_STORED,
        "Envelopes committed (new, not re-pushes).",
    ),
    (BYTES_STORED, "Bytes of envelopes committed."),
    (
        ENVELOPES_SERVED,
        "Envelopes served by pulls and live connections.",
    ),
    (SNAPSHOTS_STORED, "Snapshots verified and stored."),
    (
        SNAPSHOT_BYTES_SERVED,
        "Sealed snapshot bytes served to devices.",
    ),
    (ENVELOPES_COMPACTED, "Envelopes deleted by compaction."),
];

/// The histograms (seconds), with their `HELP` text.
const HISTOGRAMS: &[(&str, &str)] = &[
    (
        PUSH_COMMIT_SECONDS,
        "Time from a group's arrival at the writer to its commit.",
    ),
    (
        FANOUT_SECONDS,
        "Time to fan one committed batch out to the live connections of its journal.",
    ),
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Install the process-wide recorder once; later calls reuse it.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ];
            let builder = PrometheusBuilder::new()
                .set_buckets(&buckets)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => {
                    register_at_zero();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics are unavailable");
                    None
                }
            }
        })
        .as_ref()
}

/// Render every metric in the Prometheus text format.
pub fn render() -> String {
    install().map(PrometheusHandle::render).unwrap_or_default()
}

/// Record a refusal by its stable code.
pub fn refused(code: ErrorCode) {
    metrics::counter!(REFUSALS, "reason" => code.as_str()).increment(1);
}

/// Record a duration into a histogram.
pub fn observe(name: &'static str, elapsed: Duration) {
    metrics::histogram!(name).record(elapsed.as_secs_f64());
}

/// Describes every metric and registers each series, so it renders as zero until it moves.
fn register_at_zero() {
    for &(name, help) in COUNTERS {
        metrics::describe_counter!(name, help);
        // Registering is enough: a new counter renders as 0.
        let _ = metrics::counter!(name);
    }
    metrics::describe_counter!(
        REFUSALS,
        "Requests refused, by reason (the stable error code)."
    );
    for code in ErrorCode::ALL {
        let _ = metrics::counter!(REFUSALS, "reason" => code.as_str());
    }
    metrics::describe_gauge!(LIVE_CONNECTIONS, "Live WebSocket connections open now.");
    let _ = metrics::gauge!(LIVE_CONNECTIONS);
    for &(name, help) in HISTOGRAMS {
        metrics::describe_histogram!(name, metrics::Unit::Seconds, help);
        let _ = metrics::histogram!(name);
    }
}
