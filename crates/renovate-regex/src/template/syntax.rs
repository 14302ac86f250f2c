//! Handlebars 4.7's template syntax: its lexer rules in their order, its grammar, and
//! its whitespace control (`~` and standalone lines), so a template means here what it
//! means to the `handlebars` package Renovate compiles it with.

use super::value::Value;

/// `{{~` and `~}}` on one tag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Strip {
    pub open: bool,
    pub close: bool,
}

#[derive(Debug, Clone)]
pub struct Program {
    pub body: Vec<Stmt>,
    /// An `{{else if ...}}` chain's link: its one statement is the chained block.
    pub chained: bool,
    pub block_params: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Stmt {
    Content(Content),
    Mustache {
        call: Call,
        escaped: bool,
        strip: Strip,
    },
    Block(Box<Block>),
    Comment {
        strip: Strip,
    },
    /// `{{> name}}`: Renovate registers no partials, so rendering one throws.
    Partial {
        name: String,
        strip: Strip,
    },
}

#[derive(Debug, Clone)]
pub struct Content {
    pub value: String,
    pub original: String,
    left_stripped: bool,
    right_stripped: bool,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub call: Call,
    pub program: Option<Program>,
    pub inverse: Option<Program>,
    open_strip: Strip,
    inverse_strip: Strip,
    close_strip: Strip,
}

/// A helper name or path with its arguments.
#[derive(Debug, Clone)]
pub struct Call {
    pub path: Expr,
    pub params: Vec<Expr>,
    pub hash: Vec<(String, Expr)>,
}

#[derive(Debug, Clone)]
pub enum Expr {
    Path(Path),
    Literal(Value),
    Sub(Box<Call>),
}

#[derive(Debug, Clone)]
pub struct Path {
    /// `@name`.
    pub data: bool,
    /// How many `../` lead it.
    pub depth: usize,
    pub parts: Vec<String>,
    pub original: String,
}

impl Path {
    /// Handlebars' `simpleId`: one part, no `this`/`.` scope, no depth. Only such a name
    /// can be a helper or a block parameter.
    pub fn is_simple(&self) -> bool {
        self.parts.len() == 1 && !self.is_scoped() && self.depth == 0
    }

