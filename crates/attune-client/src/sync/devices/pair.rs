//! Pairing by short code: `attune device pair` on a device of the journal,
//! `attune join CODE` on the new one. See `docs/adr/0007-pairing.md`.

use std::time::{Duration, Instant};

use attune_crypto::{pairing_words, parse_pairing_code, start_pairing, CancelToken, PairingRole};
use attune_proto::routes::PairingSide;

use crate::sync::devices::join::{add_device_after_sync, JoinRequest, JoinTicket};
use crate::sync::live::Opener;
use crate::sync::rendezvous::Rendezvous;
use crate::sync::state::SyncState;
use crate::sync::{finish_join, sync_once, SyncError, SyncReport};
use crate::{InitOptions, JoiningDevice, Store};

/// The code to show on the existing device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairingOffer {
    /// `7-crystal-harbor`
    pub code: String,
    /// When it stops working (Unix seconds).
    pub expires_unix: u64,
}

fn deadline_for(expires_unix: u64) -> Instant {
    let now = (crate::store::now_ms() / 1000).max(0) as u64;
    Instant::now() + Duration::from_secs(expires_unix.saturating_sub(now).min(600))
}

/// On a device of the journal: open a rendezvous, `show` the code, and once the
/// new device proved it knows the code, ask `confirm` and add it.
///
/// The journal is opened (and its lock held) only to sync before and to add
/// the device after: while the code waits for the new device, for minutes,
/// other commands and a live sync keep working.
pub async fn pair_device(
    open: Opener<'_>,
    show: impl FnOnce(&PairingOffer),
    confirm: impl FnOnce(&JoinRequest) -> bool,
) -> Result<JoinRequest, SyncError> {
    let (client, relay) = {
        let mut store = open()?;
        sync_once(&mut store).await?;
        let state = SyncState::load(&store)?;
        let client = crate::sync::membership::connect(&store, &state).await?;
        let relay = store.config().relay.clone().ok_or(SyncError::NoRelay)?;
        (client, relay)
    };
    // Only the two devices can close the rendezvous: the relay keeps the
    // commitment, the new device gets the token sealed under the pairing key.
    let cancel = CancelToken::generate();
    let slot = client.open_pairing(cancel.commitment()).await?;
    let code = format!("{}-{}", slot.nameplate, pairing_words());
    show(&PairingOffer {
        code: code.clone(),
        expires_unix: slot.expires_unix,
    });
    let mut rendezvous = Rendezvous::new(&relay, slot.nameplate, PairingSide::Existing)?;
    let sealed_cancel = zeroize::Zeroizing::new(*cancel.bytes());
    rendezvous.set_cancel_token(cancel);
    let deadline = deadline_for(slot.expires_unix);
    let (pake, message) = start_pairing(&code, PairingRole::Existing);
    let result = async {
        rendezvous.send(message).await?;
        let theirs = rendezvous.receive(deadline).await?;
        let key = pake.finish(&theirs)?;
        // The cancel token, readable only with the right code.
        rendezvous.send(key.seal(&sealed_cancel[..])?).await?;
        // The first sealed message is the key confirmation: a wrong code or a
        // relay that swapped the PAKE messages fails right here.
        let sealed = rendezvous.receive(deadline).await?;
        let request = JoinRequest::decode(&String::from_utf8_lossy(&key.open(&sealed)?))?;
        if !confirm(&request) {
            return Err(SyncError::PairingDeclined);
        }
        // Synced when the pairing started; had the roster moved since, the relay
        // refuses the stale version (roster_conflict) and nothing changes.
        // The ticket names the roster version that lists the new device: the
        // new device trusts the relay's roster chain only if it contains it.
        let ticket = add_device_after_sync(&mut open()?, &request).await?;
        rendezvous
            .send(key.seal(ticket.to_string().as_bytes())?)
            .await?;
        Ok(request)
    }
    .await;
    // On success too: the ticket stays readable until the rendezvous expires,
    // and nobody can post to it any more.
    rendezvous.close().await;
    result
}

/// On the new device: run the pairing with `code` and, once added, fetch the
/// keys and the journal. On any failure the new directory is removed.
pub async fn join_with_code(
    dir: &std::path::Path,
    code: &str,
    relay: &str,
    options: InitOptions,
    on_waiting: impl FnOnce(&str),
) -> Result<(Store, SyncReport), SyncError> {
    let (nameplate, code) = parse_pairing_code(code)?;
    let joining = JoiningDevice::create(dir, options, relay)?;
    let mut rendezvous = Rendezvous::new(relay, nameplate, PairingSide::New)?;
    let result = async {
        let (pake, message) = start_pairing(&code, PairingRole::New);
        rendezvous.send(message).await?;
        let deadline = Instant::now() + Duration::from_secs(600);
        let theirs = rendezvous.receive(deadline).await?;
        let key = pake.finish(&theirs)?;
        let request = JoinRequest::of(&joining)?;
        on_waiting(&request.fingerprint());
        rendezvous
            .send(key.seal(request.encode().as_bytes())?)
            .await?;
        // The existing device's cancel token: from here on this device can close too.
        let token = zeroize::Zeroizing::new(key.open(&rendezvous.receive(deadline).await?)?);
        rendezvous.set_cancel_token(CancelToken::from_bytes(&token)?);
        let sealed = rendezvous.receive(deadline).await?;
        let ticket: JoinTicket = String::from_utf8(key.open(&sealed)?)
            .map_err(|_| SyncError::Crypto(attune_crypto::CryptoError::PairingFailed))?
            .parse()?;
        rendezvous.close().await;
        finish_join(joining, &ticket).await
    }
    .await;
    if result.is_err() {
        rendezvous.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}
