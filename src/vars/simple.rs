//! The block style nearly every `vars.yml` is written in, read without libyaml.
//!
//! libyaml's scanner is a third of `check`'s time on a large file. This reader takes a
//! strict subset of YAML and gives the same tree serde_yaml gives; anything outside the
//! subset gives `None`, and the caller reads the file with serde_yaml, which also words
//! the errors. A file outside the subset costs speed, never correctness. The subset:
//!
//! - printable ASCII and line feeds only (no tab, no carriage return, no BOM);
//! - an optional `---` line before any content, comment lines, blank lines;
//! - block mappings of `key:` or `key: scalar`, the root one at column 0;
//! - block sequences of `- scalar`, more indented than their key or beside it;
//! - plain scalars of `A-Za-z0-9_./+~` then `A-Za-z0-9_./:@+=-`, not ending in `:`,
//!   and quoted scalars (`"..."` without `\\` or `"` inside, `'...'` without `'`)
//!   on one line, each followed by nothing, or by spaces and an optional `# comment`.
//!
//! Plain scalars resolve as serde_yaml resolves them: a word that starts with a
//! letter is a string unless it is a null or boolean spelling; anything else (a
//! number, say) is handed to serde_yaml alone. A quoted scalar is always a string. The tests hold the reader to serde_yaml on generated
//! documents.

use std::borrow::Cow;

use super::Node;

/// Deeper documents are left to serde_yaml, which has its own recursion limit.
const MAX_DEPTH: usize = 64;
/// libyaml refuses an implicit key of 1024 characters or more.
const MAX_KEY_LEN: usize = 1000;

/// Bytes a plain scalar of the subset may hold after its first.
const SCALAR_BYTE: [bool; 256] = byte_set(b"_./:@+=-");
/// Bytes a key of the subset may hold.
const KEY_BYTE: [bool; 256] = byte_set(b"_.-");

/// ASCII letters and digits, and `extra`.
const fn byte_set(extra: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut b = 0;
    while b < 256 {
        set[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        set[extra[i] as usize] = true;
        i += 1;
    }
    set
}

/// `text` as serde_yaml reads it, when the whole file is in the subset.
pub(super) fn parse(text: &str) -> Option<Node<'_>> {
    if !text
        .bytes()
        .all(|b| b == b'\n' || (b' '..=b'~').contains(&b))
    {
        return None;
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut seen_document_start = false;
    for line in text.split('\n') {
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if line == "---" && stack.is_empty() && !seen_document_start {
            seen_document_start = true;
            continue;
        }
        let content = Content::of(body)?;
        let Some(top) = stack.last_mut() else {
            if indent != 0 || !matches!(content, Content::Entry { .. }) {
                return None;
            }
            stack.push(Frame::mapping(0));
            stack.last_mut()?.add(content)?;
            continue;
        };
        // A key waiting for its value: a block under it, or null.
        if let Frame::Mapping {
            indent: key_indent,
            pending: Some(_),
            ..
        } = top
        {
            let key_indent = *key_indent;
            let is_item = matches!(content, Content::Item(_));
            if indent > key_indent || (indent == key_indent && is_item) {
                if stack.len() >= MAX_DEPTH {
                    return None;
                }
                let mut frame = match content {
                    Content::Entry { .. } => Frame::mapping(indent),
                    Content::Item(_) => Frame::Sequence {
                        indent,
                        items: Vec::new(),
                        beside_key: indent == key_indent,
                    },
                };
                frame.add(content)?;
                stack.push(frame);
                continue;
            }
            top.settle_pending(Node::Null);
        }
        // Close the blocks this line is outside of.
        while let Some(top) = stack.last() {
            let closes = match top {
                Frame::Sequence {
                    indent: own,
                    beside_key: true,
                    ..
                } => *own > indent || (*own == indent && matches!(content, Content::Entry { .. })),
                _ => top.indent() > indent,
            };
            if !closes {
                break;
            }
            close_top(&mut stack)?;
        }
        let top = stack.last_mut()?;
        if top.indent() != indent {
            return None;
        }
        top.add(content)?;
    }
    if let Some(top) = stack.last_mut() {
        top.settle_pending(Node::Null);
    }
    while stack.len() > 1 {
        close_top(&mut stack)?;
    }
    stack.pop().map(Frame::into_node)
}

/// Pops the innermost block and makes it the value of its parent's waiting key.
fn close_top(stack: &mut Vec<Frame<'_>>) -> Option<()> {
    let mut closed = stack.pop()?;
    closed.settle_pending(Node::Null);
    let parent = stack.last_mut()?;
    match parent {
        Frame::Mapping { pending, .. } if pending.is_some() => {
            parent.settle_pending(closed.into_node());
            Some(())
        }
        _ => None,
    }
}

/// A block being read.
enum Frame<'a> {
    Mapping {
        indent: usize,
        pairs: Vec<(Node<'a>, Node<'a>)>,
        /// The last key, while its value is a block still to come.
        pending: Option<Node<'a>>,
    },
    Sequence {
        indent: usize,
        items: Vec<Node<'a>>,
        /// Written at its key's own indentation (`key:` then `- item`).
        beside_key: bool,
    },
}

