//! `attune-bench sync`: envelope crypto against its primitives, relay intake,
//! fan-out, and write-to-applied latency, against a real relay on loopback.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use attune_client::sync::RelayClient;
use attune_crypto::{
    genesis_roster, open_envelope, seal_envelope, ChainState, DeviceIdentity, JournalKey, KeyRing,
};
use attune_proto::{
    ClientFrame, ClientMessage, DeviceId, DeviceSeq, Envelope, Epoch, JournalId, RelaySeq,
    RosterDevice, ServerFrame, ServerMessage,
};
use attune_testkit::Relay;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::{median, print_figure};

/// The `p` quantile (0 to 1) of some measurements.
pub(crate) fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() as f64 - 1.0) * p).round() as usize]
}

fn micros<F: FnMut()>(iters: u32, mut f: F) -> f64 {
    // Warm up, then time.
    for _ in 0..iters / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(iters)
}

/// Seal + open of a 1 KiB batch against the primitives it is made of.
fn crypto_figures() -> Result<()> {
    let key = JournalKey::generate();
    let me = DeviceIdentity::generate();
    let journal = JournalId([1; 16]);
    let device = DeviceId([2; 16]);
    let members = members_of(&[(device, me.clone())]);
    let roster = genesis_roster(&me, device, journal, members, Epoch(1), &key);
    let mut ring = KeyRing::new();
    ring.insert(Epoch(1), key.clone());
    let chain = ChainState::new();
    let plain = vec![0x5au8; 1024];
    let iters = 3000;

    let env = seal_envelope(
        &key,
        &me,
        journal,
        device,
        Epoch(1),
        DeviceSeq(1),
        [0; 32],
        &plain,
    )?;
    let seal_us = micros(iters, || {
        let _ = seal_envelope(
            &key,
            &me,
            journal,
            device,
            Epoch(1),
            DeviceSeq(1),
            [0; 32],
            &plain,
        );
    });
    let rosters = [roster];
    let open_us = micros(iters, || {
        let _ = open_envelope(&env, &rosters, &ring, &chain, journal);
    });
    if open_envelope(&env, &rosters, &ring, &chain, journal)? != plain {
        bail!("the envelope did not open to its plaintext");
    }
    let overhead = env.encode().len() as f64 - plain.len() as f64;

    // The primitives, on the same sizes, in the same run.
    let aead = chacha20poly1305::XChaCha20Poly1305::new(key.expose_bytes().into());
    let nonce = chacha20poly1305::XNonce::from([7u8; 24]);
    let padded = vec![0x5au8; env.ciphertext.len() - 40];
    let aad = [0u8; 99];
    let ct = aead
        .encrypt(
            &nonce,
            Payload {
                msg: &padded,
                aad: &aad,
            },
        )
        .map_err(|_| anyhow::anyhow!("aead"))?;
    let aead_seal = micros(iters, || {
        let _ = aead.encrypt(
            &nonce,
            Payload {
                msg: &padded,
                aad: &aad,
            },
        );
    });
    let aead_open = micros(iters, || {
        let _ = aead.decrypt(
            &nonce,
            Payload {
                msg: &ct,
                aad: &aad,
            },
        );
    });
    let signed = env.signed_bytes();
    let blake = micros(iters, || {
        let _ = blake3::hash(&signed);
    });
    let digest = blake3::hash(&signed);
    let sk = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let vk = sk.verifying_key();
    let sig = ed25519_dalek::Signer::sign(&sk, digest.as_bytes());
    let sign = micros(iters, || {
        let _ = ed25519_dalek::Signer::sign(&sk, digest.as_bytes());
    });
    let verify = micros(iters, || {
        let _ = vk.verify_strict(digest.as_bytes(), &sig);
    });
    let primitives = aead_seal + aead_open + 2.0 * blake + sign + verify;
    print_figure("sync_seal_1kib", seal_us, "us");
    print_figure("sync_open_1kib", open_us, "us");
    print_figure("sync_seal_open_1kib", seal_us + open_us, "us");
    print_figure("sync_envelope_overhead_1kib", overhead, "bytes");
    print_figure("primitive_xchacha20poly1305_seal_1kib", aead_seal, "us");
    print_figure("primitive_xchacha20poly1305_open_1kib", aead_open, "us");
    print_figure("primitive_blake3_1kib", blake, "us");
    print_figure("primitive_ed25519_sign", sign, "us");
    print_figure("primitive_ed25519_verify", verify, "us");
    print_figure("primitive_sum_seal_open", primitives, "us");
    print_figure(
        "sync_seal_open_vs_primitives",
        (seal_us + open_us) / primitives,
        "ratio",
    );
    Ok(())
}

