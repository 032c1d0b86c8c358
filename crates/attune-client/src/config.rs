//! The journal directory's configuration: identifiers and settings, never secrets.

use std::path::{Path, PathBuf};

use attune_proto::{DeviceId, JournalId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dir::atomic as files;
use crate::StoreError;

/// Name of the configuration file inside the journal directory.
pub use crate::dir::layout::CONFIG_FILE;

/// What `attune.json` holds. Nothing in it is secret; nothing in it is journal content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Format version of this file.
    pub v: u32,
    /// The journal's id (hex on disk); `None` (`""`) while a device waits to join.
    #[serde(with = "journal_or_empty")]
    pub journal_id: Option<JournalId>,
    /// This device's random id (hex on disk); also its Automerge actor id.
    pub device_id: DeviceId,
    /// The name the writer gave this device.
    pub device_name: String,
    /// Whether the identity file is protected by a passphrase.
    pub passphrase_protected: bool,
    /// When the journal was created on this device (Unix seconds).
    pub created_unix: i64,
    /// The relay this device syncs through, if any.
    #[serde(default)]
    pub relay: Option<String>,
    /// This device joined an existing journal (it did not create it).
    #[serde(default)]
    pub joined: bool,
    /// The public half of the recovery kit's device, when this device knows it:
    /// it is put in the roster and every journal key is wrapped to it too.
    #[serde(default)]
    pub recovery: Option<RecoveryDevice>,
}

/// The recovery device's public keys (derived from the recovery words).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryDevice {
    /// Its device id (hex on disk).
    pub device_id: DeviceId,
    /// Its Ed25519 public key (hex).
    pub verifying_key: String,
    /// Its age recipient.
    pub age_recipient: String,
}

impl RecoveryDevice {
    /// The public half of a recovery secret.
    pub fn of(
        secret: &attune_crypto::RecoverySecret,
    ) -> Result<RecoveryDevice, attune_crypto::CryptoError> {
        let identity = secret.identity()?;
        Ok(RecoveryDevice {
            device_id: DeviceId(secret.device_id()),
            verifying_key: hex::encode(identity.verifying_key()),
            age_recipient: identity.age_recipient(),
        })
    }

    /// As a roster member.
    pub fn roster_device(&self) -> Option<attune_proto::RosterDevice> {
        let key: [u8; 32] = hex::decode(&self.verifying_key).ok()?.try_into().ok()?;
        Some(attune_proto::RosterDevice {
            device_id: self.device_id,
            verifying_key: key,
            age_recipient: self.age_recipient.clone(),
        })
    }
}

impl Config {
    /// Path of the config file in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(CONFIG_FILE)
    }

    /// Read the config of the journal in `dir`.
    pub fn load(dir: &Path) -> Result<Config, StoreError> {
        let path = Config::path(dir);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotInitialised(dir.to_path_buf()))
            }
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let config: Config =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::damaged(&path, e))?;
        if config.v != 1 {
            return Err(StoreError::damaged(
                &path,
                format!("unsupported config version {}", config.v),
            ));
        }
        Ok(config)
    }

    /// Write the config atomically.
    pub fn save(&self, dir: &Path) -> Result<(), StoreError> {
        let mut bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| StoreError::damaged(&Config::path(dir), e))?;
        bytes.push(b'\n');
        files::write_atomic(&Config::path(dir), &bytes)
    }

    /// The device id as the 16 bytes used for the Automerge actor.
    pub fn actor(&self) -> Vec<u8> {
        self.device_id.0.to_vec()
    }

    /// The journal's id; [`StoreError::JoinPending`] while this device waits to join.
    pub fn journal(&self) -> Result<JournalId, StoreError> {
        self.journal_id.ok_or(StoreError::JoinPending)
    }
}

/// `journal_id` on disk: its hex, or `""` while the device waits to join.
mod journal_or_empty {
    use super::*;

    pub fn serialize<S: Serializer>(id: &Option<JournalId>, s: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => id.serialize(s),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<JournalId>, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(serde::de::Error::custom)
    }
}
