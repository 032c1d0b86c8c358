//! Durable intake: envelopes per second the relay accepts from concurrent devices.

use std::time::Instant;

use anyhow::Result;
use attune_client::sync::RelayClient;
use attune_proto::Envelope;
use attune_testkit::Relay;

use super::fixture::{chain_of, make_journal};

/// Durable envelopes per second accepted with `devices` pushing concurrently.
pub(super) async fn intake(
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