/// A synthetic journal with `n` devices in its roster, all sharing one journal key.
pub(crate) struct Journal {
    pub(crate) id: JournalId,
    pub(crate) key: JournalKey,
    pub(crate) devices: Vec<(DeviceId, DeviceIdentity)>,
}

async fn make_journal(relay: &Relay, n: usize) -> Result<Journal> {
    let id = JournalId(attune_crypto::random_bytes());
    let key = JournalKey::generate();
    let devices: Vec<(DeviceId, DeviceIdentity)> = (0..n)
        .map(|_| {
            (
                DeviceId(attune_crypto::random_bytes()),
                DeviceIdentity::generate(),
            )
        })
        .collect();
    let (d0, id0) = &devices[0];
    // Every device is in the genesis: one roster version, signed by the first.
    let genesis = genesis_roster(id0, *d0, id, members_of(&devices), Epoch(1), &key);
    RelayClient::connect(&relay.url, id, *d0, id0, Some(genesis)).await?;
    Ok(Journal { id, key, devices })
}

/// The roster entries of a benchmark journal's devices.
pub(crate) fn members_of(devices: &[(DeviceId, DeviceIdentity)]) -> Vec<RosterDevice> {
    devices
        .iter()
        .map(|(d, i)| RosterDevice {
            device_id: *d,
            verifying_key: i.verifying_key(),
            age_recipient: i.age_recipient(),
        })
        .collect()
}

/// `count` chained envelopes of one device, sealed ahead of time.
pub(crate) fn chain_of(
    j: &Journal,
    device: usize,
    count: usize,
    first_seq: u64,
    prev: [u8; 32],
) -> Result<Vec<Envelope>> {
    let (d, identity) = &j.devices[device];
    let mut prev = prev;
    let mut out = Vec::with_capacity(count);
    let plain = vec![0x33u8; 1024];
    for i in 0..count as u64 {
        let env = seal_envelope(
            &j.key,
            identity,
            j.id,
            *d,
            Epoch(1),
            DeviceSeq(first_seq + i),
            prev,
            &plain,
        )?;
        prev = env.hash();
        out.push(env);
    }
    Ok(out)
}

