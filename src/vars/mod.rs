//! The `vars.yml` model: `MP_APPROVED_REGISTRIES` and the `IMAGES` map, in file order,
//! each value with its line, column and byte span in the raw text.
//!
//! Every serde_yaml call lives in this module and [`simple`]'s scalar resolution
//! (serde_yaml is archived; a maintained fork should be a change to these two files).
//! Loading never stops at the first problem it can survive: a non-string value or a
//! duplicate name is reported and the rest is kept.

pub mod edit;
mod scan;
mod simple;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

pub const IMAGES_KEY: &str = "IMAGES";
pub const APPROVED_KEY: &str = "MP_APPROVED_REGISTRIES";
/// Larger than any real vars.yml by orders of magnitude; stops a hostile file early.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Whether `name` can be an `IMAGES` name: templates reach an entry as
/// `cki_variable('IMAGES').NAME`, so it must be an identifier.
pub fn is_valid_entry_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One `IMAGES` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEntry {
    pub name: String,
    /// Shared with the entry's parsed reference ([`crate::classify::Classification`]),
    /// which keeps the same text.
    pub value: Arc<str>,
    /// Where the value starts (or the name, when the value spans lines).
    pub line: usize,
    pub column: usize,
    /// Byte span of the value's text in the file, inside quotes; `None` when the value
    /// is not written on one line (block scalar, alias, flow style).
    pub value_span: Option<Range<usize>>,
}

/// One `MP_APPROVED_REGISTRIES` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedEntry {
    pub value: String,
    pub line: usize,
    pub column: usize,
}

/// A loaded `vars.yml`.
#[derive(Debug, Clone)]
pub struct VarsFile {
    pub path: PathBuf,
    /// Shared with [`Loaded::text`] and the check's other readers: one copy of the file.
    pub text: Arc<str>,
    pub approved: Vec<ApprovedEntry>,
    pub approved_line: usize,
    pub images: Vec<ImageEntry>,
    pub images_line: usize,
}

impl VarsFile {
    pub fn image(&self, name: &str) -> Option<&ImageEntry> {
        self.images.iter().find(|entry| entry.name == name)
    }
}

/// What kind of YAML node stood where another was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Mapping,
    Sequence,
    String,
    Number,
    Boolean,
    Null,
    Tagged,
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NodeKind::Mapping => "a mapping",
            NodeKind::Sequence => "a list",
            NodeKind::String => "a string",
            NodeKind::Number => "a number",
            NodeKind::Boolean => "a boolean",
            NodeKind::Null => "null (nothing)",
            NodeKind::Tagged => "a tagged value",
        })
    }
}

/// Something wrong with the file, with the position to point at (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The `IMAGES` name the problem is about, if any.
    pub entry: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    TooLarge {
        bytes: usize,
    },
    NotUtf8,
    Syntax {
        message: String,
    },
    NotAMapping {
        found: NodeKind,
    },
    MissingKey {
        key: &'static str,
    },
    WrongType {
        what: String,
        expected: &'static str,
        found: NodeKind,
    },
    DuplicateName {
        name: String,
        first_line: usize,
        second_line: usize,
    },
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::TooLarge { bytes } => write!(
                f,
                "the file is {bytes} bytes, more than the {MAX_FILE_BYTES}-byte limit"
            ),
            ProblemKind::NotUtf8 => f.write_str("the file is not valid UTF-8"),
            ProblemKind::Syntax { message } => write!(f, "invalid YAML: {message}"),
            ProblemKind::NotAMapping { found } => {
                write!(f, "the top level must be a mapping, found {found}")
            }
            ProblemKind::MissingKey { key } => write!(f, "the top-level key {key} is missing"),
            ProblemKind::WrongType {
                what,
                expected,
                found,
            } => write!(f, "{what} must be {expected}, found {found}"),
            ProblemKind::DuplicateName {
                name,
                first_line,
                second_line,
            } => write!(
                f,
                "{IMAGES_KEY} has two entries named {name:?} (lines {first_line} and {second_line}); YAML readers keep only one of them"
            ),
        }
    }
}

/// The result of reading a `vars.yml`: the model when the file could be understood,
/// and every problem found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    /// The file's text when it was UTF-8 (for showing source lines).
    pub text: Option<Arc<str>>,
    pub vars: Option<VarsFile>,
    pub problems: Vec<Problem>,
}

/// Reads and parses `path`. An I/O failure (missing file, permissions) is the only
/// error; everything about the content is a [`Problem`].
pub fn load(path: &Path) -> std::io::Result<Loaded> {
    Ok(match read_capped(path)? {
        Capped::Bytes(bytes) => parse(path, bytes),
        Capped::TooLarge(bytes) => too_large(path, bytes),
    })
}