    /// `scopedId`: `/^\.|this\b/` on the text as written.
    pub fn is_scoped(&self) -> bool {
        self.original.starts_with('.')
            || self.original.match_indices("this").any(|(at, _)| {
                !self.original[at + 4..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    }
}

/// JavaScript's `\s`.
pub fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

fn is_id_char(c: char) -> bool {
    !(js_space(c)
        || matches!(c, '!' | '"' | '#' | '%'..=',' | '.' | '/' | ';'..='>' | '@' | '['..='^' | '`' | '{'..='~'))
}

/// `(?=[=~}\s\/.)|])`, the lookahead an identifier needs.
fn ends_id(c: Option<char>) -> bool {
    c.is_some_and(|c| js_space(c) || matches!(c, '=' | '~' | '}' | '/' | '.' | ')' | '|'))
}

/// `(?=[~}\s)])`, the lookahead a literal needs.
fn ends_literal(c: Option<char>) -> bool {
    c.is_some_and(|c| js_space(c) || matches!(c, '~' | '}' | ')'))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Content(String),
    Comment(String),
    Open { strip: bool, escaped: bool },
    OpenUnescaped { strip: bool },
    OpenBlock { strip: bool },
    OpenEndBlock { strip: bool },
    OpenInverse { strip: bool },
    OpenInverseChain { strip: bool },
    Inverse(Strip),
    OpenPartial { strip: bool },
    Unsupported(&'static str),
    CloseRawBlock,
    Close { strip: bool },
    CloseUnescaped { strip: bool },
    OpenSexpr,
    CloseSexpr,
    Equals,
    Id(String),
    Sep(char),
    Data,
    Str(String),
    Number(f64),
    Bool(bool),
    Undefined,
    Null,
    OpenBlockParams,
    CloseBlockParams,
    Invalid(char),
    Eof,
}

/// Handlebars' lexer: its rules tried in order at each position, in its states.
fn lex(source: &str) -> Result<Vec<Tok>, String> {
    let mut tokens = Vec::new();
    let mut at = 0;
    let mut in_mustache = false;
    let mut escaped_mustache = false;
    let starts = |at: usize, s: &str| source[at..].starts_with(s);
    while at < source.len() || in_mustache {
        let rest = &source[at..];
        if escaped_mustache {
            // `[^\x00]{2,}?(?=(\{\{|\\\{\{|\\\\\{\{|$))`
            let mut end = None;
            for (offset, _) in rest.char_indices().skip(2) {
                let tail = &rest[offset..];
                if tail.starts_with("{{") || tail.starts_with("\\{{") || tail.starts_with("\\\\{{")
                {
                    end = Some(offset);
                    break;
                }
            }
            let end = end.unwrap_or(rest.len());
            if rest[..end].contains('\0') || rest[..end].chars().count() < 2 {
                return Err("a NUL character or an escaped `{{` at the end".into());
            }
            tokens.push(Tok::Content(rest[..end].to_string()));
            at += end;
            escaped_mustache = false;
            continue;
        }
        if !in_mustache {
            let (content, next) = match rest.find("{{") {
                Some(open) => (&rest[..open], true),
                None => (rest, false),
            };
            if content.contains('\0') {
                return Err("the template holds a NUL character".into());
            }
            at += content.len();
            let mut content = content.to_string();
            if next {
                if content.ends_with("\\\\") {
                    content.pop();
                    in_mustache = true;
                } else if content.ends_with('\\') {
                    content.pop();
                    escaped_mustache = true;
                } else {
                    in_mustache = true;
                }
            }
            if !content.is_empty() {
                tokens.push(Tok::Content(content));
            }
            if !next {
                break;
            }
            continue;
        }
        let next_char = rest.chars().next();
        let (token, length) = if rest.is_empty() {
            (Tok::Eof, 0)
        } else if starts(at, "(") {
            (Tok::OpenSexpr, 1)
        } else if starts(at, ")") {
            (Tok::CloseSexpr, 1)
        } else if starts(at, "{{{{") {
            (Tok::Unsupported("raw blocks ({{{{raw}}}})"), 4)
        } else if starts(at, "}}}}") {
            // CLOSE_RAW_BLOCK, which only a raw block's opening tag may end with.
            (Tok::CloseRawBlock, 4)
        } else if let Some(after) = rest.strip_prefix("{{") {
            let strip = after.starts_with('~');
            let body = if strip { &after[1..] } else { after };
            let prefix = 2 + usize::from(strip);
            let trimmed = body.trim_start_matches(js_space);
            let spaces = body.len() - trimmed.len();
            if body.starts_with('>') {
                (Tok::OpenPartial { strip }, prefix + 1)
            } else if body.starts_with("#>") {
                (Tok::Unsupported("partial blocks ({{#> name}})"), prefix + 2)
            } else if body.starts_with("#*") {
                (
                    Tok::Unsupported("decorator blocks ({{#* name}})"),
                    prefix + 2,
                )
            } else if body.starts_with('#') {
                (Tok::OpenBlock { strip }, prefix + 1)
            } else if body.starts_with('/') {
                (Tok::OpenEndBlock { strip }, prefix + 1)
            } else if let Some(length) = standalone_inverse(body, "^") {
                let close_strip = body[..length].ends_with("~}}");
                (
                    Tok::Inverse(Strip {
                        open: strip,
                        close: close_strip,
                    }),
                    prefix + length,
                )
            } else if let Some(length) = standalone_inverse(trimmed, "else") {
                let close_strip = trimmed[..length].ends_with("~}}");
                (
                    Tok::Inverse(Strip {
                        open: strip,
                        close: close_strip,
                    }),
                    prefix + spaces + length,
                )
            } else if body.starts_with('^') {
                (Tok::OpenInverse { strip }, prefix + 1)
            } else if trimmed.starts_with("else")
                && !trimmed[4..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                (Tok::OpenInverseChain { strip }, prefix + spaces + 4)
            } else if body.starts_with('{') {
                (Tok::OpenUnescaped { strip }, prefix + 1)
            } else if body.starts_with('&') {
                (
                    Tok::Open {
                        strip,
                        escaped: false,
                    },
                    prefix + 1,
                )
            } else if body.starts_with("!--") {
                let Some(end) = comment_end(rest) else {
                    return Err("a `{{!--` comment is never closed".into());
                };
                in_mustache = false;
                (Tok::Comment(rest[..end].to_string()), end)
            } else if body.starts_with('!') {
                let Some(close) = rest.find("}}") else {
                    return Err("a `{{!` comment is never closed".into());
                };
                in_mustache = false;
                (Tok::Comment(rest[..close + 2].to_string()), close + 2)
            } else if body.starts_with('*') {
                (Tok::Unsupported("decorators ({{* name}})"), prefix + 1)
            } else {
                (
                    Tok::Open {
                        strip,
                        escaped: true,
                    },
                    prefix,
                )
            }
        } else if starts(at, "=") {
            (Tok::Equals, 1)
        } else if starts(at, "..") {
            (Tok::Id("..".into()), 2)
        } else if starts(at, ".") && ends_id(rest[1..].chars().next()) {
            (Tok::Id(".".into()), 1)
        } else if starts(at, "/") || starts(at, ".") {
            (Tok::Sep(next_char.expect("not at the end")), 1)
        } else if next_char.is_some_and(js_space) {
            let length = rest.len() - rest.trim_start_matches(js_space).len();
            at += length;
            continue;
        } else if starts(at, "}}}") || starts(at, "}~}}") {
            in_mustache = false;
            let strip = starts(at, "}~");
            (Tok::CloseUnescaped { strip }, if strip { 4 } else { 3 })
        } else if starts(at, "}}") || starts(at, "~}}") {
            in_mustache = false;
            let strip = starts(at, "~");
            (Tok::Close { strip }, if strip { 3 } else { 2 })
        } else if let Some(quote @ ('"' | '\'')) = next_char {
            match quoted(&rest[1..], quote) {
                Some((text, length)) => (Tok::Str(text), length + 1),
                None => (Tok::Invalid(quote), 1),
            }
        } else if starts(at, "@") {
            (Tok::Data, 1)
        } else if let Some((token, length)) = keyword(rest) {
            (token, length)
        } else if let Some(length) = number(rest) {
            (
                Tok::Number(rest[..length].parse().expect("digits parse")),
                length,
            )
        } else if let Some(length) = block_params_open(rest) {
            (Tok::OpenBlockParams, length)
        } else if starts(at, "|") {
            (Tok::CloseBlockParams, 1)
        } else if let Some(length) = identifier(rest) {
            (Tok::Id(rest[..length].to_string()), length)
        } else if let Some((text, length)) = bracketed(rest) {
            (Tok::Id(text), length)
        } else {
            let c = next_char.expect("not at the end");
            (Tok::Invalid(c), c.len_utf8())
        };
        let done = token == Tok::Eof;
        if matches!(token, Tok::Inverse(_)) {
            // `{{else}}` and `{{^}}` are whole tags: back to text.
            in_mustache = false;
        }
        tokens.push(token);
        if done {
            return Ok(tokens);
        }
        at += length;
    }
    tokens.push(Tok::Eof);
    Ok(tokens)
}

/// `{{!-- ... --}}`: `[\s\S]*?--(~)?\}\}` from the comment's start.
fn comment_end(rest: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(dashes) = rest[from..].find("--") {
        let at = from + dashes + 2;
        if rest[at..].starts_with("}}") {
            return Some(at + 2);
        }
        if rest[at..].starts_with("~}}") {
            return Some(at + 3);
        }
        from += dashes + 1;
    }
    None
}

/// `^\s*(~)?\}\}` (for `^`) or `else\s*(~)?\}\}` after the mark: the whole tag's length
/// from the mark.
fn standalone_inverse(body: &str, mark: &str) -> Option<usize> {
    let after = body.strip_prefix(mark)?;
    let trimmed = after.trim_start_matches(js_space);
    let spaces = after.len() - trimmed.len();
    if trimmed.starts_with("}}") {
        Some(mark.len() + spaces + 2)
    } else if trimmed.starts_with("~}}") {
        Some(mark.len() + spaces + 3)
    } else {
        None
    }
}

/// `"(\\["]|[^"])*"`, its text with `\"` unescaped, and the length after the opening
/// quote.
fn quoted(rest: &str, quote: char) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|(_, next)| *next == quote) {
            chars.next();
            text.push(quote);
        } else if c == quote {
            return Some((text, at + 1));
        } else {
            text.push(c);
        }
    }
    None
}

fn keyword(rest: &str) -> Option<(Tok, usize)> {
    for (word, token) in [
        ("true", Tok::Bool(true)),
        ("false", Tok::Bool(false)),
        ("undefined", Tok::Undefined),
        ("null", Tok::Null),
    ] {
        if rest.starts_with(word) && ends_literal(rest[word.len()..].chars().next()) {
            return Some((token, word.len()));
        }
    }
    None
}

/// `-?[0-9]+(?:\.[0-9]+)?(?=([~}\s)]))`.
fn number(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let mut at = usize::from(bytes.first() == Some(&b'-'));
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let whole = digits(at);
    if whole == 0 {
        return None;
    }
    at += whole;
    if bytes.get(at) == Some(&b'.') {
        let fraction = digits(at + 1);
        if fraction > 0 && ends_literal(rest[at + 1 + fraction..].chars().next()) {
            return Some(at + 1 + fraction);
        }
    }
    ends_literal(rest[at..].chars().next()).then_some(at)
}

/// `as\s+\|`.
fn block_params_open(rest: &str) -> Option<usize> {
    let after = rest.strip_prefix("as")?;
    let trimmed = after.trim_start_matches(js_space);
    (trimmed.len() < after.len() && trimmed.starts_with('|'))
        .then(|| rest.len() - trimmed.len() + 1)
}

/// `[^\s!"#%-,\.\/;->@\[-\^`\{-~]+(?=([=~}\s\/.)|]))`: the whole run, which must be
/// followed by one of those characters.
fn identifier(rest: &str) -> Option<usize> {
    let length: usize = rest
        .chars()
        .take_while(|c| is_id_char(*c))
        .map(char::len_utf8)
        .sum();
    (length > 0 && ends_id(rest[length..].chars().next())).then_some(length)
}

/// `\[(\\\]|[^\]])*\]`, kept with its brackets (they mark a literal segment).
fn bracketed(rest: &str) -> Option<(String, usize)> {
    let inner = rest.strip_prefix('[')?;
    let mut chars = inner.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|(_, next)| *next == ']') {
            chars.next();
        } else if c == ']' {
            let raw = &rest[..at + 2];
            let mut text = String::new();
            let mut raw_chars = raw.chars().peekable();
            while let Some(c) = raw_chars.next() {
                if c == '\\' && raw_chars.peek().is_some_and(|n| *n == '\\' || *n == ']') {
                    text.push(raw_chars.next().expect("peeked"));
                } else {
                    text.push(c);
                }
            }
            return Some((text, at + 2));
        }
    }
    None
}

