//! Where things are in the raw text of `vars.yml`.
//!
//! serde_yaml says what the values are but not where; this scanner finds the lines of a
//! top-level block (`IMAGES:` mapping, `MP_APPROVED_REGISTRIES:` sequence) and the byte
//! span of each single-line scalar. It only has to be right for the common block style:
//! the loader checks every scanned value against serde_yaml's and drops a span that
//! disagrees, so an unusual layout costs precision (no span, no in-place edit), never
//! correctness.

use std::borrow::Cow;
use std::ops::Range;

/// One line of the file, without its line break.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub number: usize,
    /// Byte offset of the line's first character.
    pub start: usize,
    pub text: &'a str,
}

/// The file's lines, read as far as the caller goes.
fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    text.split_inclusive('\n')
        .enumerate()
        .map(move |(index, raw)| {
            let body = raw.strip_suffix('\n').unwrap_or(raw);
            let body = body.strip_suffix('\r').unwrap_or(body);
            let line = Line {
                number: index + 1,
                start,
                text: body,
            };
            start += raw.len();
            line
        })
}

/// 1-based column, in characters, of byte `offset` within `line`.
pub(crate) fn column_of(line: &str, offset: usize) -> usize {
    line[..offset].chars().count() + 1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
}

/// A scalar written on one line: its decoded value (the text itself unless quoting
/// changed it: a large file's values are not copied) and the span of its text (inside
/// the quotes when quoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scalar<'a> {
    pub value: Cow<'a, str>,
    pub span: Range<usize>,
    pub style: Style,
    pub line: usize,
    pub column: usize,
}

/// One `key: value` line of a block mapping.
#[derive(Debug, Clone)]
pub(crate) struct MapEntry<'a> {
    pub key: Cow<'a, str>,
    pub line: usize,
    pub column: usize,
    /// `None` when the value is not a single-line scalar (block scalar, flow, alias, ...).
    pub value: Option<Scalar<'a>>,
}

/// A top-level key and what the scanner found under it.
#[derive(Debug, Clone)]
pub(crate) struct Block<'a> {
    pub key_line: usize,
    pub key_column: usize,
    /// Entries of a block mapping, or items of a block sequence (`key` empty).
    pub entries: Vec<MapEntry<'a>>,
}

/// Finds the top-level `key:` line and scans the block under it as a mapping.
pub(crate) fn mapping_block<'a>(text: &'a str, key: &str) -> Option<Block<'a>> {
    scan_block(text, key, BlockKind::Mapping)
}

/// Finds the top-level `key:` line and scans the block under it as a sequence.
pub(crate) fn sequence_block<'a>(text: &'a str, key: &str) -> Option<Block<'a>> {
    scan_block(text, key, BlockKind::Sequence)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Mapping,
    Sequence,
}

fn scan_block<'a>(text: &'a str, key: &str, kind: BlockKind) -> Option<Block<'a>> {
    let mut lines = lines(text);
    let (key_line, rest) = lines.find_map(|line| {
        let body = line.text.strip_prefix('\u{feff}').unwrap_or(line.text);
        let (found, after) = split_key(body)?;
        (found == key && !body.starts_with([' ', '\t'])).then_some((line, after))
    })?;
    let mut block = Block {
        key_line: key_line.number,
        key_column: 1,
        entries: Vec::new(),
    };
    // At most an entry per line: sized once, a 10,000-entry block is not copied as it
    // grows (capacity it does not fill is never touched).
    block
        .entries
        .reserve(memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1);
    if !is_empty_after_node_properties(rest) {
        // Flow style or a value on the key's own line: nothing to scan.
        return Some(block);
    }

    let mut entry_indent = None;
    for line in lines {
        let trimmed = line.text.trim_start_matches(' ');
        let indent = line.text.len() - trimmed.len();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let is_item = trimmed == "-" || trimmed.starts_with("- ");
        if indent == 0 && !(kind == BlockKind::Sequence && is_item) {
            break;
        }
        let expected = *entry_indent.get_or_insert(indent);
        if indent != expected {
            if indent > expected {
                // A continuation line: the previous value spans lines, so its
                // single-line span would be wrong.
                if let Some(last) = block.entries.last_mut() {
                    last.value = None;
                }
            }
            continue;
        }
        let offset_in_line = indent;
        let entry = match kind {
            BlockKind::Mapping => split_key(trimmed).map(|(entry_key, after)| {
                let value_offset = line.text.len() - after.len();
                MapEntry {
                    key: entry_key,
                    line: line.number,
                    column: column_of(line.text, offset_in_line),
                    value: scalar_at(&line, value_offset),
                }
            }),
            BlockKind::Sequence if is_item => {
                let value_offset = offset_in_line + 1;
                Some(MapEntry {
                    key: Cow::Borrowed(""),
                    line: line.number,
                    column: column_of(line.text, offset_in_line),
                    value: scalar_at(&line, value_offset),
                })
            }
            BlockKind::Sequence => None,
        };
        if let Some(entry) = entry {
            block.entries.push(entry);
        }
    }
    Some(block)
}

