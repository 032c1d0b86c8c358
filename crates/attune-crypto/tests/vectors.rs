//! Golden vectors for blob format v1: the bytes on disk must never change silently.

use attune_crypto::{open_blob, seal_blob_with_nonce, JournalKey};
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/blob_v1.json");

fn field<'a>(case: &'a Value, name: &str) -> &'a str {
    case[name]
        .as_str()
        .unwrap_or_else(|| panic!("vector field {name} missing"))
}

fn hex_array<const N: usize>(case: &Value, name: &str) -> [u8; N] {
    hex::decode(field(case, name))
        .unwrap()
        .try_into()
        .unwrap_or_else(|_| panic!("vector field {name} is not {N} bytes"))
}

fn cases() -> Vec<Value> {
    let doc: Value = serde_json::from_str(VECTORS).unwrap();
    assert_eq!(doc["format"], "attune-blob-v1");
    let cases = doc["cases"].as_array().unwrap().clone();
    assert!(cases.len() >= 3);
    cases
}

#[test]
fn sealing_with_fixed_nonce_matches_vectors() {
    for case in cases() {
        let key = JournalKey::from_bytes(hex_array(&case, "key"));
        let sealed = seal_blob_with_nonce(
            &key,
            field(&case, "purpose"),
            field(&case, "id"),
            &hex::decode(field(&case, "plaintext")).unwrap(),
            hex_array(&case, "nonce"),
        )
        .unwrap();
        assert_eq!(
            hex::encode(sealed),
            field(&case, "sealed"),
            "case {}",
            case["name"]
        );
    }
}

#[test]
fn vectors_open() {
    for case in cases() {
        let key = JournalKey::from_bytes(hex_array(&case, "key"));
        let opened = open_blob(
            &key,
            field(&case, "purpose"),
            field(&case, "id"),
            &hex::decode(field(&case, "sealed")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            hex::encode(opened),
            field(&case, "plaintext"),
            "case {}",
            case["name"]
        );
    }
}

/// Inputs of one generated case: name, key, nonce, purpose, id, plaintext.
type CaseInput<'a> = (&'a str, [u8; 32], [u8; 24], &'a str, &'a str, &'a [u8]);

/// Prints a fresh vector file; run once with `--ignored --nocapture`, then keep the file fixed.
#[test]
#[ignore = "generates tests/vectors/blob_v1.json; the committed file must stay fixed"]
fn generate_vectors() {
    let inputs: [CaseInput; 4] = [
        ("empty", [0u8; 32], [0u8; 24], "", "", b""),
        (
            "entry",
            std::array::from_fn(|i| i as u8),
            std::array::from_fn(|i| 0xa0 + i as u8),
            "entry",
            "2025-01-01",
            b"Dear diary, today I wrote a test vector.",
        ),
        (
            "unicode-labels",
            [0x42; 32],
            [0x24; 24],
            "batch",
            "journ\u{e9}e/\u{1f600}",
            &[0u8, 1, 2, 255, 254, 253],
        ),
        (
            "long",
            std::array::from_fn(|i| 255 - i as u8),
            std::array::from_fn(|i| (i * 7) as u8),
            "snapshot",
            "01HZX3K4Q9",
            &[0x5a; 100],
        ),
    ];
    let cases: Vec<Value> = inputs
        .iter()
        .map(|(name, key, nonce, purpose, id, plaintext)| {
            let sealed = seal_blob_with_nonce(
                &JournalKey::from_bytes(*key),
                purpose,
                id,
                plaintext,
                *nonce,
            )
            .unwrap();
            serde_json::json!({
                "name": name,
                "key": hex::encode(key),
                "nonce": hex::encode(nonce),
                "purpose": purpose,
                "id": id,
                "plaintext": hex::encode(plaintext),
                "sealed": hex::encode(sealed),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "format": "attune-blob-v1",
        "description": "b\"ATB\" || 0x01 || nonce(24) || XChaCha20-Poly1305(key, nonce, plaintext, ad); ad = b\"attune-blob-v1\" || u16be(len(purpose)) || purpose || u16be(len(id)) || id",
        "cases": cases,
    });
    println!("{}", serde_json::to_string_pretty(&doc).unwrap());
}