struct Parser {
    tokens: Vec<Tok>,
    at: usize,
    /// The error came from a construct Handlebars accepts and img-mirror does not run.
    unsupported: bool,
}

/// What `{{else}}` or an `{{else if}}` chain hands the block it ends.
struct InverseAndProgram {
    strip: Strip,
    program: Program,
    chain: bool,
}

struct OpenBlock {
    call: Call,
    strip: Strip,
    block_params: Vec<String>,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Tok {
        let token = self.peek().clone();
        self.at += 1;
        token
    }

    fn unexpected(&mut self, expecting: &str) -> String {
        let found = match self.peek() {
            Tok::Eof => "the end of the template".to_string(),
            Tok::Invalid(c) => format!("`{c}`"),
            Tok::Unsupported(what) => {
                let what = *what;
                self.unsupported = true;
                return format!("{what} are not reproduced by img-mirror");
            }
            other => format!("{other:?}"),
        };
        format!("parse error: expecting {expecting}, found {found}")
    }

    fn program(&mut self) -> Result<Program, String> {
        let mut body = Vec::new();
        loop {
            match self.peek().clone() {
                Tok::Content(text) => {
                    self.at += 1;
                    body.push(Stmt::Content(Content {
                        value: text.clone(),
                        original: text,
                        left_stripped: false,
                        right_stripped: false,
                    }));
                }
                Tok::Comment(text) => {
                    self.at += 1;
                    body.push(Stmt::Comment {
                        strip: strip_flags(&text, &text),
                    });
                }
                Tok::Open { strip, escaped } => {
                    self.at += 1;
                    let call = self.call_tail()?;
                    let Tok::Close { strip: close } = self.next() else {
                        self.at -= 1;
                        return Err(self.unexpected("`}}`"));
                    };
                    body.push(Stmt::Mustache {
                        call,
                        escaped,
                        strip: Strip { open: strip, close },
                    });
                }
                Tok::OpenUnescaped { strip } => {
                    self.at += 1;
                    let call = self.call_tail()?;
                    let Tok::CloseUnescaped { strip: close } = self.next() else {
                        self.at -= 1;
                        return Err(self.unexpected("`}}}`"));
                    };
                    body.push(Stmt::Mustache {
                        call,
                        escaped: false,
                        strip: Strip { open: strip, close },
                    });
                }
                Tok::OpenBlock { strip } => {
                    self.at += 1;
                    body.push(Stmt::Block(Box::new(self.block(strip, false)?)));
                }
                Tok::OpenInverse { strip } => {
                    self.at += 1;
                    body.push(Stmt::Block(Box::new(self.block(strip, true)?)));
                }
                Tok::OpenPartial { strip } => {
                    self.at += 1;
                    let call = self.call_tail()?;
                    let Tok::Close { strip: close } = self.next() else {
                        self.at -= 1;
                        return Err(self.unexpected("`}}`"));
                    };
                    let name = match &call.path {
                        Expr::Path(path) => path.original.clone(),
                        Expr::Literal(value) => value.to_js_string(),
                        Expr::Sub(_) => "(dynamic)".into(),
                    };
                    body.push(Stmt::Partial {
                        name,
                        strip: Strip { open: strip, close },
                    });
                }
                Tok::Unsupported(_) | Tok::Invalid(_) => {
                    return Err(self.unexpected("text or a tag"));
                }
                _ => {
                    return Ok(Program {
                        body,
                        chained: false,
                        block_params: Vec::new(),
                    });
                }
            }
        }
    }