/// After `key:`, only anchors, tags and a comment may stand for a block to follow.
fn is_empty_after_node_properties(rest: &str) -> bool {
    let mut rest = rest.trim_start();
    while rest.starts_with(['&', '!']) {
        rest = rest
            .split_once([' ', '\t'])
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    rest.is_empty() || rest.starts_with('#')
}

/// Splits `key: rest` (plain or quoted key) and returns the decoded key and the text
/// after the colon. `None` when the line is not a simple mapping entry.
fn split_key(body: &str) -> Option<(Cow<'_, str>, &str)> {
    let (key, after_key) = match body.chars().next()? {
        '"' | '\'' => {
            let quoted = quoted_scalar(body, 0)?;
            (quoted.0, &body[quoted.1..])
        }
        '#' | '-' | '[' | '{' | '&' | '*' | '!' | '|' | '>' | '%' | '@' | '`' | '?' => {
            return None;
        }
        _ => {
            let colon = find_mapping_colon(body)?;
            (Cow::Borrowed(body[..colon].trim_end()), &body[colon..])
        }
    };
    let after_key = after_key.trim_start_matches([' ', '\t']);
    let rest = after_key.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some((key, rest))
}

/// The first `:` followed by a space or the end of line: YAML's plain-key end.
fn find_mapping_colon(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    memchr::memchr_iter(b':', bytes)
        .find(|&index| matches!(bytes.get(index + 1), None | Some(b' ' | b'\t')))
}

/// The single-line scalar starting at or after `offset` in `line`, if it is one.
fn scalar_at<'a>(line: &Line<'a>, offset: usize) -> Option<Scalar<'a>> {
    let text = line.text;
    let value_start = offset + (text[offset..].len() - text[offset..].trim_start().len());
    let rest = &text[value_start..];
    let first = rest.chars().next()?;
    let (value, content, style, end) = match first {
        '"' | '\'' => {
            let (value, end) = quoted_scalar(text, value_start)?;
            let style = if first == '"' {
                Style::DoubleQuoted
            } else {
                Style::SingleQuoted
            };
            (value, value_start + 1..end - 1, style, end)
        }
        '#' | '|' | '>' | '&' | '*' | '!' | '[' | '{' | '%' | '@' | '`' => return None,
        _ => {
            let comment = comment_start(rest).unwrap_or(rest.len());
            let plain = rest[..comment].trim_end();
            if plain.contains(": ") || plain.ends_with(':') {
                return None;
            }
            let span = value_start..value_start + plain.len();
            (Cow::Borrowed(plain), span.clone(), Style::Plain, span.end)
        }
    };
    let trailing = text[end..].trim_start();
    if !(trailing.is_empty() || trailing.starts_with('#')) {
        return None;
    }
    Some(Scalar {
        value,
        column: column_of(text, content.start),
        span: line.start + content.start..line.start + content.end,
        style,
        line: line.number,
    })
}

/// A plain scalar ends at ` #`; a `#` inside a word is part of it.
fn comment_start(plain: &str) -> Option<usize> {
    let bytes = plain.as_bytes();
    memchr::memchr_iter(b'#', bytes)
        .find(|&index| index > 0 && matches!(bytes[index - 1], b' ' | b'\t'))
}