/// Durable envelopes per second accepted with `devices` pushing concurrently.
async fn intake(
    relay: &Relay,
    devices: usize,
    per_device: usize,
    per_request: usize,
) -> Result<f64> {
    let j = make_journal(relay, devices).await?;
    let mut clients = Vec::new();
    for (d, identity) in &j.devices {
        clients.push(RelayClient::connect(&relay.url, j.id, *d, identity, None).await?);
    }
    let chains: Vec<Vec<Envelope>> = (0..devices)
        .map(|i| chain_of(&j, i, per_device, 1, [0; 32]))
        .collect::<Result<_>>()?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (client, chain) in clients.into_iter().zip(chains) {
        tasks.push(tokio::spawn(async move {
            for chunk in chain.chunks(per_request) {
                client.push(chunk.to_vec()).await?;
            }
            Ok::<_, attune_client::sync::SyncError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok((devices * per_device) as f64 / start.elapsed().as_secs_f64())
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn live(client: &RelayClient, after: u64) -> Result<Ws> {
    let mut ws = client.open_live().await?;
    let pull = ClientMessage::new(ClientFrame::Pull {
        after: RelaySeq(after),
    });
    ws.send(Message::Binary(pull.encode().into())).await?;
    // The backlog ends with an empty frame.
    loop {
        let Some(msg) = ws.next().await else {
            bail!("live connection closed")
        };
        if let Message::Binary(b) = msg? {
            if let ServerFrame::Envelopes(list) = ServerMessage::decode(&b)?.frame {
                if list.is_empty() {
                    return Ok(ws);
                }
            }
        }
    }
}

/// Count envelopes arriving on a live connection until `stop` is set.
fn count_deliveries(mut ws: Ws, counter: Arc<AtomicUsize>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Binary(b) = msg {
                if let Ok(ServerMessage {
                    frame: ServerFrame::Envelopes(list),
                    ..
                }) = ServerMessage::decode(&b)
                {
                    counter.fetch_add(list.len(), Ordering::Relaxed);
                }
            }
        }
    })
}

/// Deliveries per second to `receivers` live devices while one device pushes.
async fn fanout(relay: &Relay, receivers: usize, pushes: usize) -> Result<f64> {
    let j = make_journal(relay, receivers + 1).await?;
    let counter = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for (d, identity) in &j.devices[1..] {
        let c = RelayClient::connect(&relay.url, j.id, *d, identity, None).await?;
        handles.push(count_deliveries(live(&c, 0).await?, counter.clone()));
    }
    let (d0, id0) = &j.devices[0];
    let pusher = RelayClient::connect(&relay.url, j.id, *d0, id0, None).await?;
    let chain = chain_of(&j, 0, pushes, 1, [0; 32])?;
    let expected = pushes * receivers;
    let start = Instant::now();
    for chunk in chain.chunks(10) {
        pusher.push(chunk.to_vec()).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while counter.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    for h in handles {
        h.abort();
    }
    Ok(counter.load(Ordering::Relaxed) as f64 / elapsed)
}

/// A→B latency through the relay at a steady rate: push on A, received and verified on B.
async fn latency(relay: &Relay, rate_per_s: u64, samples: usize) -> Result<(f64, f64)> {
    let j = make_journal(relay, 2).await?;
    let (da, ia) = &j.devices[0];
    let (db, ib) = &j.devices[1];
    let a = RelayClient::connect(&relay.url, j.id, *da, ia, None).await?;
    let b = RelayClient::connect(&relay.url, j.id, *db, ib, None).await?;
    let mut ws_a = live(&a, 0).await?;
    let mut ws_b = live(&b, 0).await?;
    let roster = a.rosters().await?;
    let mut ring = KeyRing::new();
    ring.insert(Epoch(1), j.key.clone());
    let mut chain = ChainState::new();
    let envelopes = chain_of(&j, 0, samples, 1, [0; 32])?;
    let mut lat = Vec::with_capacity(samples);
    let interval = Duration::from_micros(1_000_000 / rate_per_s);
    let mut next = Instant::now();
    for env in envelopes {
        tokio::time::sleep_until(next.into()).await;
        next += interval;
        let sent = Instant::now();
        let push = ClientMessage::new(ClientFrame::Push(attune_proto::PushRequest {
            v: attune_proto::WIRE_VERSION,
            envelopes: vec![env],
        }));
        ws_a.send(Message::Binary(push.encode().into())).await?;
        'recv: loop {
            let Some(msg) = ws_b.next().await else {
                bail!("B's connection closed")
            };
            if let Message::Binary(bytes) = msg? {
                if let ServerFrame::Envelopes(list) = ServerMessage::decode(&bytes)?.frame {
                    if let Some(stored) = list.first() {
                        open_envelope(&stored.envelope, &roster, &ring, &chain, j.id)?;
                        chain.record(&stored.envelope);
                        lat.push(sent.elapsed().as_secs_f64() * 1000.0);
                        break 'recv;
                    }
                }
            }
        }
        // Drain A's own ack and echo so they do not pile up.
        while let Ok(Some(Ok(_))) =
            tokio::time::timeout(Duration::from_micros(1), ws_a.next()).await
        {}
    }
    let p50 = percentile(&mut lat, 0.5);
    let p99 = percentile(&mut lat, 0.99);
    Ok((p50, p99))
}

/// Write on A (durable local save, seal, push) → applied on B (verified, durable
/// local apply), through the relay and B's live connection, at a steady rate.
async fn write_to_applied(relay: &Relay, rate_per_s: u64, samples: usize) -> Result<(f64, f64)> {
    use attune_client::sync::{
        connect, finish_join, process_envelopes, push_outbox, seal_outbox, SyncReport, SyncState,
    };
    use attune_client::{InitOptions, JoiningDevice, Store};
    use attune_core::{NewEntry, Timestamp};
    let tmp = tempfile::tempdir()?;
    let mut a = Store::init(
        &tmp.path().join("a"),
        InitOptions {
            device_name: "a".into(),
            ..Default::default()
        },
    )?;
    a.update_config(|c| c.relay = Some(relay.url.clone()))?;
    attune_client::sync::sync_once(&mut a).await?;
    let joining = JoiningDevice::create(
        &tmp.path().join("b"),
        InitOptions {
            device_name: "b".into(),
            ..Default::default()
        },
        &relay.url,
    )?;
    let request = attune_client::sync::JoinRequest::of(&joining)?;
    let ticket = attune_client::sync::add_device(&mut a, &request).await?;
    let (mut b, _) = finish_join(joining, &ticket).await?;
    let a_client = connect(&a, &SyncState::load(&a)?).await?;
    let b_state = SyncState::load(&b)?;
    let b_client = connect(&b, &b_state).await?;
    let mut ws_b = live(&b_client, b_state.cursor).await?;
    let mut lat = Vec::with_capacity(samples);
    let interval = Duration::from_micros(1_000_000 / rate_per_s);
    let mut next = Instant::now();
    for i in 0..samples {
        tokio::time::sleep_until(next.into()).await;
        next += interval;
        let sent = Instant::now();
        let new = NewEntry {
            body: format!("change {i}"),
            ..Default::default()
        };
        a.create(Timestamp::new(1_800_000_000_000 + i as i64, 0), new)?;
        let mut state = SyncState::load(&a)?;
        seal_outbox(&a, &mut state)?;
        push_outbox(&a_client, &a).await?;
        'recv: loop {
            let Some(msg) = ws_b.next().await else {
                bail!("B's connection closed")
            };
            if let Message::Binary(bytes) = msg? {
                if let ServerFrame::Envelopes(list) = ServerMessage::decode(&bytes)?.frame {
                    if list.is_empty() {
                        continue;
                    }
                    let mut state = SyncState::load(&b)?;
                    let mut report = SyncReport::default();
                    process_envelopes(&mut b, &mut state, &list, &mut report)?;
                    if report.applied > 0 {
                        lat.push(sent.elapsed().as_secs_f64() * 1000.0);
                        break 'recv;
                    }
                }
            }
        }
    }
    Ok((percentile(&mut lat, 0.5), percentile(&mut lat, 0.99)))
}

/// The ceiling: a bare axum WebSocket hub that forwards every message to every
/// other socket, with no storage, auth or crypto.
async fn bare_fanout(receivers: usize, pushes: usize) -> Result<f64> {
    use axum::extract::ws::{Message as AxMessage, WebSocket, WebSocketUpgrade};
    use tokio::sync::broadcast;
    let (tx, _) = broadcast::channel::<Vec<u8>>(4096);
    let hub = tx.clone();
    let app = axum::Router::new().route(
        "/ws",
        axum::routing::get(move |ws: WebSocketUpgrade| {
            let tx = hub.clone();
            async move {
                ws.on_upgrade(move |socket: WebSocket| async move {
                    let (mut sink, mut stream) = socket.split();
                    let mut rx = tx.subscribe();
                    let forward = tokio::spawn(async move {
                        while let Ok(m) = rx.recv().await {
                            if sink.send(AxMessage::Binary(m.into())).await.is_err() {
                                break;
                            }
                        }
                    });
                    while let Some(Ok(AxMessage::Binary(b))) = stream.next().await {
                        let _ = tx.send(b.to_vec());
                    }
                    forward.abort();
                })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let counter = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..receivers {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await?;
        let c = counter.clone();
        handles.push(tokio::spawn(async move {
            let mut ws = ws;
            while let Some(Ok(msg)) = ws.next().await {
                if matches!(msg, Message::Binary(_)) {
                    c.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let (mut pusher, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let payload = vec![0x33u8; 1400];
    // The pusher also receives its own messages, like a relay device does.
    let expected = pushes * (receivers + 1);
    let start = Instant::now();
    for _ in 0..pushes {
        pusher.send(Message::Binary(payload.clone().into())).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while counter.load(Ordering::Relaxed) < pushes * receivers && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let _ = expected;
    for h in handles {
        h.abort();
    }
    server.abort();
    Ok(counter.load(Ordering::Relaxed) as f64 / elapsed)
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