/// A file's bytes, or its size when it is over [`MAX_FILE_BYTES`].
pub enum Capped {
    Bytes(Vec<u8>),
    TooLarge(usize),
}

/// The one capped read of a `vars.yml`: an oversized file is refused by its size,
/// before a byte of it is read.
pub fn read_capped(path: &Path) -> std::io::Result<Capped> {
    let metadata = std::fs::metadata(path)?;
    if metadata.len() > MAX_FILE_BYTES as u64 {
        return Ok(Capped::TooLarge(metadata.len() as usize));
    }
    std::fs::read(path).map(Capped::Bytes)
}

/// What loading an oversized file gives: its one problem.
pub fn too_large(path: &Path, bytes: usize) -> Loaded {
    Loaded::failed(path, None, problem(ProblemKind::TooLarge { bytes }))
}

/// Parses the bytes of a `vars.yml` that was read from `path`.
pub fn parse(path: &Path, bytes: Vec<u8>) -> Loaded {
    if bytes.len() > MAX_FILE_BYTES {
        return too_large(path, bytes.len());
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => Arc::from(text),
        Err(error) => {
            let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&valid[line_start..])
                .chars()
                .count()
                + 1;
            return Loaded::failed(
                path,
                None,
                Problem {
                    kind: ProblemKind::NotUtf8,
                    line: Some(line),
                    column: Some(column),
                    entry: None,
                },
            );
        }
    };
    parse_text(path, text)
}

/// Parses the text of a `vars.yml` read from `path`, keeping the one shared copy of it.
pub fn parse_text(path: &Path, text: Arc<str>) -> Loaded {
    if text.len() > MAX_FILE_BYTES {
        return too_large(path, text.len());
    }
    let parsed = match simple::parse(&text) {
        Some(root) => Ok(root),
        None => serde_yaml::from_str(&text),
    };
    let root: Node = match parsed {
        Ok(root) => root,
        Err(error) => {
            let location = error.location();
            let message = strip_location(&error.to_string());
            return Loaded::failed(
                path,
                Some(text),
                Problem {
                    kind: ProblemKind::Syntax { message },
                    line: location.as_ref().map(|l| l.line()),
                    column: location.as_ref().map(|l| l.column()),
                    entry: None,
                },
            );
        }
    };
    Builder::new(path, text.clone()).build(root)
}

/// Whether the block-style reader, where it reads `text` at all, reads what serde_yaml
/// reads (the fuzz target's oracle).
#[doc(hidden)]
pub fn block_style_reader_agrees(text: &str) -> bool {
    simple::parse(text).is_none_or(|node| serde_yaml::from_str::<Node>(text).ok() == Some(node))
}

impl Loaded {
    fn failed(path: &Path, text: Option<Arc<str>>, problem: Problem) -> Loaded {
        Loaded {
            path: path.to_path_buf(),
            text,
            vars: None,
            problems: vec![problem],
        }
    }
}

fn problem(kind: ProblemKind) -> Problem {
    Problem {
        kind,
        line: None,
        column: None,
        entry: None,
    }
}

/// serde_yaml appends " at line L column C"; the diagnostic shows the position itself.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => {
            let (head, tail) = message.split_at(index);
            // Keep any ", while parsing ..." context that follows the position.
            match tail.find(", ") {
                Some(comma) => format!("{head}{}", &tail[comma..]),
                None => head.to_string(),
            }
        }
        None => message.to_string(),
    }
}

/// Turns the parsed tree plus the scanned positions into a [`VarsFile`].
struct Builder {
    path: PathBuf,
    text: Arc<str>,
    problems: Vec<Problem>,
}

impl Builder {
    fn new(path: &Path, text: Arc<str>) -> Builder {
        Builder {
            path: path.to_path_buf(),
            text,
            problems: Vec::new(),
        }
    }

    fn build(mut self, root: Node<'_>) -> Loaded {
        let Node::Mapping(pairs) = root else {
            self.problems
                .push(problem(ProblemKind::NotAMapping { found: root.kind() }));
            return self.finish(None);
        };
        let mut images = None;
        let mut approved = None;
        for (key, value) in pairs {
            match key {
                Node::String(key) if key == IMAGES_KEY => images = Some(value),
                Node::String(key) if key == APPROVED_KEY => approved = Some(value),
                _ => {}
            }
        }
        let approved = self.approved(approved);
        let images = self.images(images);
        let vars = match (approved, images) {
            (Some((approved, approved_line)), Some((images, images_line))) => Some(VarsFile {
                path: self.path.clone(),
                text: self.text.clone(),
                approved,
                approved_line,
                images,
                images_line,
            }),
            _ => None,
        };
        self.finish(vars)
    }

