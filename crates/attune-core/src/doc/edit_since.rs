//! Editing an entry as it was when an editor opened it, so that a long edit
//! (a page left open for minutes) merges with what arrived meanwhile.

use automerge::{ChangeHash, ReadDoc};

use super::{Edit, EntryChange, EntryDoc};
use crate::{CoreError, Timestamp};

impl EntryDoc {
    /// Apply `edits` as made by someone who saw the entry at `version` (its
    /// [`EntryDoc::heads`] then).
    ///
    /// A text edit becomes the difference between the text at `version` and
    /// the new text, so characters written meanwhile on another device stay,
    /// exactly as two devices' concurrent edits merge. When this device itself
    /// changed the entry since `version` (another editor of the same device),
    /// the edit applies to the entry as it reads now instead: a fork would
    /// reuse this device's change numbers.
    ///
    /// An empty `version` is the entry as it reads now: a plain [`EntryDoc::edit`].
    /// A `version` holding a change this document lacks is refused
    /// ([`CoreError::UnknownVersion`]).
    pub fn edit_since(
        &mut self,
        version: &[[u8; 32]],
        now: Timestamp,
        edits: &[Edit],
    ) -> Result<Option<EntryChange>, CoreError> {
        let heads: Vec<ChangeHash> = version.iter().map(|h| ChangeHash(*h)).collect();
        if heads
            .iter()
            .any(|h| self.doc.get_change_by_hash(h).is_none())
        {
            return Err(CoreError::UnknownVersion);
        }
        if heads.is_empty() || self.heads() == sorted(version) {
            return self.edit(now, edits);
        }
        let me = self.doc.get_actor().clone();
        if self
            .doc
            .get_changes(&heads)
            .iter()
            .any(|c| c.actor_id() == &me)
        {
            return self.edit(now, edits);
        }
        let mut fork = EntryDoc {
            id: self.id,
            doc: self.doc.fork_at(&heads)?.with_actor(me),
            pending: Vec::new(),
        };
        let Some(change) = fork.edit(now, edits)? else {
            return Ok(None);
        };
        self.apply_changes([change.bytes.as_slice()])?;
        Ok(Some(change))
    }
}

fn sorted(version: &[[u8; 32]]) -> Vec<[u8; 32]> {
    let mut v = version.to_vec();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EntryId, EntryKind, NewEntry};

    fn at(ms: i64) -> Timestamp {
        Timestamp::new(1_780_000_000_000 + ms, 0)
    }

    fn note(body: &str) -> (EntryDoc, EntryDoc) {
        let id = EntryId([7; 16]);
        let new = NewEntry {
            kind: Some(EntryKind::Note),
            body: body.into(),
            ..Default::default()
        };
        let (a, first) = EntryDoc::create(id, b"device-a", at(0), new).expect("create");
        let mut b = EntryDoc::empty(id, b"device-b");
        b.apply_changes([first.bytes.as_slice()]).expect("apply");
        (a, b)
    }

    #[test]
    fn an_edit_from_an_old_version_keeps_what_arrived_meanwhile() {
        let (mut a, mut b) = note("The walk was quiet.");
        let seen = a.heads();
        // Device B appends while A's editor is open on the old text.
        let theirs = b
            .edit(
                at(1),
                &[Edit::SetBody("The walk was quiet. Then Ana called.".into())],
            )
            .expect("edit")
            .expect("a change");
        a.apply_changes([theirs.bytes.as_slice()]).expect("apply");
        // A's editor saves its own change, made on the text it showed.
        a.edit_since(
            &seen,
            at(2),
            &[Edit::SetBody("The long walk was quiet.".into())],
        )
        .expect("edit since")
        .expect("a change");
        let body = a.entry().expect("entry").body;
        assert_eq!(body, "The long walk was quiet. Then Ana called.");
    }

    #[test]
    fn a_plain_edit_from_the_same_old_version_would_have_lost_it() {
        // The reason for edit_since: the same save as a plain edit undoes B's words.
        let (mut a, mut b) = note("The walk was quiet.");
        let theirs = b
            .edit(
                at(1),
                &[Edit::SetBody("The walk was quiet. Then Ana called.".into())],
            )
            .expect("edit")
            .expect("a change");
        a.apply_changes([theirs.bytes.as_slice()]).expect("apply");
        a.edit(at(2), &[Edit::SetBody("The long walk was quiet.".into())])
            .expect("edit");
        assert_eq!(a.entry().expect("entry").body, "The long walk was quiet.");
    }

    #[test]
    fn own_later_changes_fall_back_to_the_current_text_and_unknown_versions_are_refused() {
        let (mut a, _) = note("one");
        let seen = a.heads();
        a.edit(at(1), &[Edit::SetBody("one two".into())])
            .expect("edit");
        a.edit_since(&seen, at(2), &[Edit::SetBody("one two three".into())])
            .expect("edit since");
        assert_eq!(a.entry().expect("entry").body, "one two three");
        assert!(matches!(
            a.edit_since(&[[9; 32]], at(3), &[Edit::SetBody("x".into())]),
            Err(CoreError::UnknownVersion)
        ));
    }
}
