//! RE2's own parser, rule for rule: what it accepts, what it refuses (with RE2's error
//! text), and what each construct means. Renovate's patterns reach RE2 with RE2's "Perl
//! like" flags (PerlX, PerlClasses, PerlB, UnicodeGroups, OneLine, ClassNL), so those
//! are the only ones modelled. A brace that does not form `{n}`, `{n,}` or `{n,m}` is a
//! literal; counts above 1000, or nested counts whose product passes 1000, are refused;
//! stacked repetition operators are refused; `\Q..\E`, octal escapes, POSIX classes,
//! `(?P<n>..)` and flag groups are RE2's, whatever the Rust `regex` crate would say.
//! The tree it returns is matched by the `regex` crate only after [`super::emit`]
//! spells every class and flag out explicitly.

use super::unicode;

/// RE2's repetition limit (`maximum_repeat_count`).
const MAX_REPEAT: u32 = 1000;
pub use super::unicode::MAX_RUNE;
/// Groups nested deeper than this are not followed: RE2 has no limit, but the tree is
/// walked recursively here, and no real matchString comes near it.
pub const MAX_DEPTH: usize = 500;

/// Parse flags that change meaning; the others are fixed for Renovate's patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    pub fold_case: bool,
    pub dot_nl: bool,
    pub one_line: bool,
    pub non_greedy: bool,
}

impl Flags {
    /// RE2's flags for `new RE2(pattern, flags)` from node-re2 without `m` or `s`.
    pub fn initial(case_insensitive: bool) -> Flags {
        Flags {
            fold_case: case_insensitive,
            dot_nl: false,
            one_line: true,
            non_greedy: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assertion {
    BeginText,
    EndText,
    BeginLine,
    EndLine,
    WordBoundary,
    NoWordBoundary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatOp {
    Star,
    Plus,
    Quest,
    /// `{min,max}`; `max` is `None` for `{min,}`.
    Counted {
        min: u32,
        max: Option<u32>,
    },
}

/// A parsed RE2 expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Matches the empty string.
    Empty,
    /// A set of code points, sorted and merged (a literal is a class of one, or of
    /// its case-fold orbit under `(?i)`).
    Class(Vec<(u32, u32)>),
    /// `\C`: one byte, whatever it is.
    AnyByte,
    Assert(Assertion),
    Capture {
        index: u32,
        sub: Box<Node>,
    },
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
    Repeat {
        op: RepeatOp,
        /// The flags the operator was parsed under, `non_greedy` already toggled by
        /// a `?` suffix: RE2 compares them when it squashes `(?:a*)*` into `a*`.
        flags: Flags,
        sub: Box<Node>,
    },
}

impl Node {
    pub fn greedy(flags: Flags) -> bool {
        !flags.non_greedy
    }
}

/// A pattern RE2 refuses, with RE2's own text (`invalid repetition size: {1001}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub code: ErrorCode,
    pub arg: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadEscape,
    BadCharRange,
    MissingBracket,
    MissingParen,
    UnexpectedParen,
    TrailingBackslash,
    RepeatArgument,
    RepeatSize,
    RepeatOp,
    BadPerlOp,
    BadNamedCapture,
    /// Not RE2's: groups nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl ErrorCode {
    /// RE2's `RegexpStatus::CodeText`.
    pub fn text(self) -> &'static str {
        match self {
            ErrorCode::BadEscape => "invalid escape sequence",
            ErrorCode::BadCharRange => "invalid character class range",
            ErrorCode::MissingBracket => "missing ]",
            ErrorCode::MissingParen => "missing )",
            ErrorCode::UnexpectedParen => "unexpected )",
            ErrorCode::TrailingBackslash => "trailing \\",
            ErrorCode::RepeatArgument => "no argument for repetition operator",
            ErrorCode::RepeatSize => "invalid repetition size",
            ErrorCode::RepeatOp => "bad repetition operator",
            ErrorCode::BadPerlOp => "invalid perl operator",
            ErrorCode::BadNamedCapture => "invalid named capture group",
            ErrorCode::TooDeep => "groups nested too deeply for img-mirror",
        }
    }
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.arg.is_empty() {
            f.write_str(self.code.text())
        } else {
            write!(f, "{}: {}", self.code.text(), self.arg)
        }
    }
}

