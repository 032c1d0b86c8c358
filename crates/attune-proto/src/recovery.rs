//! Finding a journal from the recovery words: the recovery device's id
//! (derived from the words) names the journal whose latest roster lists it.

use serde::{Deserialize, Serialize};

use crate::codec::wire_message;
use crate::JournalId;

/// The journal whose latest roster lists a device (the answer of [`crate::routes::RECOVERY`]).
///
/// Words issued by `attune recovery rotate` do not derive their journal's id,
/// so they find it through their device. The relay's answer is only a hint:
/// the recovering device still requires a roster version signed by the kit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryJournal {
    /// Wire version, [`crate::WIRE_VERSION`].
    pub v: u8,
    /// The journal.
    pub journal_id: JournalId,
}

wire_message!(RecoveryJournal);