    fn open_block_tail(&mut self, strip: bool) -> Result<OpenBlock, String> {
        let call = self.call_tail()?;
        let mut block_params = Vec::new();
        if *self.peek() == Tok::OpenBlockParams {
            self.at += 1;
            while let Tok::Id(name) = self.peek().clone() {
                self.at += 1;
                block_params.push(unbracket(&name));
            }
            if block_params.is_empty() || self.next() != Tok::CloseBlockParams {
                self.at -= 1;
                return Err(self.unexpected("block parameter names and `|`"));
            }
        }
        let Tok::Close { strip: close } = self.next() else {
            self.at -= 1;
            return Err(self.unexpected("`}}`"));
        };
        Ok(OpenBlock {
            call,
            strip: Strip { open: strip, close },
            block_params,
        })
    }

    fn block(&mut self, strip: bool, inverted: bool) -> Result<Block, String> {
        let open = self.open_block_tail(strip)?;
        let program = self.program()?;
        let inverse = match self.peek() {
            Tok::Inverse(_) => Some(self.inverse_chain()?),
            Tok::OpenInverseChain { .. } if !inverted => Some(self.inverse_chain()?),
            _ => None,
        };
        let Tok::OpenEndBlock { strip: close_open } = self.next() else {
            self.at -= 1;
            return Err(self.unexpected(&format!("`{{{{/{}}}}}`", open.call.original())));
        };
        let name = self.helper_name()?;
        let Tok::Close { strip: close_close } = self.next() else {
            self.at -= 1;
            return Err(self.unexpected("`}}`"));
        };
        let opened = open.call.original();
        let closed = expr_original(&name);
        if opened != closed {
            return Err(format!("{opened} doesn't match {closed}"));
        }
        let close = Strip {
            open: close_open,
            close: close_close,
        };
        Ok(prepare_block(open, program, inverse, Some(close), inverted))
    }