    fn finish(self, vars: Option<VarsFile>) -> Loaded {
        Loaded {
            path: self.path,
            text: Some(self.text),
            vars,
            problems: self.problems,
        }
    }

    fn missing(&mut self, key: &'static str) {
        self.problems.push(problem(ProblemKind::MissingKey { key }));
    }

    fn wrong_type(&mut self, what: String, expected: &'static str, found: NodeKind, at: Position) {
        self.problems.push(Problem {
            kind: ProblemKind::WrongType {
                what,
                expected,
                found,
            },
            line: Some(at.line),
            column: Some(at.column),
            entry: None,
        });
    }

    fn approved(&mut self, node: Option<Node<'_>>) -> Option<(Vec<ApprovedEntry>, usize)> {
        let Some(node) = node else {
            self.missing(APPROVED_KEY);
            return None;
        };
        let text = self.text.clone();
        let block = scan::sequence_block(&text, APPROVED_KEY);
        let key_at = Position::of_key(block.as_ref());
        let Node::Sequence(items) = node else {
            self.wrong_type(
                APPROVED_KEY.into(),
                "a list of registries",
                node.kind(),
                key_at,
            );
            return None;
        };
        let scanned = block.map(|b| b.entries).unwrap_or_default();
        let mut entries = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            let at = scanned.get(index).map_or(key_at, |s| Position {
                line: s.line,
                column: s.value.as_ref().map_or(s.column, |v| v.column),
            });
            match item {
                Node::String(value) => entries.push(ApprovedEntry {
                    value: value.into_owned(),
                    line: at.line,
                    column: at.column,
                }),
                other => self.wrong_type(
                    format!("item {} of {APPROVED_KEY}", index + 1),
                    "a string",
                    other.kind(),
                    at,
                ),
            }
        }
        Some((entries, key_at.line))
    }

    fn images(&mut self, node: Option<Node<'_>>) -> Option<(Vec<ImageEntry>, usize)> {
        let Some(node) = node else {
            self.missing(IMAGES_KEY);
            return None;
        };
        let text = self.text.clone();
        let block = scan::mapping_block(&text, IMAGES_KEY);
        let key_at = Position::of_key(block.as_ref());
        let pairs = match node {
            Node::Mapping(pairs) => pairs,
            // `IMAGES:` with nothing under it yet: an empty map, ready for a first entry.
            Node::Null => Vec::new(),
            other => {
                let found = other.kind();
                self.wrong_type(IMAGES_KEY.into(), "a mapping of NAME: image", found, key_at);
                return None;
            }
        };
        let mut scanned = block.map(|b| b.entries).unwrap_or_default().into_iter();
        let mut entries: Vec<ImageEntry> = Vec::with_capacity(pairs.len());
        // Keyed by the name as the scanner found it in the text, without a copy, and
        // hashed by foldhash (seeded per process): SipHash took 7% of the read.
        let mut first_line_of: std::collections::HashMap<
            Cow<'_, str>,
            usize,
            foldhash::fast::RandomState,
        > = std::collections::HashMap::with_capacity_and_hasher(pairs.len(), Default::default());
        for (key, value) in pairs {
            let name = match key {
                Node::String(name) => name.into_owned(),
                Node::Number(text) | Node::Boolean(text) => text,
                other => {
                    self.wrong_type(
                        format!("an {IMAGES_KEY} name"),
                        "a string",
                        other.kind(),
                        key_at,
                    );
                    continue;
                }
            };
            // Scanned entries come in file order, like serde's; skip any the scanner
            // saw that serde did not (which only happens for layouts it misreads).
            let position = scanned.find(|s| s.key == name);
            let (at, span) = match &position {
                Some(found) => match (&found.value, &value) {
                    (Some(scalar), Node::String(text)) if scalar.value == *text => (
                        Position {
                            line: scalar.line,
                            column: scalar.column,
                        },
                        Some(scalar.span.clone()),
                    ),
                    (Some(scalar), _) => (
                        Position {
                            line: scalar.line,
                            column: scalar.column,
                        },
                        None,
                    ),
                    (None, _) => (
                        Position {
                            line: found.line,
                            column: found.column,
                        },
                        None,
                    ),
                },
                None => (key_at, None),
            };
            if let Some(&first_line) = first_line_of.get(name.as_str()) {
                self.problems.push(Problem {
                    kind: ProblemKind::DuplicateName {
                        name: name.clone(),
                        first_line,
                        second_line: at.line,
                    },
                    line: Some(at.line),
                    column: Some(position.as_ref().map_or(at.column, |p| p.column)),
                    entry: Some(name),
                });
                continue;
            }
            let key = match position {
                Some(found) => found.key,
                None => Cow::Owned(name.clone()),
            };
            first_line_of.insert(key, at.line);
            match value {
                Node::String(value) => entries.push(ImageEntry {
                    name,
                    value: value.into(),
                    line: at.line,
                    column: at.column,
                    value_span: span,
                }),
                other => {
                    let found = other.kind();
                    self.problems.push(Problem {
                        kind: ProblemKind::WrongType {
                            what: format!("{IMAGES_KEY}.{name}"),
                            expected: "an image reference string",
                            found,
                        },
                        line: Some(at.line),
                        column: Some(at.column),
                        entry: Some(name),
                    });
                }
            }
        }
        Some((entries, key_at.line))
    }
}

