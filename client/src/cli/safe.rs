//! Text from the journal and from other devices, made harmless to print.
//!
//! Entry bodies, tags, people, device names, relay messages and the like are
//! written by someone else (another device, a relay) or synced from the
//! journal. Printed as they are, an escape sequence in them could move the
//! cursor, rewrite what is on screen, set the window title, or reorder text to
//! spoof a name. Every human-readable print of such text goes through
//! [`line`] or [`block`]; `--json` output does not (serde_json escapes it, and
//! scripts need the exact strings).
//!
//! # The rule
//!
//! Each character that can do more than print itself is replaced by a
//! visible escape, so the reader still sees that something was there:
//!
//! - line feed, carriage return and tab become `\n`, `\r` and `\t`;
//! - every other control character (C0 `U+0000`–`U+001F`, DEL `U+007F`,
//!   C1 `U+0080`–`U+009F`, ESC among them) becomes `\u{XX}` in lowercase hex,
//!   so ESC prints as `\u{1b}`;
//! - the bidirectional embeddings and overrides `U+202A`–`U+202E` and the
//!   isolates `U+2066`–`U+2069` become `\u{202e}` and so on.
//!
//! [`block`] is for text that has lines of its own (bodies, notes, prose
//! fields): it keeps `\n` and `\t`, and drops the `\r` of a `\r\n` line end,
//! which a terminal would show the same way. [`line`] is for everything
//! printed on one line (names, tags, people, URLs, problems, errors) and
//! escapes those too.
//!
//! The bidirectional marks (`U+200E`, `U+200F`, `U+061C`) are left alone:
//! right-to-left writing uses them, and they cannot reorder letters. A
//! backslash is not escaped, so the output is for reading, not for parsing
//! back; that is what `--json` is for.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` can do more on a terminal than print itself (see the module docs).
pub fn is_unsafe(c: char) -> bool {
    // `is_control` is exactly the Cc category: C0, DEL and C1.
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One-line text (a name, tag, person, URL, problem or error), with every
/// unsafe character, line breaks and tabs included, made visible.
pub fn line(text: &str) -> Cow<'_, str> {
    neutralise(text, false)
}

/// Text with lines of its own (a body, notes, a prose field): line breaks and
/// tabs are kept, every other unsafe character is made visible.
pub fn block(text: &str) -> Cow<'_, str> {
    neutralise(text, true)
}

fn neutralise(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let kept = |c: char| keep_lines && matches!(c, '\n' | '\t');
    if !text.chars().any(|c| is_unsafe(c) && !kept(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if kept(c) || !is_unsafe(c) => out.push(c),
            // A `\r\n` line end shows exactly as `\n` does.
            '\r' if keep_lines && chars.peek() == Some(&'\n') => {}
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nothing a terminal would act on is left in `s`.
    fn inert(s: &str) -> bool {
        !s.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t')
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in ["", "laptop", "Ana · #week1", "café ☕ 日本語 עברית"] {
            assert!(matches!(line(s), Cow::Borrowed(b) if b == s));
            assert!(matches!(block(s), Cow::Borrowed(b) if b == s));
        }
        let prose = "first line\n\tindented\nlast";
        assert!(matches!(block(prose), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(line("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(line("\x1b]0;pwned\x07title"), "\\u{1b}]0;pwned\\u{7}title");
        assert_eq!(line("x\u{9b}31my"), "x\\u{9b}31my", "C1 CSI");
        assert_eq!(line("ab\x08\x08cd\x7f"), "ab\\u{8}\\u{8}cd\\u{7f}");
        assert_eq!(line("nul\0"), "nul\\u{0}");
    }

    #[test]
    fn bidi_overrides_and_isolates_become_visible() {
        assert_eq!(line("evil\u{202E}gpj.exe"), "evil\\u{202e}gpj.exe");
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            assert!(is_unsafe(c), "{c:?}");
            assert!(inert(&line(&format!("a{c}b"))));
        }
        // Marks that right-to-left text needs stay.
        assert_eq!(line("שלום\u{200F}!"), "שלום\u{200F}!");
    }

    #[test]
    fn one_line_text_escapes_line_breaks_and_tabs() {
        assert_eq!(line("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(line("a\r\nb"), "a\\r\\nb");
    }

    #[test]
    fn blocks_keep_lines_and_tabs_but_not_carriage_returns() {
        assert_eq!(block("a\nb\tc"), "a\nb\tc");
        assert_eq!(block("one\r\ntwo\r\n"), "one\ntwo\n");
        assert_eq!(block("fake\rreal"), "fake\\rreal");
        assert_eq!(block("end\r"), "end\\r");
        assert_eq!(block("\x1b[1A\x1b[2Kgone"), "\\u{1b}[1A\\u{1b}[2Kgone");
    }

    #[test]
    fn every_control_character_is_neutralised() {
        for n in (0u32..0x20).chain(0x7f..0xa0) {
            let c = char::from_u32(n).unwrap();
            let text = format!("<{c}>");
            assert!(inert(&line(&text)), "{n:#x}");
            assert!(!line(&text).contains(['\n', '\t']), "{n:#x}");
            assert!(inert(&block(&text)), "{n:#x}");
            assert!(line(&text).starts_with('<') && line(&text).ends_with('>'));
        }
    }
}