/// A parsed pattern: its tree and its capture groups' names, by group number (group 0,
/// the whole match, has none).
#[derive(Debug, Clone)]
pub struct Parsed {
    pub node: Node,
    pub names: Vec<Option<String>>,
}

/// Parses `pattern` (already rewritten by node-re2) as RE2 does.
pub fn parse(pattern: &str, flags: Flags) -> Result<Parsed, SyntaxError> {
    Parser {
        text: pattern,
        pos: 0,
        flags,
        frames: vec![Frame::top(flags)],
        names: vec![None],
    }
    .run()
}

fn error(code: ErrorCode, arg: &str) -> SyntaxError {
    SyntaxError {
        code,
        arg: arg.to_string(),
    }
}

/// An open group: what it restores when it closes, the alternatives finished so far
/// and the concatenation being built.
struct Frame {
    capture: Option<u32>,
    saved_flags: Flags,
    alternatives: Vec<Node>,
    concat: Vec<Node>,
}

impl Frame {
    fn top(flags: Flags) -> Frame {
        Frame {
            capture: None,
            saved_flags: flags,
            alternatives: Vec::new(),
            concat: Vec::new(),
        }
    }

    fn finish(mut self) -> Node {
        let concat = concat_of(std::mem::take(&mut self.concat));
        if self.alternatives.is_empty() {
            return concat;
        }
        self.alternatives.push(concat);
        Node::Alternate(self.alternatives)
    }
}

fn concat_of(mut items: Vec<Node>) -> Node {
    match items.len() {
        0 => Node::Empty,
        1 => items.pop().expect("one item"),
        _ => Node::Concat(items),
    }
}

struct Parser<'p> {
    text: &'p str,
    pos: usize,
    flags: Flags,
    frames: Vec<Frame>,
    names: Vec<Option<String>>,
}

