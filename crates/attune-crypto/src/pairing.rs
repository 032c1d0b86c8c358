//! Pairing a new device with a short one-time code (SPAKE2, as magic-wormhole does).
//!
//! The code looks like `7-crystal-harbor`: a number that names the rendezvous
//! on the relay, and two words that only the two devices know. Both devices
//! run SPAKE2 with the whole code as the password, through messages the
//! relay carries. The relay sees the PAKE messages, but without the code it
//! cannot derive the shared key, so anything it substitutes fails to open on
//! the other side (the AEAD is the key confirmation). Each code allows one
//! attempt: a wrong or forged exchange ends it.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use spake2::{Ed25519Group, Identity, Password, Spake2};
use zeroize::Zeroizing;

use crate::CryptoError;

const ID_EXISTING: &[u8] = b"attune-pair-v1 existing device";
const ID_NEW: &[u8] = b"attune-pair-v1 new device";
const TO_NEW: &str = "attune 2026-12 pairing existing-to-new v1";
const TO_EXISTING: &str = "attune 2026-12 pairing new-to-existing v1";

/// Which end of the pairing this device is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairingRole {
    /// The device already in the journal (it shows the code).
    Existing,
    /// The device joining (it types the code).
    New,
}

/// A fresh two-word secret for a pairing code (BIP39 English words).
pub fn pairing_words() -> String {
    let list = bip39::Language::English.word_list();
    let pick = || {
        let n = u16::from_le_bytes(crate::random_bytes::<2>()) as usize % list.len();
        list[n]
    };
    format!("{}-{}", pick(), pick())
}

/// Split a code `N-word-word` into the rendezvous number and normalise it.
pub fn parse_pairing_code(code: &str) -> Result<(u32, String), CryptoError> {
    let code = code.trim().to_lowercase();
    let (number, words) = code.split_once('-').ok_or_else(|| {
        CryptoError::BadPairingCode("expected a code like 7-crystal-harbor".into())
    })?;
    let nameplate: u32 = number
        .parse()
        .map_err(|_| CryptoError::BadPairingCode("it should start with a number".into()))?;
    if words.split('-').filter(|w| !w.is_empty()).count() < 2 {
        return Err(CryptoError::BadPairingCode(
            "expected two words after the number".into(),
        ));
    }
    Ok((nameplate, code))
}

/// The random token that closes a rendezvous on the relay.
///
/// The existing device draws it, sends only its commitment when it opens the
/// rendezvous, and hands the token to the new device sealed under the pairing
/// key, so that either device (and nobody else) can close the rendezvous. It
/// is random, not derived from the code: a commitment to anything derived
/// from the code's ~22 bits would let the relay test every code offline in
/// under a second, and then sit in the middle of the PAKE.
pub struct CancelToken(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CancelToken(<redacted>)")
    }
}

impl CancelToken {
    /// A fresh random token.
    pub fn generate() -> CancelToken {
        CancelToken(Zeroizing::new(crate::random_bytes::<32>()))
    }

    /// The token as the other device received it (exactly 32 bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<CancelToken, CryptoError> {
        let token: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::PairingFailed)?;
        Ok(CancelToken(Zeroizing::new(token)))
    }

    /// The token's bytes (to seal for the other device, or to present when closing).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// What the relay stores: `blake3::derive_key(PAIRING_CANCEL_CONTEXT, token)`.
    pub fn commitment(&self) -> [u8; 32] {
        blake3::derive_key(attune_proto::PAIRING_CANCEL_CONTEXT, &self.0[..])
    }
}

/// One side of a pairing exchange, after sending its PAKE message.
pub struct PairingStart {
    spake: Spake2<Ed25519Group>,
    role: PairingRole,
}

impl std::fmt::Debug for PairingStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingStart")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Start pairing with `code`; send the returned message to the other device.
pub fn start_pairing(code: &str, role: PairingRole) -> (PairingStart, Vec<u8>) {
    let password = Password::new(code.trim().to_lowercase().as_bytes());
    let (a, b) = (Identity::new(ID_EXISTING), Identity::new(ID_NEW));
    let (spake, message) = match role {
        PairingRole::Existing => Spake2::<Ed25519Group>::start_a(&password, &a, &b),
        PairingRole::New => Spake2::<Ed25519Group>::start_b(&password, &a, &b),
    };
    (PairingStart { spake, role }, message)
}

impl PairingStart {
    /// Finish with the other device's PAKE message. A wrong code is only
    /// noticed when the first sealed message fails to open.
    pub fn finish(self, theirs: &[u8]) -> Result<PairingKey, CryptoError> {
        let shared = Zeroizing::new(self.spake.finish(theirs).map_err(|e| {
            CryptoError::BadPairingCode(format!("the other side's message is invalid ({e:?})"))
        })?);
        let to_new = Zeroizing::new(blake3::derive_key(TO_NEW, &shared));
        let to_existing = Zeroizing::new(blake3::derive_key(TO_EXISTING, &shared));
        let (send, recv) = match self.role {
            PairingRole::Existing => (to_new, to_existing),
            PairingRole::New => (to_existing, to_new),
        };
        Ok(PairingKey { send, recv })
    }
}