/// A quoted scalar starting at `start`: its decoded value and the byte just past the
/// closing quote. `None` for escapes it does not know or a quote that does not close on
/// this line; the caller then has no span, which is safe.
fn quoted_scalar(text: &str, start: usize) -> Option<(Cow<'_, str>, usize)> {
    let quote = text[start..].chars().next()?;
    // Without an escape (`\` in double quotes, `''` in single) the value is the text
    // between the quotes.
    let inside = &text[start + 1..];
    if let Some(close) = inside.find(|c| c == quote || (quote == '"' && c == '\\'))
        && inside[close..].starts_with(quote)
        && !(quote == '\'' && inside[close + 1..].starts_with('\''))
    {
        return Some((Cow::Borrowed(&inside[..close]), start + 1 + close + 1));
    }
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((index, c)) = chars.next() {
        let absolute = start + 1 + index;
        match (quote, c) {
            ('\'', '\'') => {
                if text[absolute + 1..].starts_with('\'') {
                    value.push('\'');
                    chars.next();
                } else {
                    return Some((Cow::Owned(value), absolute + 1));
                }
            }
            ('"', '"') => return Some((Cow::Owned(value), absolute + 1)),
            ('"', '\\') => {
                let (_, escaped) = chars.next()?;
                value.push(match escaped {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'n' => '\n',
                    't' => '\t',
                    ' ' => ' ',
                    _ => return None,
                });
            }
            _ => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_block_mapping_entries_with_value_spans() {
        let text = "A: 1\nIMAGES:\n  one: a:1 # c\n  \"two\": 'b:2'\n  three: \"c\\\"d\"\nB: 2\n";
        let block = mapping_block(text, "IMAGES").unwrap();
        assert_eq!(block.key_line, 2);
        let keys: Vec<_> = block.entries.iter().map(|e| &*e.key).collect();
        assert_eq!(keys, ["one", "two", "three"]);
        let values: Vec<_> = block
            .entries
            .iter()
            .map(|e| &*e.value.as_ref().unwrap().value)
            .collect();
        assert_eq!(values, ["a:1", "b:2", "c\"d"]);
        for entry in &block.entries {
            let scalar = entry.value.as_ref().unwrap();
            assert!(text[scalar.span.clone()].starts_with(&scalar.value[..1]));
        }
        assert_eq!(block.entries[0].value.as_ref().unwrap().column, 8);
    }

    #[test]
    fn crlf_lines_exclude_the_carriage_return() {
        let text = "IMAGES:\r\n  one: a:1\r\n";
        let block = mapping_block(text, "IMAGES").unwrap();
        let scalar = block.entries[0].value.clone().unwrap();
        assert_eq!(&text[scalar.span], "a:1");
    }

    #[test]
    fn multi_line_values_lose_their_span() {
        let text = "IMAGES:\n  one: >-\n    a:1\n  two: b\n";
        let block = mapping_block(text, "IMAGES").unwrap();
        assert!(block.entries[0].value.is_none());
        assert_eq!(block.entries[1].value.as_ref().unwrap().value, "b");
    }

    #[test]
    fn flow_mappings_have_no_entries() {
        let block = mapping_block("IMAGES: {a: b}\n", "IMAGES").unwrap();
        assert!(block.entries.is_empty());
    }

    #[test]
    fn sequences_may_sit_at_column_zero() {
        let text = "MP:\n- quay.io\n- 'registry.redhat.io' # ok\nNEXT: 1\n";
        let block = sequence_block(text, "MP").unwrap();
        let values: Vec<_> = block
            .entries
            .iter()
            .map(|e| e.value.as_ref().unwrap().value.clone())
            .collect();
        assert_eq!(values, ["quay.io", "registry.redhat.io"]);
    }

    #[test]
    fn hash_inside_a_plain_word_is_not_a_comment() {
        let text = "IMAGES:\n  a: x#y # real comment\n";
        let block = mapping_block(text, "IMAGES").unwrap();
        assert_eq!(block.entries[0].value.as_ref().unwrap().value, "x#y");
    }
}