    fn inverse_chain(&mut self) -> Result<InverseAndProgram, String> {
        match self.next() {
            Tok::Inverse(strip) => Ok(InverseAndProgram {
                strip,
                program: self.program()?,
                chain: false,
            }),
            Tok::OpenInverseChain { strip } => {
                let open = self.open_block_tail(strip)?;
                let open_strip = open.strip;
                let program = self.program()?;
                let next = match self.peek() {
                    Tok::Inverse(_) | Tok::OpenInverseChain { .. } => Some(self.inverse_chain()?),
                    _ => None,
                };
                let close = next.as_ref().map(|next| next.strip);
                let block = prepare_block(open, program, next, close, false);
                Ok(InverseAndProgram {
                    strip: open_strip,
                    program: Program {
                        body: vec![Stmt::Block(Box::new(block))],
                        chained: true,
                        block_params: Vec::new(),
                    },
                    chain: true,
                })
            }
            _ => unreachable!("called on an inverse"),
        }
    }

    /// `helperName param* hash?` up to the closing token.
    fn call_tail(&mut self) -> Result<Call, String> {
        let path = self.helper_name()?;
        let mut params = Vec::new();
        let mut hash = Vec::new();
        loop {
            if let Tok::Id(name) = self.peek().clone()
                && self.tokens.get(self.at + 1) == Some(&Tok::Equals)
            {
                self.at += 2;
                hash.push((unbracket(&name), self.param()?));
                continue;
            }
            if !hash.is_empty() {
                break;
            }
            match self.peek() {
                Tok::Id(_)
                | Tok::Data
                | Tok::Str(_)
                | Tok::Number(_)
                | Tok::Bool(_)
                | Tok::Undefined
                | Tok::Null
                | Tok::OpenSexpr => params.push(self.param()?),
                _ => break,
            }
        }
        Ok(Call { path, params, hash })
    }