/// The keys both devices share after a successful PAKE, one per direction.
pub struct PairingKey {
    send: Zeroizing<[u8; 32]>,
    recv: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for PairingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairingKey(<redacted>)")
    }
}

impl PairingKey {
    /// Seal a message for the other device (random nonce, prepended).
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = crate::random_bytes::<24>();
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&self.send[..]));
        let mut out = nonce.to_vec();
        out.extend(
            cipher
                .encrypt(XNonce::from_slice(&nonce), plaintext)
                .map_err(|_| CryptoError::EncryptionFailed("pairing message".into()))?,
        );
        Ok(out)
    }

    /// Open a message from the other device; failure means a wrong code or a meddling relay.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < 24 + 16 {
            return Err(CryptoError::PairingFailed);
        }
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&self.recv[..]));
        cipher
            .decrypt(XNonce::from_slice(&sealed[..24]), &sealed[24..])
            .map_err(|_| CryptoError::PairingFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_code_pairs_and_messages_flow_both_ways() {
        let code = format!("7-{}", pairing_words());
        let (existing, m1) = start_pairing(&code, PairingRole::Existing);
        let (new, m2) = start_pairing(&code.to_uppercase(), PairingRole::New);
        let ke = existing.finish(&m2).unwrap();
        let kn = new.finish(&m1).unwrap();
        assert_eq!(
            kn.open(&ke.seal(b"to the new device").unwrap()).unwrap(),
            b"to the new device"
        );
        assert_eq!(
            ke.open(&kn.seal(b"to the existing device").unwrap())
                .unwrap(),
            b"to the existing device"
        );
        // A message cannot be reflected back to its sender.
        assert!(ke.open(&ke.seal(b"echo").unwrap()).is_err());
    }

    #[test]
    fn a_wrong_code_fails_at_the_first_message() {
        let (existing, m1) = start_pairing("7-crystal-harbor", PairingRole::Existing);
        let (new, m2) = start_pairing("7-crystal-harpoon", PairingRole::New);
        let ke = existing.finish(&m2).unwrap();
        let kn = new.finish(&m1).unwrap();
        assert!(matches!(
            kn.open(&ke.seal(b"hello").unwrap()),
            Err(CryptoError::PairingFailed)
        ));
    }

    #[test]
    fn a_relay_in_the_middle_cannot_complete_either_side() {
        // The relay swaps both PAKE messages for its own, guessing the words.
        let code = "4-lemon-river";
        let (existing, _m1) = start_pairing(code, PairingRole::Existing);
        let (new, _m2) = start_pairing(code, PairingRole::New);
        let (_mitm_as_new, fake_to_existing) = start_pairing("4-lemon-rover", PairingRole::New);
        let (mitm_as_existing, fake_to_new) = start_pairing("4-lemon-rover", PairingRole::Existing);
        let ke = existing.finish(&fake_to_existing).unwrap();
        let kn = new.finish(&fake_to_new).unwrap();
        let km = mitm_as_existing.finish(&_m2).unwrap();
        // Neither honest side can read what the other sent…
        assert!(kn.open(&ke.seal(b"keys").unwrap()).is_err());
        // …nor accepts what the relay forged.
        assert!(kn.open(&km.seal(b"forged").unwrap()).is_err());
    }

    #[test]
    fn cancel_tokens_are_random_and_commit_with_the_shared_context() {
        let (a, b) = (CancelToken::generate(), CancelToken::generate());
        assert_ne!(a.bytes(), b.bytes());
        let again = CancelToken::from_bytes(a.bytes()).unwrap();
        assert_eq!(again.commitment(), a.commitment());
        assert_ne!(a.commitment(), *a.bytes());
        assert!(CancelToken::from_bytes(&[0; 31]).is_err());
        // The relay computes the same commitment (server/src/pairing.rs).
        let fixed = CancelToken::from_bytes(&[7; 32]).unwrap();
        assert_eq!(
            hex::encode(fixed.commitment()),
            hex::encode(blake3::derive_key(
                "attune 2026-12 pairing cancel token v1",
                &[7; 32]
            ))
        );
        assert_eq!(format!("{a:?}"), "CancelToken(<redacted>)");
    }

    #[test]
    fn codes_parse_and_nonsense_is_refused() {
        assert_eq!(
            parse_pairing_code(" 12-Crystal-Harbor ").unwrap(),
            (12, "12-crystal-harbor".into())
        );
        assert!(parse_pairing_code("crystal-harbor").is_err());
        assert!(parse_pairing_code("12-crystal").is_err());
        assert!(parse_pairing_code("").is_err());
        let words = pairing_words();
        assert_eq!(words.split('-').count(), 2);
    }
}