#[derive(Debug, Clone, Copy)]
struct Position {
    line: usize,
    column: usize,
}

impl Position {
    fn of_key(block: Option<&scan::Block>) -> Position {
        block.map_or(Position { line: 1, column: 1 }, |b| Position {
            line: b.key_line,
            column: b.key_column,
        })
    }
}

/// A YAML node as far as this module cares: mappings keep duplicate keys (serde_yaml's
/// own `Value` refuses them without saying where) so they can be reported with lines.
/// The block-style reader's strings borrow the file's text (two per entry of a
/// 10,000-entry file); serde_yaml's are owned.
#[derive(Debug, Clone, PartialEq)]
enum Node<'a> {
    Mapping(Vec<(Node<'a>, Node<'a>)>),
    Sequence(Vec<Node<'a>>),
    String(Cow<'a, str>),
    /// Scalars kept as text: an `IMAGES` name may be written `123:`.
    Number(String),
    Boolean(String),
    Null,
    Tagged,
}

impl Node<'_> {
    fn kind(&self) -> NodeKind {
        match self {
            Node::Mapping(_) => NodeKind::Mapping,
            Node::Sequence(_) => NodeKind::Sequence,
            Node::String(_) => NodeKind::String,
            Node::Number(_) => NodeKind::Number,
            Node::Boolean(_) => NodeKind::Boolean,
            Node::Null => NodeKind::Null,
            Node::Tagged => NodeKind::Tagged,
        }
    }
}