    fn param(&mut self) -> Result<Expr, String> {
        if *self.peek() == Tok::OpenSexpr {
            self.at += 1;
            let call = self.call_tail()?;
            if self.next() != Tok::CloseSexpr {
                self.at -= 1;
                return Err(self.unexpected("`)`"));
            }
            return Ok(Expr::Sub(Box::new(call)));
        }
        self.helper_name()
    }

    fn helper_name(&mut self) -> Result<Expr, String> {
        Ok(match self.next() {
            Tok::Str(s) => Expr::Literal(Value::Str(s)),
            Tok::Number(n) => Expr::Literal(Value::Number(n)),
            Tok::Bool(b) => Expr::Literal(Value::Bool(b)),
            Tok::Undefined => Expr::Literal(Value::Undefined),
            Tok::Null => Expr::Literal(Value::Null),
            Tok::Data => {
                let Tok::Id(first) = self.next() else {
                    self.at -= 1;
                    return Err(self.unexpected("a name after `@`"));
                };
                Expr::Path(self.path(first, true)?)
            }
            Tok::Id(first) => Expr::Path(self.path(first, false)?),
            _ => {
                self.at -= 1;
                return Err(self.unexpected("a name or a value"));
            }
        })
    }

    /// `pathSegments: pathSegments SEP ID | ID`, prepared as `preparePath` does.
    fn path(&mut self, first: String, data: bool) -> Result<Path, String> {
        let mut segments = vec![(None, first)];
        while let Tok::Sep(separator) = *self.peek() {
            let Some(Tok::Id(next)) = self.tokens.get(self.at + 1).cloned() else {
                self.at += 1;
                return Err(self.unexpected("a name after the separator"));
            };
            self.at += 2;
            segments.push((Some(separator), next));
        }
        let mut original = if data { "@".to_string() } else { String::new() };
        let mut parts = Vec::new();
        let mut depth = 0;
        for (separator, segment) in &segments {
            let literal = segment.starts_with('[') && segment.ends_with(']');
            let part = unbracket(segment);
            original.extend(*separator);
            original.push_str(&part);
            if !literal && (part == ".." || part == "." || part == "this") {
                if !parts.is_empty() {
                    return Err(format!("Invalid path: {original}"));
                } else if part == ".." {
                    depth += 1;
                }
            } else {
                parts.push(part);
            }
        }
        Ok(Path {
            data,
            depth,
            parts,
            original,
        })
    }
}

impl Call {
    /// The helper name as written, for matching `{{/name}}`.
    fn original(&self) -> String {
        expr_original(&self.path)
    }
}

fn expr_original(expr: &Expr) -> String {
    match expr {
        Expr::Path(path) => path.original.clone(),
        Expr::Literal(value) => value.to_js_string(),
        Expr::Sub(_) => String::new(),
    }
}

fn unbracket(segment: &str) -> String {
    if segment.len() >= 2 && segment.starts_with('[') && segment.ends_with(']') {
        segment[1..segment.len() - 1].to_string()
    } else {
        segment.to_string()
    }
}

/// `stripFlags(open, close)`: a `~` right inside either end.
fn strip_flags(open: &str, close: &str) -> Strip {
    Strip {
        open: open.chars().nth(2) == Some('~'),
        close: close.len() >= 3 && close.as_bytes()[close.len() - 3] == b'~',
    }
}

fn prepare_block(
    open: OpenBlock,
    mut program: Program,
    inverse: Option<InverseAndProgram>,
    close: Option<Strip>,
    inverted: bool,
) -> Block {
    program.block_params = open.block_params;
    let mut inverse_strip = Strip::default();
    let mut inverse_program = None;
    if let Some(mut found) = inverse {
        if found.chain
            && let Some(Stmt::Block(chained)) = found.program.body.first_mut()
        {
            chained.close_strip = close.unwrap_or_default();
        }
        inverse_strip = found.strip;
        inverse_program = Some(found.program);
    }
    let (program, inverse) = if inverted {
        (inverse_program, Some(program))
    } else {
        (Some(program), inverse_program)
    };
    Block {
        call: open.call,
        program,
        inverse,
        open_strip: open.strip,
        inverse_strip,
        close_strip: close.unwrap_or_default(),
    }
}

/// Why a template does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// Handlebars parses it; img-mirror does not run such templates.
    pub unsupported: bool,
}

/// Parses a template into its root program, whitespace control applied.
pub fn parse(source: &str) -> Result<Program, SyntaxError> {
    let tokens = lex(source).map_err(|message| SyntaxError {
        message,
        unsupported: false,
    })?;
    let mut parser = Parser {
        tokens,
        at: 0,
        unsupported: false,
    };
    let parsed = parser.program().and_then(|program| {
        if *parser.peek() == Tok::Eof {
            Ok(program)
        } else {
            Err(parser.unexpected("text or a tag"))
        }
    });
    let mut program = parsed.map_err(|message| SyntaxError {
        message,
        unsupported: parser.unsupported,
    })?;
    let mut control = WhitespaceControl { root_seen: false };
    control.program(&mut program);
    Ok(program)
}