impl<'p> Parser<'p> {
    fn rest(&self) -> &'p str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn frame(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("the top frame stays")
    }

    fn push(&mut self, node: Node) {
        self.frame().concat.push(node);
    }

    fn run(mut self) -> Result<Parsed, SyntaxError> {
        // Where the previous token was a repetition operator, its text: RE2 refuses a
        // second one right after it (`a**`, `a{2}{3}`, `a*+`).
        let mut last_repeat: Option<usize> = None;
        while let Some(c) = self.peek() {
            let start = self.pos;
            let mut is_repeat = false;
            match c {
                '(' => {
                    if self.peek_at(1) == Some('?') {
                        self.perl_flags()?;
                    } else {
                        self.bump();
                        let index = self.names.len() as u32;
                        self.names.push(None);
                        self.open(Some(index))?;
                    }
                }
                '|' => {
                    self.bump();
                    let frame = self.frame();
                    let concat = concat_of(std::mem::take(&mut frame.concat));
                    frame.alternatives.push(concat);
                }
                ')' => {
                    self.bump();
                    self.close()?;
                }
                '^' => {
                    self.bump();
                    let op = if self.flags.one_line {
                        Assertion::BeginText
                    } else {
                        Assertion::BeginLine
                    };
                    self.push(Node::Assert(op));
                }
                '$' => {
                    self.bump();
                    let op = if self.flags.one_line {
                        Assertion::EndText
                    } else {
                        Assertion::EndLine
                    };
                    self.push(Node::Assert(op));
                }
                '.' => {
                    self.bump();
                    let class = if self.flags.dot_nl {
                        vec![(0, MAX_RUNE)]
                    } else {
                        vec![(0, 9), (11, MAX_RUNE)]
                    };
                    self.push(Node::Class(class));
                }
                '[' => {
                    let class = self.char_class()?;
                    self.push(Node::Class(class));
                }
                '*' | '+' | '?' => {
                    self.bump();
                    let op = match c {
                        '*' => RepeatOp::Star,
                        '+' => RepeatOp::Plus,
                        _ => RepeatOp::Quest,
                    };
                    self.repeat(op, start, last_repeat)?;
                    is_repeat = true;
                }
                '{' => match self.counted_repetition() {
                    Some((min, max)) => {
                        self.repeat(RepeatOp::Counted { min, max }, start, last_repeat)?;
                        is_repeat = true;
                    }
                    None => {
                        self.bump();
                        self.literal('{' as u32);
                    }
                },
                '\\' => self.escape()?,
                _ => {
                    self.bump();
                    self.literal(c as u32);
                }
            }
            last_repeat = is_repeat.then_some(start);
        }
        if self.frames.len() > 1 {
            return Err(error(ErrorCode::MissingParen, self.text));
        }
        let top = self.frames.pop().expect("the top frame");
        Ok(Parsed {
            node: top.finish(),
            names: self.names,
        })
    }

    fn open(&mut self, capture: Option<u32>) -> Result<(), SyntaxError> {
        if self.frames.len() > MAX_DEPTH {
            return Err(error(ErrorCode::TooDeep, ""));
        }
        self.frames.push(Frame {
            capture,
            saved_flags: self.flags,
            alternatives: Vec::new(),
            concat: Vec::new(),
        });
        Ok(())
    }

    fn close(&mut self) -> Result<(), SyntaxError> {
        if self.frames.len() == 1 {
            return Err(error(ErrorCode::UnexpectedParen, self.text));
        }
        let frame = self.frames.pop().expect("an open group");
        self.flags = frame.saved_flags;
        let capture = frame.capture;
        let inner = frame.finish();
        let node = match capture {
            Some(index) => Node::Capture {
                index,
                sub: Box::new(inner),
            },
            None => inner,
        };
        self.push(node);
        Ok(())
    }

    /// A literal code point, folded into its orbit under `(?i)`.
    fn literal(&mut self, rune: u32) {
        let node = if self.flags.fold_case {
            let orbit = unicode::fold_orbit(rune);
            Node::Class(normalize(orbit.into_iter().map(|r| (r, r)).collect()))
        } else {
            Node::Class(vec![(rune, rune)])
        };
        self.push(node);
    }

    /// `*`, `+`, `?` or `{n,m}` (with an optional `?`) applied to the last item.
    fn repeat(
        &mut self,
        op: RepeatOp,
        start: usize,
        last_repeat: Option<usize>,
    ) -> Result<(), SyntaxError> {
        let mut flags = self.flags;
        if self.peek() == Some('?') {
            self.bump();
            flags.non_greedy = !flags.non_greedy;
        }
        let op_text = &self.text[start..self.pos];
        if let Some(previous) = last_repeat {
            return Err(error(ErrorCode::RepeatOp, &self.text[previous..self.pos]));
        }
        if let RepeatOp::Counted { min, max } = op
            && (max.is_some_and(|max| max < min)
                || min > MAX_REPEAT
                || max.is_some_and(|max| max > MAX_REPEAT))
        {
            return Err(error(ErrorCode::RepeatSize, op_text));
        }
        let Some(sub) = self.frame().concat.pop() else {
            return Err(error(ErrorCode::RepeatArgument, op_text));
        };
        let node = match (op, &sub) {
            // RE2 squashes a repeat of a repeat parsed under the same flags (reachable
            // through a group: `(?:a+)?` is `a*`).
            (
                RepeatOp::Star | RepeatOp::Plus | RepeatOp::Quest,
                Node::Repeat {
                    op: inner,
                    flags: inner_flags,
                    sub: inner_sub,
                },
            ) if *inner_flags == flags
                && matches!(inner, RepeatOp::Star | RepeatOp::Plus | RepeatOp::Quest) =>
            {
                let squashed = if *inner == op { op } else { RepeatOp::Star };
                Node::Repeat {
                    op: squashed,
                    flags,
                    sub: inner_sub.clone(),
                }
            }
            _ => Node::Repeat {
                op,
                flags,
                sub: Box::new(sub),
            },
        };
        if let RepeatOp::Counted { min, max } = op
            && (min >= 2 || max.is_some_and(|max| max >= 2))
            && repetition_budget(&node, MAX_REPEAT) == 0
        {
            return Err(error(ErrorCode::RepeatSize, op_text));
        }
        self.push(node);
        Ok(())
    }

    /// `{n}`, `{n,}` or `{n,m}` at the cursor, consumed; `None` (nothing consumed) when
    /// the brace is a literal: no digits, a leading zero, a space, `{,n}`, no `}`.
    fn counted_repetition(&mut self) -> Option<(u32, Option<u32>)> {
        let rest = self.rest().as_bytes();
        let mut at = 1;
        let min = integer(rest, &mut at)?;
        let max = match rest.get(at)? {
            b',' => {
                at += 1;
                if *rest.get(at)? == b'}' {
                    None
                } else {
                    Some(integer(rest, &mut at)?)
                }
            }
            _ => Some(min),
        };
        if *rest.get(at)? != b'}' {
            return None;
        }
        self.pos += at + 1;
        Some((min, max))
    }

    /// After `(?`: a named group, flags, or a non-capturing group.
    fn perl_flags(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let t = self.rest().as_bytes();
        if (t.len() > 3 && (t[2] == b'=' || t[2] == b'!'))
            || (t.len() > 4 && t[2] == b'<' && (t[3] == b'=' || t[3] == b'!'))
        {
            let len = if t[2] == b'<' { 4 } else { 3 };
            return Err(error(ErrorCode::BadPerlOp, &self.rest()[..len]));
        }
        if (t.len() > 4 && t[2] == b'P' && t[3] == b'<') || (t.len() > 3 && t[2] == b'<') {
            let begin = if t[2] == b'P' { 4 } else { 3 };
            let Some(end) = self.rest()[begin..].find('>').map(|i| i + begin) else {
                return Err(error(ErrorCode::BadNamedCapture, self.rest()));
            };
            let name = &self.rest()[begin..end];
            if !unicode::is_capture_name(name) {
                return Err(error(ErrorCode::BadNamedCapture, &self.rest()[..=end]));
            }
            let index = self.names.len() as u32;
            self.names.push(Some(name.to_string()));
            self.pos += end + 1;
            return self.open(Some(index));
        }
        self.pos += 2;
        let mut flags = self.flags;
        let mut negated = false;
        let mut saw_flags = false;
        loop {
            let Some(c) = self.bump() else {
                return Err(error(ErrorCode::BadPerlOp, &self.text[start..self.pos]));
            };
            match c {
                'i' => {
                    saw_flags = true;
                    flags.fold_case = !negated;
                }
                'm' => {
                    saw_flags = true;
                    flags.one_line = negated;
                }
                's' => {
                    saw_flags = true;
                    flags.dot_nl = !negated;
                }
                'U' => {
                    saw_flags = true;
                    flags.non_greedy = !negated;
                }
                '-' if !negated => {
                    negated = true;
                    saw_flags = false;
                }
                ':' => {
                    if negated && !saw_flags {
                        return Err(error(ErrorCode::BadPerlOp, &self.text[start..self.pos]));
                    }
                    self.open(None)?;
                    break;
                }
                ')' => {
                    if negated && !saw_flags {
                        return Err(error(ErrorCode::BadPerlOp, &self.text[start..self.pos]));
                    }
                    break;
                }
                _ => return Err(error(ErrorCode::BadPerlOp, &self.text[start..self.pos])),
            }
        }
        self.flags = flags;
        Ok(())
    }

    /// A backslash outside a class.
    fn escape(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        match self.peek_at(1) {
            Some('b') => {
                self.pos += 2;
                self.push(Node::Assert(Assertion::WordBoundary));
                return Ok(());
            }
            Some('B') => {
                self.pos += 2;
                self.push(Node::Assert(Assertion::NoWordBoundary));
                return Ok(());
            }
            Some('A') => {
                self.pos += 2;
                self.push(Node::Assert(Assertion::BeginText));
                return Ok(());
            }
            Some('z') => {
                self.pos += 2;
                self.push(Node::Assert(Assertion::EndText));
                return Ok(());
            }
            Some('C') => {
                self.pos += 2;
                self.push(Node::AnyByte);
                return Ok(());
            }
            Some('Q') => {
                self.pos += 2;
                while !self.rest().is_empty() {
                    if self.rest().starts_with("\\E") {
                        self.pos += 2;
                        break;
                    }
                    let c = self.bump().expect("not empty");
                    self.literal(c as u32);
                }
                return Ok(());
            }
            Some('p' | 'P') => {
                let mut class = Vec::new();
                self.unicode_group(&mut class)?;
                self.push(Node::Class(normalize(class)));
                return Ok(());
            }
            _ => {}
        }
        if let Some(group) = self.perl_class() {
            let mut class = Vec::new();
            add_group(
                &mut class,
                group.ranges,
                group.negated,
                self.flags.fold_case,
            );
            self.push(Node::Class(normalize(class)));
            return Ok(());
        }
        let rune = self.escaped_rune(start)?;
        self.literal(rune);
        Ok(())
    }

    /// `\d`, `\s`, `\w` and their negations at the cursor, consumed.
    fn perl_class(&mut self) -> Option<unicode::AsciiGroup> {
        let rest = self.rest().as_bytes();
        if rest.len() < 2 || rest[0] != b'\\' {
            return None;
        }
        let group = unicode::perl_group(rest[1] as char)?;
        self.pos += 2;
        Some(group)
    }

    /// `\p{Name}`, `\pN`, `\P..`, `\p{^..}` at the cursor, added to `class`.
    fn unicode_group(&mut self, class: &mut Vec<(u32, u32)>) -> Result<(), SyntaxError> {
        let start = self.pos;
        let mut negated = self.peek_at(1) == Some('P');
        self.pos += 2;
        let name = match self.bump() {
            None => "",
            Some('{') => {
                let Some(end) = self.rest().find('}') else {
                    return Err(error(ErrorCode::BadCharRange, &self.text[start..]));
                };
                let name = &self.rest()[..end];
                self.pos += end + 1;
                name
            }
            Some(c) => &self.text[self.pos - c.len_utf8()..self.pos],
        };
        let seq = &self.text[start..self.pos];
        let name = match name.strip_prefix('^') {
            Some(rest) => {
                negated = !negated;
                rest
            }
            None => name,
        };
        let Some(ranges) = unicode::group(name) else {
            return Err(error(ErrorCode::BadCharRange, seq));
        };
        add_group(class, &ranges, negated, self.flags.fold_case);
        Ok(())
    }

    /// An escape that stands for one code point (`\n`, `\x41`, `\x{263a}`, `\101`,
    /// `\.`), consumed; `start` is the backslash.
    fn escaped_rune(&mut self, start: usize) -> Result<u32, SyntaxError> {
        self.bump();
        let Some(c) = self.bump() else {
            return Err(error(ErrorCode::TrailingBackslash, ""));
        };
        let bad = |parser: &Parser| error(ErrorCode::BadEscape, &parser.text[start..parser.pos]);
        match c {
            '1'..='7' if !matches!(self.peek(), Some('0'..='7')) => Err(bad(self)),
            '0'..='7' => {
                let mut code = c as u32 - '0' as u32;
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ '0'..='7') => {
                            self.bump();
                            code = code * 8 + (d as u32 - '0' as u32);
                        }
                        _ => break,
                    }
                }
                Ok(code)
            }
            'x' => {
                let Some(first) = self.bump() else {
                    return Err(bad(self));
                };
                if first == '{' {
                    let mut code: u32 = 0;
                    let mut digits = 0;
                    loop {
                        let Some(d) = self.bump() else {
                            return Err(bad(self));
                        };
                        match d.to_digit(16) {
                            Some(v) => {
                                digits += 1;
                                code = code * 16 + v;
                                if code > MAX_RUNE {
                                    return Err(bad(self));
                                }
                            }
                            None if d == '}' && digits > 0 => return Ok(code),
                            None => return Err(bad(self)),
                        }
                    }
                }
                let Some(second) = self.bump() else {
                    return Err(bad(self));
                };
                match (first.to_digit(16), second.to_digit(16)) {
                    (Some(a), Some(b)) => Ok(a * 16 + b),
                    _ => Err(bad(self)),
                }
            }
            'n' => Ok('\n' as u32),
            'r' => Ok('\r' as u32),
            't' => Ok('\t' as u32),
            'a' => Ok(0x07),
            'f' => Ok(0x0C),
            'v' => Ok(0x0B),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok(c as u32),
            _ => Err(bad(self)),
        }
    }

    /// `[...]`, consumed, as a set of code points.
    fn char_class(&mut self) -> Result<Vec<(u32, u32)>, SyntaxError> {
        let whole = self.pos;
        let fold = self.flags.fold_case;
        self.bump();
        let mut class = Vec::new();
        let negated = self.peek() == Some('^');
        if negated {
            self.bump();
        }
        let mut first = true;
        loop {
            match self.peek() {
                None => return Err(error(ErrorCode::MissingBracket, &self.text[whole..])),
                Some(']') if !first => break,
                _ => {}
            }
            first = false;
            let rest = self.rest();
            if rest.len() > 2 && rest.starts_with("[:") {
                if let Some(end) = rest[2..].find(":]") {
                    let name = &rest[..end + 4];
                    let Some(group) = unicode::posix_group(name) else {
                        return Err(error(ErrorCode::BadCharRange, name));
                    };
                    self.pos += name.len();
                    add_group(&mut class, group.ranges, group.negated, fold);
                    continue;
                }
            }
            if rest.len() > 2 && (rest.starts_with("\\p") || rest.starts_with("\\P")) {
                self.unicode_group(&mut class)?;
                continue;
            }
            if let Some(group) = self.perl_class() {
                add_group(&mut class, group.ranges, group.negated, fold);
                continue;
            }
            let range_start = self.pos;
            let lo = self.class_char(whole)?;
            let rest = self.rest().as_bytes();
            let hi = if rest.len() >= 2 && rest[0] == b'-' && rest[1] != b']' {
                self.bump();
                let hi = self.class_char(whole)?;
                if hi < lo {
                    return Err(error(
                        ErrorCode::BadCharRange,
                        &self.text[range_start..self.pos],
                    ));
                }
                hi
            } else {
                lo
            };
            add_range(&mut class, lo, hi, fold);
        }
        self.bump();
        let class = normalize(class);
        Ok(if negated { negate(&class) } else { class })
    }

    /// One character inside a class: itself or an escape.
    fn class_char(&mut self, whole: usize) -> Result<u32, SyntaxError> {
        match self.peek() {
            None => Err(error(ErrorCode::MissingBracket, &self.text[whole..])),
            Some('\\') => {
                let start = self.pos;
                self.escaped_rune(start)
            }
            Some(c) => {
                self.bump();
                Ok(c as u32)
            }
        }
    }
}