impl<'a> Frame<'a> {
    fn mapping(indent: usize) -> Frame<'a> {
        Frame::Mapping {
            indent,
            pairs: Vec::new(),
            pending: None,
        }
    }

    fn indent(&self) -> usize {
        match self {
            Frame::Mapping { indent, .. } | Frame::Sequence { indent, .. } => *indent,
        }
    }

    fn add(&mut self, content: Content<'a>) -> Option<()> {
        match (self, content) {
            (Frame::Mapping { pairs, pending, .. }, Content::Entry { key, value }) => {
                let key = resolve(Scalar::Plain(key))?;
                match value {
                    Some(value) => pairs.push((key, resolve(value)?)),
                    None => *pending = Some(key),
                }
                Some(())
            }
            (Frame::Sequence { items, .. }, Content::Item(value)) => {
                items.push(resolve(value)?);
                Some(())
            }
            _ => None,
        }
    }

    fn settle_pending(&mut self, value: Node<'a>) {
        if let Frame::Mapping { pairs, pending, .. } = self
            && let Some(key) = pending.take()
        {
            pairs.push((key, value));
        }
    }

    fn into_node(self) -> Node<'a> {
        match self {
            Frame::Mapping { pairs, .. } => Node::Mapping(pairs),
            Frame::Sequence { items, .. } => Node::Sequence(items),
        }
    }
}

/// What one content line holds.
enum Content<'a> {
    /// `key:` (`value` none: a block or null follows) or `key: value`.
    Entry {
        key: &'a str,
        value: Option<Scalar<'a>>,
    },
    /// `- value`.
    Item(Scalar<'a>),
}