/// What a statement tells its program about stripping around it.
#[derive(Default)]
struct StripInfo {
    open: bool,
    close: bool,
    open_standalone: bool,
    close_standalone: bool,
    inline_standalone: bool,
}

struct WhitespaceControl {
    root_seen: bool,
}

impl WhitespaceControl {
    fn program(&mut self, program: &mut Program) {
        let is_root = !self.root_seen;
        self.root_seen = true;
        let body = &mut program.body;
        for i in 0..body.len() {
            let Some(strip) = self.statement(&mut body[i]) else {
                continue;
            };
            let prev = is_prev_whitespace(body, Some(i), is_root);
            let next = is_next_whitespace(body, Some(i), is_root);
            let open_standalone = strip.open_standalone && prev;
            let close_standalone = strip.close_standalone && next;
            let inline_standalone = strip.inline_standalone && prev && next;
            if strip.close {
                omit_right(body, Some(i), true);
            }
            if strip.open {
                omit_left(body, Some(i), true);
            }
            if inline_standalone {
                omit_right(body, Some(i), false);
                omit_left(body, Some(i), false);
            }
            if open_standalone {
                if let Stmt::Block(block) = &mut body[i]
                    && let Some(first) = block.program.as_mut().or(block.inverse.as_mut())
                {
                    omit_right(&mut first.body, None, false);
                }
                omit_left(body, Some(i), false);
            }
            if close_standalone {
                omit_right(body, Some(i), false);
                if let Stmt::Block(block) = &mut body[i]
                    && let Some(last) = block.inverse.as_mut().or(block.program.as_mut())
                {
                    omit_left(&mut last.body, None, false);
                }
            }
        }
    }

    fn statement(&mut self, statement: &mut Stmt) -> Option<StripInfo> {
        match statement {
            Stmt::Content(_) => None,
            Stmt::Mustache { strip, .. } => Some(StripInfo {
                open: strip.open,
                close: strip.close,
                ..StripInfo::default()
            }),
            Stmt::Comment { strip } | Stmt::Partial { strip, .. } => Some(StripInfo {
                open: strip.open,
                close: strip.close,
                inline_standalone: true,
                ..StripInfo::default()
            }),
            Stmt::Block(block) => Some(self.block(block)),
        }
    }

    fn block(&mut self, block: &mut Block) -> StripInfo {
        if let Some(program) = &mut block.program {
            self.program(program);
        }
        if let Some(inverse) = &mut block.inverse {
            self.program(inverse);
        }
        let has_both = block.program.is_some() && block.inverse.is_some();
        let (open_strip, inverse_strip, close_strip) =
            (block.open_strip, block.inverse_strip, block.close_strip);
        // `program` is the first program, `inverse` the second when there are two.
        let (program, inverse) = match (&mut block.program, &mut block.inverse) {
            (Some(program), inverse) if has_both => (program, inverse.as_mut()),
            (Some(program), _) => (program, None),
            (None, Some(inverse)) => (inverse, None),
            (None, None) => unreachable!("a block has a program"),
        };
        let open_standalone = is_next_whitespace(&program.body, None, false);
        let close_standalone = match &inverse {
            Some(inverse) => is_prev_whitespace(&first_inverse(inverse).body, None, false),
            None => is_prev_whitespace(&program.body, None, false),
        };
        if open_strip.close {
            omit_right(&mut program.body, None, true);
        }
        if let Some(inverse) = inverse {
            if inverse_strip.open {
                omit_left(&mut program.body, None, true);
            }
            if inverse_strip.close {
                omit_right(&mut first_inverse_mut(inverse).body, None, true);
            }
            if close_strip.open {
                omit_left(&mut last_inverse_mut(inverse).body, None, true);
            }
            if is_prev_whitespace(&program.body, None, false)
                && is_next_whitespace(&first_inverse(inverse).body, None, false)
            {
                omit_left(&mut program.body, None, false);
                omit_right(&mut first_inverse_mut(inverse).body, None, false);
            }
        } else if close_strip.open {
            omit_left(&mut program.body, None, true);
        }
        StripInfo {
            open: open_strip.open,
            close: close_strip.close,
            open_standalone,
            close_standalone,
            inline_standalone: false,
        }
    }
}

