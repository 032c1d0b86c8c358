//! The unauthenticated side of a pairing rendezvous, on the relay.

use std::time::Duration;

use attune_crypto::CancelToken;
use attune_proto::routes::{self, PairingSide};
use attune_proto::{PairingCancel, WIRE_VERSION};

use crate::sync::bounded::{read_capped, refusal, ReadLimits};
use crate::sync::relay::{http_client, network, post, trim_base};
use crate::sync::SyncError;

/// The unauthenticated side of a pairing rendezvous (the new device has no session).
pub struct Rendezvous {
    http: reqwest::Client,
    base: String,
    nameplate: u32,
    side: PairingSide,
    read: usize,
    /// The token that closes the rendezvous, once this device holds it.
    cancel: Option<CancelToken>,
}

impl Rendezvous {
    /// The rendezvous `nameplate` on `relay_url`, as `side`.
    pub fn new(
        relay_url: &str,
        nameplate: u32,
        side: PairingSide,
    ) -> Result<Rendezvous, SyncError> {
        Ok(Rendezvous {
            http: http_client()?,
            base: trim_base(relay_url),
            nameplate,
            side,
            read: 0,
            cancel: None,
        })
    }

    /// From now on, [`Rendezvous::close`] presents `token`.
    pub fn set_cancel_token(&mut self, token: CancelToken) {
        self.cancel = Some(token);
    }

    /// Post one message to the other side.
    pub async fn send(&self, message: Vec<u8>) -> Result<(), SyncError> {
        let path = routes::pairing_messages(self.nameplate, self.side);
        post(
            &self.http,
            &format!("{}{path}", self.base),
            message,
            "a pairing answer",
        )
        .await
        .map(|_| ())
    }

    /// Wait for the other side's next message, polling until `deadline`.
    pub async fn receive(&mut self, deadline: std::time::Instant) -> Result<Vec<u8>, SyncError> {
        loop {
            let path = routes::pairing_read(self.nameplate, self.side, self.read);
            let url = format!("{}{path}", self.base);
            let resp = self.http.get(&url).send().await.map_err(network)?;
            let limits = ReadLimits::default();
            if !resp.status().is_success() {
                return Err(refusal(resp, limits.error_bytes).await);
            }
            let body = read_capped(resp, "pairing messages", limits.response_bytes).await?;
            let got = attune_proto::PairingMessages::decode(&body)?;
            if let Some(first) = got.messages.into_iter().next() {
                self.read += 1;
                return Ok(first.into_vec());
            }
            if got.closed {
                return Err(SyncError::PairingClosed);
            }
            if std::time::Instant::now() >= deadline {
                return Err(SyncError::PairingTimeout);
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Close the rendezvous (after success or failure); errors are ignored.
    /// Without the cancel token (a new device that never got it) there is
    /// nothing to do: the relay closes only for the token, and the
    /// rendezvous expires by itself.
    pub async fn close(&self) {
        let Some(token) = &self.cancel else {
            return;
        };
        let body = PairingCancel {
            v: WIRE_VERSION,
            cancel_token: *token.bytes(),
        }
        .encode();
        let path = routes::pairing(self.nameplate);
        let _ = self
            .http
            .delete(format!("{}{path}", self.base))
            .body(body)
            .send()
            .await;
    }
}
