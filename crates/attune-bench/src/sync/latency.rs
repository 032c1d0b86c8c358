//! Latency at a steady rate: A to B through the relay, and write on A to applied on B.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use attune_client::sync::RelayClient;
use attune_crypto::{open_envelope, ChainState, KeyRing};
use attune_proto::{ClientFrame, ClientMessage, Epoch, ServerFrame, ServerMessage};
use attune_testkit::Relay;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use super::fixture::{chain_of, live, make_journal};
use super::percentile;

/// A→B latency through the relay at a steady rate: push on A, received and verified on B.
pub(super) async fn latency(relay: &Relay, rate_per_s: u64, samples: usize) -> Result<(f64, f64)> {
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
pub(super) async fn write_to_applied(
    relay: &Relay,
    rate_per_s: u64,
    samples: usize,
) -> Result<(f64, f64)> {
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
