//! `attune-bench relay`: the relay under many idle live connections, on each
//! storage backend, over loopback.
//!
//! For SQLite (in a temporary directory) and PostgreSQL (a fresh schema of the
//! `test` database at 127.0.0.1:5432; skipped loudly when unreachable), it
//! starts the real `attune-relay` binary, creates journals of a few devices,
//! authenticates every device, then holds one live WebSocket per device from
//! several loopback source addresses. At each connection count it prints the
//! connections held (confirmed by the relay's own gauge) and the relay's RSS,
//! then, with those connections held, the durable push rate and the fan-out
//! to live listeners, with push-to-delivery latencies.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use attune_crypto::{genesis_roster, DeviceIdentity, JournalKey};
use attune_proto::{
    auth_message, Challenge, ChallengeRequest, DeviceId, DeviceSeq, Envelope, Epoch, JournalId,
    PushRequest, PushResponse, Roster, ServerFrame, ServerMessage, Session, SessionRequest,
    WIRE_VERSION,
};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::print_figure;
use crate::sync::{chain_of, percentile, Journal};
use process::{live_gauge, raise_open_files_limit, RelayProcess};

mod process;

/// Files the relay needs besides its live connections (listener, database, log, HTTP).
const OPEN_FILES_SPARE: usize = 500;
/// Requests in flight while setting up (journals, sessions, connections).
const SETUP_CONCURRENCY: usize = 128;
/// The longest a phase may wait for its last delivery.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(60);

/// What to measure.
pub struct Options {
    /// Live connection counts to measure at, ascending.
    pub connections: Vec<usize>,
    /// Devices (one live connection each) per journal.
    pub devices_per_journal: usize,
    /// Loopback source addresses (127.0.0.2 onwards) the connections come from.
    pub sources: u8,
    /// Journals pushing at once in each push phase.
    pub pushers: usize,
    /// Envelopes each pushing journal sends one per request (four times as
    /// many, ten per request, in the batched phase).
    pub pushes: usize,
    /// Storage backends to measure, in order.
    pub backends: Vec<Backend>,
    /// Seconds to hold the connections after measuring each count, for inspection.
    pub inspect_secs: u64,
}

/// A storage backend of the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// SQLite in a temporary directory.
    Sqlite,
    /// A fresh schema of the `test` database at 127.0.0.1:5432.
    Postgres,
}

