//! Two real `attune-relay` processes on one PostgreSQL schema: a device live on
//! instance A receives what another device pushes through instance B, and
//! concurrent pushes through both instances get gap-free, unique relay sequences.
//!
//! Needs PostgreSQL at 127.0.0.1:5432 (see `common/pg.rs`; `ATTUNE_SKIP_POSTGRES=1` skips).

mod common;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use attune_proto::*;
use common::process::{live_request, login, next_frame, post, spawn_relay, RelayProcess, Socket};
use common::{genesis, journal, Device};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

/// SIGTERM, then a clean exit within 10 s.
fn stop(mut relay: RelayProcess) {
    let pid = relay.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    for _ in 0..100 {
        if let Some(status) = relay.child.try_wait().unwrap() {
            assert!(status.success(), "relay exited with {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("relay did not exit within 10 s of SIGTERM");
}

fn start(database: &str) -> RelayProcess {
    spawn_relay(&["--database", database], "warn", Stdio::inherit())
}

async fn push(
    client: &reqwest::Client,
    base: &str,
    j: JournalId,
    token: &str,
    envelopes: Vec<Envelope>,
) -> Vec<Ack> {
    let request = PushRequest {
        v: WIRE_VERSION,
        envelopes,
    };
    let (status, body) = post(
        client,
        format!("{base}/v1/journals/{j}/envelopes"),
        Some(token),
        request.encode(),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    PushResponse::decode(&body).unwrap().acks
}

/// Opens a live socket and waits until its subscription is in place (an empty pull round-trip).
async fn live(base: &str, j: JournalId, token: &str) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(live_request(base, j, token))
        .await
        .unwrap();
    let pull = ClientMessage::new(ClientFrame::Pull { after: RelaySeq(0) });
    socket
        .send(Message::Binary(pull.encode().into()))
        .await
        .unwrap();
    loop {
        if next_frame(&mut socket).await == ServerFrame::Envelopes(vec![]) {
            return socket;
        }
    }
}

/// Collects live envelopes until `count` distinct relay sequences have arrived.
async fn receive(socket: &mut Socket, count: usize) -> Vec<StoredEnvelope> {
    let mut seen = Vec::new();
    while seen.len() < count {
        match next_frame(socket).await {
            ServerFrame::Envelopes(batch) => seen.extend(batch),
            other => panic!("unexpected frame {other:?}"),
        }
    }
    seen
}

#[tokio::test]
async fn two_instances_fan_out_live_and_keep_relay_seqs_gap_free() {
    let Some(schema) = common::pg::schema().await else {
        return;
    };
    let url = schema.url();
    let relay_a = start(&url);
    let relay_b = start(&url);
    let client = reqwest::Client::new();
    let devices: Vec<Device> = (1..=4).map(Device::new).collect();
    let refs: Vec<&Device> = devices.iter().collect();
    let j = journal(50);
    // Created through A, used through both.
    let token_a = login(
        &client,
        &relay_a.base,
        j,
        &devices[0],
        Some(genesis(j, &refs, &devices[0])),
    )
    .await;
    let mut socket_a = live(&relay_a.base, j, &token_a).await;

    // Device 2 pushes through B; device 1, live on A, receives it.
    let token_b = login(&client, &relay_b.base, j, &devices[1], None).await;
    let chain = devices[1].chain(j, 1, None, 3);
    let acks = push(&client, &relay_b.base, j, &token_b, chain[..2].to_vec()).await;
    assert_eq!(
        acks.iter().map(|a| a.relay_seq.0).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let got = receive(&mut socket_a, 2).await;
    assert_eq!(
        got.iter()
            .map(|e| (e.relay_seq.0, e.envelope.clone()))
            .collect::<Vec<_>>(),
        vec![(1, chain[0].clone()), (2, chain[1].clone())]
    );
    // And the other way round: live on B, pushed through A.
    let mut socket_b = live(&relay_b.base, j, &token_b).await;
    let own = devices[0].chain(j, 1, None, 1);
    push(&client, &relay_a.base, j, &token_a, own.clone()).await;
    let got = receive(&mut socket_b, 1).await;
    assert_eq!((got[0].relay_seq.0, &got[0].envelope), (3, &own[0]));
    let got = receive(&mut socket_a, 1).await; // A's own live echo
    assert_eq!(got[0].relay_seq.0, 3);

    // Four devices push concurrently, each alternating between the instances.
    const PER_DEVICE: u64 = 30;
    let mut tasks = Vec::new();
    for (n, d) in devices.iter().enumerate() {
        let bases = [relay_a.base.clone(), relay_b.base.clone()];
        let mut tokens = Vec::new();
        for base in &bases {
            tokens.push(login(&client, base, j, d, None).await);
        }
        let (from, prev) = match n {
            0 => (2, Some(&own[0])),
            1 => (3, Some(&chain[1])),
            _ => (1, None),
        };
        let mine = d.chain(j, from, prev, PER_DEVICE as usize);
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for (i, batch) in mine.chunks(3).enumerate() {
                let k = (n + i) % 2;
                let acks = push(&client, &bases[k], j, &tokens[k], batch.to_vec()).await;
                seqs.extend(acks.iter().map(|a| a.relay_seq.0));
            }
            seqs
        }));
    }
    let mut acked = Vec::new();
    for task in tasks {
        acked.extend(task.await.unwrap());
    }
    let total = 3 + 4 * PER_DEVICE;
    acked.sort_unstable();
    assert_eq!(acked, (4..=total).collect::<Vec<_>>(), "acks not gap-free");

    // Both live sockets received everything, in relay order, exactly once.
    for socket in [&mut socket_a, &mut socket_b] {
        let got = receive(socket, (total - 3) as usize).await;
        let seqs: Vec<u64> = got.iter().map(|e| e.relay_seq.0).collect();
        assert_eq!(seqs, (4..=total).collect::<Vec<_>>());
        let distinct: HashSet<[u8; 32]> = got.iter().map(|e| e.envelope.hash()).collect();
        assert_eq!(distinct.len(), seqs.len());
    }

    // The stored journal, read through either instance, is 1..=total.
    for base in [&relay_a.base, &relay_b.base] {
        let token = login(&client, base, j, &devices[2], None).await;
        let mut after = 0;
        let mut seqs = Vec::new();
        loop {
            let page = client
                .get(format!("{base}/v1/journals/{j}/envelopes?after={after}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let page = PullResponse::decode(&page).unwrap();
            assert_eq!(page.head, RelaySeq(total));
            let Some(last) = page.envelopes.last() else {
                break;
            };
            after = last.relay_seq.0;
            seqs.extend(page.envelopes.iter().map(|e| e.relay_seq.0));
        }
        assert_eq!(seqs, (1..=total).collect::<Vec<_>>());
    }
    drop((socket_a, socket_b));
    stop(relay_a);
    stop(relay_b);
}
