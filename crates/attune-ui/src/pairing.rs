//! Where a pairing started from the page stands, and how the person's answer
//! reaches it (the calls are in `api::pairing`).

use std::sync::mpsc;

/// Where a pairing stands.
#[derive(Clone, Debug, Default)]
pub enum Stage {
    /// None started.
    #[default]
    None,
    /// The code is shown; the new device has not answered yet.
    Waiting,
    /// The new device proved the code: add it?
    Confirm {
        /// The name it gave.
        name: String,
        /// Its keys' fingerprint, to compare with its screen.
        fingerprint: String,
    },
    /// Adding it to the signed list.
    Adding,
    /// Added.
    Added {
        /// Its name.
        name: String,
    },
    /// It did not work, in words.
    Failed {
        /// Why.
        message: String,
    },
}

/// The pairing in progress and how to answer it.
#[derive(Default)]
pub struct Pairing {
    /// Where it stands.
    pub stage: Stage,
    /// Where the person's answer goes, while one is awaited.
    pub decision: Option<mpsc::Sender<bool>>,
}

impl Pairing {
    /// Whether a pairing is under way (a new one must wait).
    pub fn running(&self) -> bool {
        matches!(
            self.stage,
            Stage::Waiting | Stage::Confirm { .. } | Stage::Adding
        )
    }
}
