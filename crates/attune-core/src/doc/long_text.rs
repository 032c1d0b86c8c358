//! Long bodies (pasted text) as a list of text blocks instead of Automerge Text.
//!
//! Automerge Text spends one operation per character: a 1 MB paste took
//! seconds to write and every later open had to load a million operations.
//! A body longer than [`LONG_BODY_CHARS`] when the entry is created is stored
//! as a List of strings of about [`BLOCK_BYTES`] each, cut at a line or word
//! break. An edit replaces only the blocks it touches (deletes them and
//! inserts the new ones), so concurrent edits of different blocks merge, and
//! concurrent edits of the same block keep both versions rather than lose one.
//! A body stays in the form it was created in.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, Value};

use crate::CoreError;

/// A body longer than this (in characters) at creation is stored in blocks.
pub(super) const LONG_BODY_CHARS: usize = 64 * 1024;

/// The size a block is cut at (in bytes; a break is looked for in its last quarter).
const BLOCK_BYTES: usize = 4096;

/// The body's block list, if the body is stored in blocks.
pub(super) fn block_list(doc: &impl ReadDoc, parent: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(parent, key) {
        Ok(Some((Value::Object(ObjType::List), id))) => Some(id),
        _ => None,
    }
}

/// The blocks of a block list, in order (anything but a string reads as nothing).
pub(super) fn read_blocks(doc: &impl ReadDoc, list: &ObjId) -> Result<Vec<String>, CoreError> {
    let mut blocks = Vec::with_capacity(doc.length(list));
    for i in 0..doc.length(list) {
        let block = match doc.get(list, i)? {
            Some((Value::Scalar(s), _)) => s.as_str().unwrap_or_default().to_string(),
            _ => String::new(),
        };
        blocks.push(block);
    }
    Ok(blocks)
}