/// `inverse.body[0].program` of a chained inverse, else the inverse itself.
fn first_inverse(inverse: &Program) -> &Program {
    if inverse.chained
        && let Some(Stmt::Block(block)) = inverse.body.first()
        && let Some(program) = &block.program
    {
        return program;
    }
    inverse
}

fn first_inverse_mut(inverse: &mut Program) -> &mut Program {
    if inverse.chained
        && matches!(inverse.body.first(), Some(Stmt::Block(block)) if block.program.is_some())
    {
        let Some(Stmt::Block(block)) = inverse.body.first_mut() else {
            unreachable!("checked above")
        };
        return block.program.as_mut().expect("checked above");
    }
    inverse
}

/// Follows the chain: each link's last statement's program, as Handlebars walks it.
fn last_inverse_mut(inverse: &mut Program) -> &mut Program {
    let mut current = inverse;
    loop {
        let descends = current.chained
            && matches!(current.body.last(), Some(Stmt::Block(block)) if block.program.is_some());
        if !descends {
            return current;
        }
        let Some(Stmt::Block(block)) = current.body.last_mut() else {
            unreachable!("checked above")
        };
        current = block.program.as_mut().expect("checked above");
    }
}

fn content_original(statement: Option<&Stmt>) -> Option<&str> {
    match statement {
        Some(Stmt::Content(content)) => Some(&content.original),
        _ => None,
    }
}

/// Handlebars' `isPrevWhitespace`; `i` of `None` is the end of the body.
fn is_prev_whitespace(body: &[Stmt], i: Option<usize>, is_root: bool) -> bool {
    let i = i.unwrap_or(body.len());
    let Some(prev) = i.checked_sub(1).map(|p| &body[p]) else {
        return is_root;
    };
    let has_sibling = i >= 2;
    let Some(text) = content_original(Some(prev)) else {
        return false;
    };
    let trailing = &text[text.trim_end_matches(js_space).len()..];
    let newline_in_trailing = trailing.contains('\n');
    if has_sibling || !is_root {
        newline_in_trailing
    } else {
        newline_in_trailing || trailing.len() == text.len()
    }
}

/// Handlebars' `isNextWhitespace`; `i` of `None` is before the first statement.
fn is_next_whitespace(body: &[Stmt], i: Option<usize>, is_root: bool) -> bool {
    let next_index = i.map_or(0, |i| i + 1);
    let Some(next) = body.get(next_index) else {
        return is_root;
    };
    let has_sibling = body.len() > next_index + 1;
    let Some(text) = content_original(Some(next)) else {
        return false;
    };
    let leading = &text[..text.len() - text.trim_start_matches(js_space).len()];
    let newline_in_leading = leading.contains('\n');
    if has_sibling || !is_root {
        newline_in_leading
    } else {
        newline_in_leading || leading.len() == text.len()
    }
}

/// Handlebars' `omitRight`: the content after `i` (or the first) loses its leading
/// whitespace, all of it (`multiple`) or up to and including one line end.
fn omit_right(body: &mut [Stmt], i: Option<usize>, multiple: bool) {
    let index = i.map_or(0, |i| i + 1);
    let Some(Stmt::Content(current)) = body.get_mut(index) else {
        return;
    };
    if !multiple && current.right_stripped {
        return;
    }
    let before = current.value.len();
    if multiple {
        current.value = current.value.trim_start_matches(js_space).to_string();
    } else {
        let value = &current.value;
        let mut cut = value.len() - value.trim_start_matches([' ', '\t']).len();
        if value[cut..].starts_with("\r\n") {
            cut += 2;
        } else if value[cut..].starts_with('\n') {
            cut += 1;
        }
        current.value = value[cut..].to_string();
    }
    current.right_stripped = current.value.len() != before;
}

/// Handlebars' `omitLeft`: the content before `i` (or the last) loses its trailing
/// whitespace, all of it or the spaces and tabs; true when something went.
fn omit_left(body: &mut [Stmt], i: Option<usize>, multiple: bool) -> bool {
    let index = match i {
        None => body.len().checked_sub(1),
        Some(i) => i.checked_sub(1),
    };
    let Some(Stmt::Content(current)) = index.and_then(|index| body.get_mut(index)) else {
        return false;
    };
    if !multiple && current.left_stripped {
        return false;
    }
    let before = current.value.len();
    current.value = if multiple {
        current.value.trim_end_matches(js_space).to_string()
    } else {
        current.value.trim_end_matches([' ', '\t']).to_string()
    };
    current.left_stripped = current.value.len() != before;
    current.left_stripped
}