impl<'de> Deserialize<'de> for Node<'static> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node<'static>, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'static>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node<'static>, E> {
        Ok(Node::Boolean(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node<'static>, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node<'static>, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node<'static>, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node<'static>, E> {
        Ok(Node::String(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Node<'static>, E> {
        Ok(Node::String(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Node<'static>, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node<'static>, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node<'static>, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'static>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Sequence(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'static>, A::Error> {
        let mut pairs = Vec::new();
        while let Some(pair) = map.next_entry()? {
            pairs.push(pair);
        }
        Ok(Node::Mapping(pairs))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Node<'static>, A::Error> {
        // A `!tag value`: its content is not an image reference either way.
        let (_, variant): (de::IgnoredAny, _) = data.variant()?;
        de::VariantAccess::newtype_variant::<de::IgnoredAny>(variant)?;
        Ok(Node::Tagged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Loaded {
        parse(Path::new("vars.yml"), text.as_bytes().to_vec())
    }

    fn kinds(loaded: &Loaded) -> Vec<String> {
        loaded.problems.iter().map(|p| p.kind.to_string()).collect()
    }

    const GOOD: &str = "\
# synthetic
MP_APPROVED_REGISTRIES:
  - quay.io/cki
  - registry.redhat.io
OTHER: {x: 1}
IMAGES:
  grafana: quay.io/cki/mirror/grafana/grafana:11.2.0
  # comment
  ubi: 'registry.redhat.io/ubi9/ubi:9.4-1181'
";

    #[test]
    fn loads_entries_in_file_order_with_positions_and_spans() {
        let loaded = parse_text(GOOD);
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        let vars = loaded.vars.unwrap();
        assert_eq!(vars.approved.len(), 2);
        assert_eq!(vars.approved[1].line, 4);
        assert_eq!(vars.images_line, 6);
        let names: Vec<_> = vars.images.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["grafana", "ubi"]);
        let ubi = &vars.images[1];
        assert_eq!((ubi.line, ubi.column), (9, 9));
        assert_eq!(&GOOD[ubi.value_span.clone().unwrap()], &*ubi.value);
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let loaded = parse_text("IMAGES:\n  a: [1,\nMP_APPROVED_REGISTRIES: []\n");
        assert!(loaded.vars.is_none());
        let p = &loaded.problems[0];
        assert!(matches!(p.kind, ProblemKind::Syntax { .. }), "{p:?}");
        assert!(p.line.is_some() && p.column.is_some());
        assert_eq!(
            p.kind.to_string(),
            "invalid YAML: did not find expected ',' or ']', while parsing a flow sequence at line 2 column 6"
        );
    }

    #[test]
    fn not_utf8_points_at_the_first_bad_byte() {
        let mut bytes = b"IMAGES:\n  a: b\xff\n".to_vec();
        bytes.push(b'\n');
        let loaded = parse(Path::new("v.yml"), bytes);
        let p = &loaded.problems[0];
        assert_eq!(p.kind, ProblemKind::NotUtf8);
        assert_eq!((p.line, p.column), (Some(2), Some(7)));
    }

    #[test]
    fn duplicate_names_report_both_lines_and_keep_the_first() {
        let loaded =
            parse_text("MP_APPROVED_REGISTRIES: []\nIMAGES:\n  a: x:1\n  b: y:1\n  a: z:1\n");
        assert_eq!(
            kinds(&loaded),
            [
                r#"IMAGES has two entries named "a" (lines 3 and 5); YAML readers keep only one of them"#
            ]
        );
        assert_eq!(loaded.vars.unwrap().images.len(), 2);
    }

    #[test]
    fn missing_and_mistyped_keys_are_each_reported() {
        let loaded = parse_text("OTHER: 1\n");
        assert_eq!(
            kinds(&loaded),
            [
                "the top-level key MP_APPROVED_REGISTRIES is missing",
                "the top-level key IMAGES is missing"
            ]
        );
        let loaded = parse_text("MP_APPROVED_REGISTRIES: quay.io\nIMAGES:\n  - a\n");
        assert_eq!(
            kinds(&loaded),
            [
                "MP_APPROVED_REGISTRIES must be a list of registries, found a string",
                "IMAGES must be a mapping of NAME: image, found a list"
            ]
        );
        assert_eq!(loaded.problems[1].line, Some(2));
    }

    #[test]
    fn non_string_values_are_reported_and_skipped() {
        let loaded = parse_text(
            "MP_APPROVED_REGISTRIES: [quay.io, 5]\nIMAGES:\n  a: 1.5\n  b: ~\n  c: x:1\n",
        );
        assert_eq!(
            kinds(&loaded),
            [
                "item 2 of MP_APPROVED_REGISTRIES must be a string, found a number",
                "IMAGES.a must be an image reference string, found a number",
                "IMAGES.b must be an image reference string, found null (nothing)"
            ]
        );
        assert_eq!(loaded.problems[1].line, Some(3));
        assert_eq!(loaded.vars.unwrap().images.len(), 1);
    }

    #[test]
    fn an_empty_images_block_is_an_empty_map() {
        let loaded = parse_text("MP_APPROVED_REGISTRIES: []\nIMAGES:\nOTHER: 1\n");
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert!(loaded.vars.unwrap().images.is_empty());
    }

    #[test]
    fn top_level_must_be_a_mapping() {
        assert_eq!(
            kinds(&parse_text("- a\n")),
            ["the top level must be a mapping, found a list"]
        );
    }

    #[test]
    fn alias_bombs_are_refused_not_expanded() {
        let mut text = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for (name, prev) in [
            ("b", "a"),
            ("c", "b"),
            ("d", "c"),
            ("e", "d"),
            ("f", "e"),
            ("g", "f"),
        ] {
            text.push_str(&format!(
                "{name}: &{name} [{}]\n",
                vec![format!("*{prev}"); 9].join(",")
            ));
        }
        let loaded = parse_text(&text);
        assert!(matches!(
            loaded.problems[0].kind,
            ProblemKind::Syntax { .. }
        ));
    }

    #[test]
    fn values_the_scanner_cannot_place_keep_a_line_but_no_span() {
        let loaded = parse_text("MP_APPROVED_REGISTRIES: []\nIMAGES:\n  a: >-\n    x:1\n");
        let vars = loaded.vars.unwrap();
        assert_eq!(&*vars.images[0].value, "x:1");
        assert_eq!(vars.images[0].line, 3);
        assert!(vars.images[0].value_span.is_none());
    }
}