/// RE2's `ParseInteger`: decimal digits, no leading zero, at most 9 digits' worth.
fn integer(text: &[u8], at: &mut usize) -> Option<u32> {
    let digits = text[*at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || (digits >= 2 && text[*at] == b'0') {
        return None;
    }
    let mut n: u32 = 0;
    for &b in &text[*at..*at + digits] {
        if n >= 100_000_000 {
            return None;
        }
        n = n * 10 + u32::from(b - b'0');
    }
    *at += digits;
    Some(n)
}

/// RE2's `RepetitionWalker`: the budget left for the innermost expression after
/// dividing by every counted repetition above it (0: too many copies).
fn repetition_budget(node: &Node, budget: u32) -> u32 {
    let budget = match node {
        Node::Repeat {
            op: RepeatOp::Counted { min, max },
            ..
        } => {
            let m = max.unwrap_or(*min);
            budget.checked_div(m).unwrap_or(budget)
        }
        _ => budget,
    };
    let children: Vec<&Node> = match node {
        Node::Capture { sub, .. } | Node::Repeat { sub, .. } => vec![sub],
        Node::Concat(items) | Node::Alternate(items) => items.iter().collect(),
        _ => Vec::new(),
    };
    children
        .into_iter()
        .map(|child| repetition_budget(child, budget))
        .fold(budget, u32::min)
}

/// Adds `lo..=hi` and, under `(?i)`, every code point that folds with one in it.
fn add_range(class: &mut Vec<(u32, u32)>, lo: u32, hi: u32, fold: bool) {
    class.push((lo, hi));
    if fold {
        for rune in unicode::folding_in(lo, hi) {
            class.extend(unicode::fold_orbit(rune).into_iter().map(|r| (r, r)));
        }
    }
}

/// RE2's `AddUGroup`: a group or its negation; a negated group under `(?i)` is the
/// complement of the folded group.
fn add_group(class: &mut Vec<(u32, u32)>, ranges: &[(u32, u32)], negated: bool, fold: bool) {
    if !negated {
        for &(lo, hi) in ranges {
            add_range(class, lo, hi, fold);
        }
        return;
    }
    if fold {
        let mut positive = Vec::new();
        for &(lo, hi) in ranges {
            add_range(&mut positive, lo, hi, true);
        }
        class.extend(negate(&normalize(positive)));
        return;
    }
    class.extend(negate(&normalize(ranges.to_vec())));
}

/// Sorted, merged ranges.
pub fn normalize(mut ranges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match merged.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    merged
}

/// The complement of sorted, merged ranges within `0..=MAX_RUNE`.
pub fn negate(ranges: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut out = Vec::with_capacity(ranges.len() + 1);
    let mut next = 0;
    for &(lo, hi) in ranges {
        if lo > next {
            out.push((next, lo - 1));
        }
        next = hi + 1;
    }
    if next <= MAX_RUNE {
        out.push((next, MAX_RUNE));
    }
    out
}
