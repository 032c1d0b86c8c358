//! The benchmark's synthetic journals, their pre-sealed chains, and live connections.

use anyhow::{bail, Result};
use attune_client::sync::RelayClient;
use attune_crypto::{genesis_roster, seal_envelope, DeviceIdentity, JournalKey};
use attune_proto::{
    ClientFrame, ClientMessage, DeviceId, DeviceSeq, Envelope, Epoch, JournalId, RelaySeq,
    RosterDevice, ServerFrame, ServerMessage,
};
use attune_testkit::Relay;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// A synthetic journal with `n` devices in its roster, all sharing one journal key.
pub(crate) struct Journal {
    pub(crate) id: JournalId,
    pub(crate) key: JournalKey,
    pub(crate) devices: Vec<(DeviceId, DeviceIdentity)>,
}

pub(super) async fn make_journal(relay: &Relay, n: usize) -> Result<Journal> {
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

pub(super) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(super) async fn live(client: &RelayClient, after: u64) -> Result<Ws> {
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