/// A scalar as written: its text without the quotes.
#[derive(Debug, Clone, Copy)]
enum Scalar<'a> {
    Plain(&'a str),
    Quoted(&'a str),
}

impl<'a> Content<'a> {
    /// `body` is the line without its indentation; `None` outside the subset.
    fn of(body: &'a str) -> Option<Content<'a>> {
        if let Some(rest) = body.strip_prefix("- ") {
            return after_indicator(rest).flatten().map(Content::Item);
        }
        let key_len = body.bytes().take_while(|&b| KEY_BYTE[b as usize]).count();
        let (key, rest) = body.split_at(key_len);
        let starts_well = key
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !starts_well || key_len > MAX_KEY_LEN {
            return None;
        }
        let rest = rest.strip_prefix(':')?;
        let value = if rest.is_empty() {
            None
        } else {
            after_indicator(rest.strip_prefix(' ')?)?
        };
        Some(Content::Entry { key, value })
    }
}

/// What follows `- ` or `key: `: nothing (`Some(None)`), a comment (`Some(None)`), or
/// a scalar with an optional comment (`Some(Some(scalar))`).
fn after_indicator(text: &str) -> Option<Option<Scalar<'_>>> {
    let text = text.trim_start_matches(' ');
    if text.is_empty() || text.starts_with('#') {
        return Some(None);
    }
    let first = text.as_bytes()[0];
    if let quote @ (b'"' | b'\'') = first {
        // Escapes (`\` in double quotes, `''` in single) and line breaks are left to
        // serde_yaml: without them the text between the quotes is the string.
        let inside = &text[1..];
        let close = inside
            .bytes()
            .position(|b| b == quote || (quote == b'"' && b == b'\\'))?;
        if inside.as_bytes()[close] != quote {
            return None;
        }
        let after = &inside[close + 1..];
        if quote == b'\'' && after.starts_with('\'') {
            return None;
        }
        return ends_well(after).then_some(Some(Scalar::Quoted(&inside[..close])));
    }
    if !(first.is_ascii_alphanumeric() || matches!(first, b'_' | b'.' | b'/' | b'+' | b'~')) {
        return None;
    }
    let len = 1 + text.as_bytes()[1..]
        .iter()
        .take_while(|&&b| SCALAR_BYTE[b as usize])
        .count();
    let (scalar, after) = text.split_at(len);
    if scalar.ends_with(':') || scalar.starts_with("...") {
        return None;
    }
    ends_well(after).then_some(Some(Scalar::Plain(scalar)))
}

/// Whether what follows a scalar on its line is nothing, or spaces and a comment (a
/// comment needs a space before its `#`).
fn ends_well(after: &str) -> bool {
    let rest = after.trim_start_matches(' ');
    rest.is_empty() || (rest.starts_with('#') && after.starts_with(' '))
}

/// The node serde_yaml makes of a scalar.
fn resolve(scalar: Scalar<'_>) -> Option<Node<'_>> {
    let plain = match scalar {
        Scalar::Quoted(text) => return Some(Node::String(Cow::Borrowed(text))),
        Scalar::Plain(plain) => plain,
    };
    const NULL_OR_BOOLEAN: [&str; 9] = [
        "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
    ];
    // No number, null or boolean starts with a letter but those spellings (`inf` and
    // `nan` parse as floats that serde_yaml refuses for not being finite).
    if plain.as_bytes()[0].is_ascii_alphabetic() && !NULL_OR_BOOLEAN.contains(&plain) {
        return Some(Node::String(Cow::Borrowed(plain)));
    }
    match serde_yaml::from_str::<Node>(plain) {
        Ok(node @ (Node::String(_) | Node::Number(_) | Node::Boolean(_) | Node::Null)) => {
            Some(node)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_reads(text: &str) -> Option<Node<'static>> {
        serde_yaml::from_str::<Node>(text).ok()
    }

    #[test]
    fn reads_the_shipped_vars_file_as_serde_yaml_does() {
        let text = include_str!("../../fixtures/deployment-all/vars.yml");
        let node = parse(text).expect("the fixture is in the block style");
        assert_eq!(Some(node), serde_reads(text));
    }

    #[test]
    fn leaves_everything_else_to_serde_yaml() {
        for text in [
            "a: b\n  continued\n",
            "a:\n\tb: c\n",
            "a: 'it''s'\n",
            "a: \"esc\\\"aped\"\n",
            "a: \"two\n  lines\"\n",
            "a: \"x\"y\n",
            "a: 'x'#c\n",
            "a: [1, 2]\n",
            "a: b # ok\nc: d#e\n",
            "a: &x b\nc: *x\n",
            "a: |\n  block\n",
            "a:\n  - - nested\n",
            "a:\n  - k: v\n",
            "  a: indented root\n",
            "- root list\n",
            "a: b\r\n",
            "\u{feff}a: b\n",
            "a: b\n---\nc: d\n",
            "a: b\n...\n",
            "a:b\n",
            "a : b\n",
            "? a\n: b\n",
            "# only a comment\n",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn resolves_scalars_as_serde_yaml_does() {
        let text = "a: 1\nb: ~\nc: true\nd: x\ne: 0x1F\nf: 1.5e3\ng: inf\nh: 012\nnull: v\n1: w\n";
        assert_eq!(parse(text), serde_reads(text));
    }

    /// Documents generated in the block style (a deterministic xorshift), a third of
    /// them with one line broken. Whatever the reader takes, serde_yaml must read the
    /// same; and it must take enough of them for the comparison to mean something.
    #[test]
    fn agrees_with_serde_yaml_on_generated_documents() {
        const KEYS: [&str; 12] = [
            "a",
            "b",
            "IMAGES",
            "MP_APPROVED_REGISTRIES",
            "1",
            "null",
            "True",
            "x-y",
            "_k",
            "a.b",
            "0x1",
            "-k",
        ];
        const SCALARS: [&str; 30] = [
            "x",
            "a #b",
            "it's",
            "say \"hi\"",
            "",
            "quay.io/cki/mirror/nginx:1.27@sha256:0a2f",
            "1",
            "1.5",
            "0x1F",
            "~",
            "null",
            "True",
            "inf",
            ".inf",
            "a:",
            "a:b",
            "-x",
            "+1",
            "/p",
            "_",
            "1e3",
            "012",
            "yes",
            "...",
            "a=b",
            "x@y",
            "a::b",
            "+",
            ".",
            "TRUE",
        ];
        struct Random(u64);
        impl Random {
            fn below(&mut self, bound: usize) -> usize {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                (self.0 % bound as u64) as usize
            }
            fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
                from[self.below(from.len())]
            }
        }
        fn mapping(random: &mut Random, indent: usize, depth: usize, lines: &mut Vec<String>) {
            for _ in 0..1 + random.below(5) {
                let pad = " ".repeat(indent);
                let key = random.pick(&KEYS);
                let step = [1, 2, 2, 4][random.below(4)];
                match random.below(if depth < 3 { 6 } else { 3 }) {
                    0 => lines.push(format!("{pad}{key}:")),
                    1 | 2 => {
                        let scalar = random.pick(&SCALARS);
                        lines.push(match random.below(4) {
                            0 => format!("{pad}{key}: \"{scalar}\""),
                            1 => format!("{pad}{key}: '{scalar}'"),
                            _ => format!("{pad}{key}: {scalar}"),
                        });
                    }
                    3 => {
                        lines.push(format!("{pad}{key}:"));
                        mapping(random, indent + step, depth + 1, lines);
                    }
                    _ => {
                        lines.push(format!("{pad}{key}:"));
                        let beside = random.below(2) == 0;
                        let items = " ".repeat(if beside { indent } else { indent + step });
                        for _ in 0..1 + random.below(3) {
                            lines.push(format!("{items}- {}", random.pick(&SCALARS)));
                        }
                    }
                }
                if random.below(8) == 0 {
                    lines.push(format!("{}# note", " ".repeat(random.below(6))));
                }
            }
        }
        let mut random = Random(0x2545_f491_4f6c_dd1d);
        let (mut taken, mut documents) = (0, 0);
        for _ in 0..20_000 {
            let mut lines = Vec::new();
            if random.below(4) == 0 {
                lines.push("---".to_string());
            }
            mapping(&mut random, 0, 0, &mut lines);
            if random.below(3) == 0 {
                let at = random.below(lines.len());
                let (key, scalar) = (random.pick(&KEYS), random.pick(&SCALARS));
                let broken = match random.below(8) {
                    0 => format!(" {}", lines[at]),
                    1 => lines[at].replacen(' ', "", 1),
                    2 => format!("{}  continued", lines[at]),
                    3 => format!("{key}:{scalar}"),
                    4 => format!("{key}: {scalar} {scalar}"),
                    5 => format!("{key}: {scalar}#c"),
                    6 => "-".to_string(),
                    _ => format!("{key}: '{scalar}"),
                };
                lines.insert(at, broken);
            }
            let text = lines.join("\n") + "\n";
            documents += 1;
            if let Some(node) = parse(&text) {
                taken += 1;
                assert_eq!(Some(node), serde_reads(&text), "{text}");
            }
        }
        assert!(
            taken * 4 > documents,
            "only {taken} of {documents} documents read"
        );
    }
}
