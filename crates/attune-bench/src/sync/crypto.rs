//! Envelope seal and open of 1 KiB, against the primitives they are made of.

use std::time::Instant;

use anyhow::{bail, Result};
use attune_crypto::{
    genesis_roster, open_envelope, seal_envelope, ChainState, DeviceIdentity, JournalKey, KeyRing,
};
use attune_proto::{DeviceId, DeviceSeq, Epoch, JournalId};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};

use super::fixture::members_of;
use crate::print_figure;

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
pub(super) fn crypto_figures() -> Result<()> {
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