/// Run the relay benchmark and print its figures.
pub fn run(options: &Options) -> Result<()> {
    let mut asked = options.connections.clone();
    asked.sort_unstable();
    asked.dedup();
    ensure!(
        !asked.is_empty() && options.devices_per_journal > 0,
        "give at least one connection count and one device per journal"
    );
    ensure!(options.sources > 0, "give at least one source address");
    // Raised before the relay starts: it inherits the limit.
    let files = raise_open_files_limit()?;
    print_figure("relay_bench_open_files_limit", files as f64, "files");
    let ceiling = (files as usize).saturating_sub(OPEN_FILES_SPARE);
    let connections: Vec<usize> = asked.iter().map(|&n| n.min(ceiling)).collect();
    if connections != asked {
        eprintln!(
            "\n*** The open-file limit is {files}: measuring at {connections:?} connections instead of {asked:?}. ***\n"
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("runtime")?;
    let tmp = tempfile::tempdir()?;
    let relay_bin = attune_testkit::binary("attune-relay");

    let most = *connections.last().unwrap_or(&0);
    for backend in &options.backends {
        match backend {
            Backend::Sqlite => {
                let dir = tmp.path().join("sqlite");
                let data = dir.display().to_string();
                let relay = RelayProcess::start(&relay_bin, &dir, &["--data", &data], most)?;
                rt.block_on(measure("sqlite", &relay, &connections, options))?;
                relay.stop();
                crate::catchup::run("sqlite", &[])?;
            }
            Backend::Postgres => {
                let schema = match rt.block_on(attune_testkit::pg::try_schema()) {
                    Ok(schema) => schema,
                    Err(errors) => {
                        eprintln!(
                            "\n*** PostgreSQL SKIPPED: not reachable ({errors}). Start it at 127.0.0.1:5432 \
                             (trust auth, database `test`) to measure the relay on PostgreSQL. ***\n"
                        );
                        continue;
                    }
                };
                let dir = tmp.path().join("postgres");
                let url = schema.url();
                let relay = RelayProcess::start(&relay_bin, &dir, &["--database", &url], most)?;
                let measured = rt.block_on(measure("postgres", &relay, &connections, options));
                relay.stop();
                let caught_up =
                    measured.and_then(|()| crate::catchup::run("postgres", &["--database", &url]));
                drop(schema);
                caught_up?;
            }
        }
    }
    Ok(())
}

/// Every figure of one backend, on a relay already running.
async fn measure(
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

/// A journal of the benchmark: its keys and devices, and each device's session token.
struct BenchJournal {
    journal: Journal,
    tokens: Vec<String>,
    /// Device 0's last pushed sequence number and envelope hash.
    pushed: Mutex<(u64, [u8; 32])>,
}

async fn post_wire(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    method: reqwest::Method,
    body: Vec<u8>,
) -> Result<Vec<u8>> {
    let mut request = http.request(method, url).body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.with_context(|| url.to_string())?;
    let status = response.status();
    let bytes = response.bytes().await?;
    if !status.is_success() {
        bail!("{url}: {status} {}", String::from_utf8_lossy(&bytes));
    }
    Ok(bytes.to_vec())
}

/// Challenge and session of one device; `genesis` creates the journal.
async fn authenticate(
    http: &reqwest::Client,
    base: &str,
    journal: JournalId,
    device: DeviceId,
    identity: &DeviceIdentity,
    genesis: Option<Roster>,
) -> Result<String> {
    let url = format!("{base}/v1/journals/{journal}");
    let request = ChallengeRequest {
        v: WIRE_VERSION,
        device_id: device,
    };
    let challenge = Challenge::decode(
        &post_wire(
            http,
            &format!("{url}/challenge"),
            None,
            reqwest::Method::POST,
            request.encode(),
        )
        .await?,
    )?;
    let request = SessionRequest {
        v: WIRE_VERSION,
        device_id: device,
        nonce: challenge.nonce,
        signature: identity.sign(&auth_message(journal, device, &challenge.nonce)),
        genesis,
    };
    let session = Session::decode(
        &post_wire(
            http,
            &format!("{url}/session"),
            None,
            reqwest::Method::POST,
            request.encode(),
        )
        .await?,
    )?;
    Ok(session.token)
}

/// `count` journals of `per` devices each, every device authenticated.
async fn create_journals(
    http: &reqwest::Client,
    base: &str,
    count: usize,
    per: usize,
) -> Result<Vec<BenchJournal>> {
    stream::iter(0..count)
        .map(|_| create_journal(http, base, per))
        .buffered(SETUP_CONCURRENCY / per.clamp(1, 8))
        .try_collect()
        .await
}

async fn create_journal(http: &reqwest::Client, base: &str, per: usize) -> Result<BenchJournal> {
    let id = JournalId(attune_crypto::random_bytes());
    let devices: Vec<(DeviceId, DeviceIdentity)> = (0..per)
        .map(|_| {
            (
                DeviceId(attune_crypto::random_bytes()),
                DeviceIdentity::generate(),
            )
        })
        .collect();
    let (d0, id0) = &devices[0];
    let key = JournalKey::generate();
    // Every device is in the genesis: one roster version, signed by the first.
    let genesis = genesis_roster(
        id0,
        *d0,
        id,
        crate::sync::members_of(&devices),
        Epoch(1),
        &key,
    );
    let first = authenticate(http, base, id, *d0, id0, Some(genesis)).await?;
    let mut tokens = vec![first];
    for (d, identity) in &devices[1..] {
        tokens.push(authenticate(http, base, id, *d, identity, None).await?);
    }
    Ok(BenchJournal {
        journal: Journal { id, key, devices },
        tokens,
        pushed: Mutex::new((0, [0; 32])),
    })
}

type Live = WebSocketStream<TcpStream>;

/// A live WebSocket from `source`, with small buffers so the benchmark's side stays cheap too.
async fn open_live(relay: SocketAddr, source: Ipv4Addr, url: &str, token: &str) -> Result<Live> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request()?;
    // The token goes in the header: the relay refuses one in the URL.
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let socket = TcpSocket::new_v4()?;
    socket
        .bind(SocketAddr::from((source, 0)))
        .with_context(|| format!("binding to {source}"))?;
    let stream = socket.connect(relay).await?;
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
    Ok(ws)
}

/// Opens the live connections `range` (connection k is device k % per of journal k / per).
async fn open_connections(
    relay: &RelayProcess,
    journals: &[BenchJournal],
    per: usize,
    range: std::ops::Range<usize>,
    sources: u8,
    deliveries: &Arc<Deliveries>,
    held: &mut Vec<JoinHandle<()>>,
) -> Result<()> {
    let ws_base = relay.url.replace("http://", "ws://");
    let opened: Vec<Live> = stream::iter(range)
        .map(|k| {
            let journal = &journals[k / per];
            let url = format!("{ws_base}/v1/journals/{}/ws", journal.journal.id);
            let token = &journal.tokens[k % per];
            // 127.0.0.2, 127.0.0.3, …: each source address has its own ports.
            let source = Ipv4Addr::new(127, 0, 0, 2 + (k % usize::from(sources)) as u8);
            async move {
                open_live(relay.addr, source, &url, token)
                    .await
                    .with_context(|| format!("live connection {k}"))
            }
        })
        .buffered(SETUP_CONCURRENCY)
        .try_collect()
        .await?;
    for ws in opened {
        held.push(tokio::spawn(listen(ws, deliveries.clone())));
    }
    Ok(())
}

/// Reads a live connection until it closes, recording each envelope's delivery.
/// Reading also answers the relay's pings, so idle connections stay open.
async fn listen(mut ws: Live, deliveries: Arc<Deliveries>) {
    while let Some(Ok(message)) = ws.next().await {
        if let Message::Binary(bytes) = message {
            if let Ok(ServerMessage {
                frame: ServerFrame::Envelopes(list),
                ..
            }) = ServerMessage::decode(&bytes)
            {
                let now = Instant::now();
                for stored in &list {
                    deliveries.delivered(&stored.envelope, now);
                }
            }
        }
    }
}

/// When each pushed envelope was sent, and how long each delivery took.
#[derive(Default)]
struct Deliveries {
    sent: Mutex<HashMap<(JournalId, DeviceSeq), Instant>>,
    latencies_ms: Mutex<Vec<f64>>,
    last: Mutex<Option<Instant>>,
    count: AtomicUsize,
}

impl Deliveries {
    fn sending(&self, envelopes: &[Envelope], at: Instant) {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        for e in envelopes {
            sent.insert((e.journal_id, e.device_seq), at);
        }
    }

    fn delivered(&self, envelope: &Envelope, at: Instant) {
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
struct Phase {
    envelopes: usize,
    durable_per_s: f64,
    deliveries: usize,
    deliveries_per_s: f64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
}

impl Phase {
    fn print(&self, prefix: &str) {
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
struct Load<'a> {
    journals: &'a [BenchJournal],
    each: usize,
    per_request: usize,
    interval: Option<Duration>,
}

/// Runs one push phase while every device of the pushing journals (the
/// pusher too) listens live; waits for every delivery.
async fn push_phase(
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