/// `text` cut into blocks of about [`BLOCK_BYTES`], at a line or word break when there is one.
pub(super) fn blocks_of(text: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(text.len() / BLOCK_BYTES + 1);
    let mut rest = text;
    while rest.len() > BLOCK_BYTES {
        let mut end = BLOCK_BYTES;
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let window = &rest[..end];
        let floor = BLOCK_BYTES * 3 / 4;
        let cut = window
            .rfind('\n')
            .filter(|&i| i >= floor)
            .or_else(|| window.rfind(' ').filter(|&i| i >= floor))
            .map_or(end, |i| i + 1);
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Make the blocks in `list` (now `old`) read `new`, replacing only the
/// blocks that differ: whole blocks `new` starts and ends with are kept.
pub(super) fn set_blocks(
    tx: &mut impl Transactable,
    list: &ObjId,
    old: &[String],
    new: &str,
) -> Result<(), CoreError> {
    let mut keep_front = 0;
    let mut front_bytes = 0;
    while keep_front < old.len() && new[front_bytes..].starts_with(old[keep_front].as_str()) {
        front_bytes += old[keep_front].len();
        keep_front += 1;
    }
    let mut keep_back = 0;
    let mut back_bytes = 0;
    while keep_front + keep_back < old.len() {
        let block = &old[old.len() - 1 - keep_back];
        let rest = &new[front_bytes..new.len() - back_bytes];
        if !rest.ends_with(block.as_str()) {
            break;
        }
        back_bytes += block.len();
        keep_back += 1;
    }
    let middle = &new[front_bytes..new.len() - back_bytes];
    for _ in keep_front..old.len() - keep_back {
        tx.delete(list, keep_front)?;
    }
    for (i, block) in blocks_of(middle).into_iter().enumerate() {
        tx.insert(list, keep_front + i, block)?;
    }
    Ok(())
}

/// `text` with `delete` characters at character `pos` replaced by `insert`.
pub(super) fn splice_chars(
    text: &str,
    pos: usize,
    delete: usize,
    insert: &str,
) -> Result<String, CoreError> {
    let len = text.chars().count();
    if pos > len {
        return Err(CoreError::SpliceOutOfRange { pos, len });
    }
    let byte_at = |chars: usize| {
        text.char_indices()
            .nth(chars)
            .map_or(text.len(), |(i, _)| i)
    };
    let start = byte_at(pos);
    let end = byte_at(pos + delete.min(len - pos));
    Ok([&text[..start], insert, &text[end..]].concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{AutoCommit, ROOT};

    fn doc_with(text: &str) -> (AutoCommit, ObjId) {
        let mut doc = AutoCommit::new();
        let list = doc.put_object(ROOT, "body", ObjType::List).unwrap();
        set_blocks(&mut doc, &list, &[], text).unwrap();
        (doc, list)
    }

    fn prose(n: usize) -> String {
        (0..n)
            .map(|i| format!("word{} ", i % 97))
            .collect::<String>()
            + "é\nend"
    }

    #[test]
    fn blocks_join_back_to_the_text_and_cut_at_breaks() {
        let text = prose(5000);
        let blocks = blocks_of(&text);
        assert!(blocks.len() > 5);
        assert_eq!(blocks.concat(), text);
        assert!(blocks.iter().all(|b| b.len() <= BLOCK_BYTES));
        assert!(blocks[..blocks.len() - 1].iter().all(|b| b.ends_with(' ')));
        let wide = "ü".repeat(10_000);
        assert_eq!(blocks_of(&wide).concat(), wide);
        assert!(blocks_of("").is_empty());
    }

    #[test]
    fn an_edit_replaces_only_the_blocks_it_touches() {
        let text = prose(5000);
        let (mut doc, list) = doc_with(&text);
        let old = read_blocks(&doc, &list).unwrap();
        assert_eq!(old.concat(), text);
        let edited = splice_chars(&text, 10_000, 5, "HELLO").unwrap();
        set_blocks(&mut doc, &list, &old, &edited).unwrap();
        let new = read_blocks(&doc, &list).unwrap();
        assert_eq!(new.concat(), edited);
        let same = old.iter().zip(&new).filter(|(a, b)| a == b).count();
        assert!(same + 2 >= old.len(), "{same} of {} kept", old.len());
        // Appending and emptying.
        let appended = format!("{edited} and more");
        set_blocks(&mut doc, &list, &new, &appended).unwrap();
        assert_eq!(read_blocks(&doc, &list).unwrap().concat(), appended);
        let now = read_blocks(&doc, &list).unwrap();
        set_blocks(&mut doc, &list, &now, "").unwrap();
        assert_eq!(doc.length(&list), 0);
    }

    #[test]
    fn a_long_body_is_written_in_blocks_and_concurrent_edits_of_two_blocks_merge() {
        use crate::{Edit, EntryDoc, EntryId, NewEntry, Timestamp};
        let body = prose(20_000);
        assert!(body.chars().count() > LONG_BODY_CHARS);
        let new = NewEntry {
            body: body.clone(),
            ..Default::default()
        };
        let t = Timestamp::new(1_764_633_600_000, 60);
        let (mut a, first) = EntryDoc::create(EntryId([7; 16]), b"laptop01", t, new).unwrap();
        assert!(block_list(&a.doc, &automerge::ROOT, "body").is_some());
        assert_eq!(a.entry().unwrap().body, body);
        let mut b = EntryDoc::empty(EntryId([7; 16]), b"desktop1");
        b.apply_changes([first.bytes.as_slice()]).unwrap();
        let at_end = body.chars().count();
        let from_a = a
            .edit(
                t,
                &[Edit::SpliceBody {
                    pos: 0,
                    delete: 0,
                    insert: "A: ".into(),
                }],
            )
            .unwrap()
            .unwrap();
        let from_b = b
            .edit(
                t,
                &[Edit::SpliceBody {
                    pos: at_end,
                    delete: 0,
                    insert: " B.".into(),
                }],
            )
            .unwrap()
            .unwrap();
        a.apply_changes([from_b.bytes.as_slice()]).unwrap();
        b.apply_changes([from_a.bytes.as_slice()]).unwrap();
        let expected = format!("A: {body} B.");
        assert_eq!(a.entry().unwrap().body, expected);
        assert_eq!(b.entry().unwrap().body, expected);
        a.edit(t, &[Edit::SetBody("short now".into())]).unwrap();
        assert_eq!(a.entry().unwrap().body, "short now");
        assert!(
            from_a.bytes.len() < 3 * BLOCK_BYTES,
            "an edit ships only its block"
        );
    }

    #[test]
    fn a_splice_counts_characters_and_is_checked() {
        assert_eq!(splice_chars("héllo", 2, 1, "L").unwrap(), "héLlo");
        assert_eq!(splice_chars("héllo", 5, 9, "!").unwrap(), "héllo!");
        assert!(splice_chars("héllo", 6, 0, "x").is_err());
    }
}
