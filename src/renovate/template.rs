//! The Handlebars subset Renovate's custom-manager templates use, rendered the way
//! Renovate 39 renders them (handlebars 4.7, `{{x}}` HTML-escaped).
//!
//! Supported: `{{x}}`, `{{{x}}}`, `{{! comments }}`, `~` whitespace control, `#if`,
//! `#unless` with `else`, sub-expressions, string/number/boolean literals, the built-in
//! `lookup`, and Renovate's helpers `replace`, `lowercase`, `split`, `equals`,
//! `containsString`, `includes`, `and`, `or`, `encodeURIComponent`,
//! `decodeURIComponent`, `toArray`. Anything else is an error, never a different result.

use std::collections::HashMap;
use std::fmt;

use super::re2;

/// Rendered output larger than this is refused (a template is a name or a version).
pub const MAX_OUTPUT: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template {template:?}: {reason}")]
pub struct TemplateError {
    pub template: String,
    pub reason: String,
}

/// A value inside a template: what JavaScript would hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Undefined,
    Bool(bool),
    Number(f64),
    Str(String),
    Array(Vec<Value>),
}

impl Value {
    /// Handlebars' `if`: false, undefined, "", 0 and [] are falsy.
    fn truthy(&self) -> bool {
        match self {
            Value::Undefined => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::Array(items) => !items.is_empty(),
        }
    }

    /// JavaScript's `String(value)`, with undefined as "" as Handlebars prints it.
    fn to_js_string(&self) -> String {
        match self {
            Value::Undefined => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e21 {
                    format!("{}", *n as i64)
                } else {
                    n.to_string()
                }
            }
            Value::Str(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::Undefined => String::new(),
                    other => other.to_js_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// Variables visible to a template.
pub type Context = HashMap<String, Value>;

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Output {
        expr: Expr,
        escape: bool,
    },
    Block {
        helper: BlockKind,
        condition: Expr,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    If,
    Unless,
}

#[derive(Debug, Clone)]
enum Expr {
    Path(String),
    Literal(Value),
    Call { helper: String, args: Vec<Expr> },
}

/// A parsed template, ready to render many times.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    nodes: Vec<Node>,
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let fail = |reason: String| TemplateError {
            template: source.to_string(),
            reason,
        };
        let tokens = tokenize(source).map_err(fail)?;
        let mut parser = Parser {
            tokens,
            position: 0,
        };
        let nodes = parser.nodes(None).map_err(fail)?;
        Ok(Template {
            source: source.to_string(),
            nodes,
        })
    }

    /// The output when the template is plain text (no `{{...}}`), whatever the context.
    pub fn constant(&self) -> Option<String> {
        self.nodes
            .iter()
            .map(|node| match node {
                Node::Text(text) => Some(text.as_str()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|parts| parts.concat())
    }

    pub fn render(&self, context: &Context) -> Result<String, TemplateError> {
        let mut out = String::new();
        render_nodes(&self.nodes, context, &mut out).map_err(|reason| TemplateError {
            template: self.source.clone(),
            reason,
        })?;
        Ok(out)
    }
}

/// Parses and renders in one step.
pub fn render(source: &str, context: &Context) -> Result<String, TemplateError> {
    Template::parse(source)?.render(context)
}

#[derive(Debug, Clone)]
enum Token {
    Text(String),
    /// The inside of `{{ }}` or `{{{ }}}`.
    Tag {
        body: String,
        raw: bool,
    },
}

fn tokenize(source: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = source;
    let mut strip_next_text = false;
    while !rest.is_empty() {
        let Some(open) = rest.find("{{") else {
            push_text(&mut tokens, rest, strip_next_text);
            break;
        };
        // `\{{` is a literal `{{` in Handlebars.
        if open > 0 && rest[..open].ends_with('\\') {
            push_text(&mut tokens, &rest[..open - 1], strip_next_text);
            strip_next_text = false;
            let close = rest[open..].find("}}").map_or(rest.len(), |c| open + c + 2);
            push_text(&mut tokens, &rest[open..close], false);
            rest = &rest[close..];
            continue;
        }
        let raw = rest[open..].starts_with("{{{");
        let (open_len, close_pat) = if raw { (3, "}}}") } else { (2, "}}") };
        let inner_start = open + open_len;
        // `{{!-- ... --}}` may contain `}}`: it ends at the first `--}}` (or `--~}}`).
        let comment_body = rest[inner_start..]
            .trim_start_matches('~')
            .strip_prefix("!--")
            .map(|after| rest.len() - after.len());
        let (close, close_len) = match comment_body {
            Some(body_start) => ["--}}", "--~}}"]
                .iter()
                .filter_map(|end| {
                    rest[body_start..]
                        .find(end)
                        .map(|i| body_start + i + end.len() - 2)
                })
                .min()
                .map(|close| (close, 2)),
            None => rest[inner_start..]
                .find(close_pat)
                .map(|c| (inner_start + c, close_pat.len())),
        }
        .ok_or_else(|| format!("`{}` is never closed", &rest[open..open + open_len]))?;
        let mut body = &rest[inner_start..close];
        let strip_before = body.starts_with('~');
        let strip_after = body.ends_with('~');
        body = body.trim_start_matches('~').trim_end_matches('~');
        let mut text = &rest[..open];
        if strip_before {
            text = text.trim_end();
        }
        push_text(&mut tokens, text, strip_next_text);
        strip_next_text = strip_after;
        if !body.starts_with('!') {
            tokens.push(Token::Tag {
                body: body.trim().to_string(),
                raw,
            });
        }
        rest = &rest[close + close_len..];
    }
    Ok(tokens)
}

fn push_text(tokens: &mut Vec<Token>, text: &str, strip_start: bool) {
    let text = if strip_start { text.trim_start() } else { text };
    if !text.is_empty() {
        tokens.push(Token::Text(text.to_string()));
    }
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    /// Nodes up to the `{{/name}}` that closes `open` (or the end at top level). Stops
    /// before an `{{else}}` of the same block, leaving it for the caller.
    fn nodes(&mut self, open: Option<BlockKind>) -> Result<Vec<Node>, String> {
        let mut nodes = Vec::new();
        while let Some(token) = self.tokens.get(self.position).cloned() {
            match token {
                Token::Text(text) => {
                    self.position += 1;
                    nodes.push(Node::Text(text));
                }
                Token::Tag { body, raw } => {
                    if let Some(name) = body.strip_prefix('/') {
                        return match open {
                            Some(kind) if block_name(kind) == name.trim() => Ok(nodes),
                            _ => Err(format!("unexpected {{{{/{}}}}}", name.trim())),
                        };
                    }
                    if body == "else" {
                        return match open {
                            Some(_) => Ok(nodes),
                            None => Err("{{else}} outside a block".into()),
                        };
                    }
                    self.position += 1;
                    if let Some(block) = body.strip_prefix('#') {
                        nodes.push(self.block(block)?);
                    } else if body.starts_with(['^', '>', '&', '*']) || body.starts_with("else ") {
                        return Err(format!("`{{{{{body}}}}}` is not supported"));
                    } else {
                        nodes.push(Node::Output {
                            expr: parse_expr(&body)?,
                            escape: !raw,
                        });
                    }
                }
            }
        }
        match open {
            Some(kind) => Err(format!("{{{{#{}}}}} is never closed", block_name(kind))),
            None => Ok(nodes),
        }
    }

    fn block(&mut self, header: &str) -> Result<Node, String> {
        let (name, condition) = header
            .split_once(char::is_whitespace)
            .unwrap_or((header, ""));
        let helper = match name {
            "if" => BlockKind::If,
            "unless" => BlockKind::Unless,
            other => return Err(format!("block helper #{other} is not supported")),
        };
        let condition = parse_expr(condition.trim())?;
        let then = self.nodes(Some(helper))?;
        let mut otherwise = Vec::new();
        if let Some(Token::Tag { body, .. }) = self.tokens.get(self.position)
            && body == "else"
        {
            self.position += 1;
            otherwise = self.nodes(Some(helper))?;
        }
        // Consume the closing tag that `nodes` stopped at.
        self.position += 1;
        Ok(Node::Block {
            helper,
            condition,
            then,
            otherwise,
        })
    }
}

fn block_name(kind: BlockKind) -> &'static str {
    match kind {
        BlockKind::If => "if",
        BlockKind::Unless => "unless",
    }
}

/// `helper arg (sub arg) 'lit'` or a single path or literal.
fn parse_expr(text: &str) -> Result<Expr, String> {
    let mut items = split_args(text)?;
    if items.is_empty() {
        return Err("an empty expression".into());
    }
    if items.len() == 1 {
        return atom(&items.remove(0));
    }
    let helper = items.remove(0);
    if !is_identifier(&helper) {
        return Err(format!("{helper:?} cannot be called as a helper"));
    }
    let args = items
        .iter()
        .map(|item| atom(item))
        .collect::<Result<_, _>>()?;
    Ok(Expr::Call { helper, args })
}

fn atom(item: &str) -> Result<Expr, String> {
    if let Some(inner) = item.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        return match parse_expr(inner)? {
            Expr::Path(name) => Ok(Expr::Call {
                helper: name,
                args: Vec::new(),
            }),
            call => Ok(call),
        };
    }
    if let Some(quote @ ('"' | '\'')) = item.chars().next() {
        let body = item
            .strip_prefix(quote)
            .and_then(|s| s.strip_suffix(quote))
            .ok_or_else(|| format!("unterminated string {item}"))?;
        return Ok(Expr::Literal(Value::Str(
            body.replace(&format!("\\{quote}"), &quote.to_string()),
        )));
    }
    match item {
        "true" => return Ok(Expr::Literal(Value::Bool(true))),
        "false" => return Ok(Expr::Literal(Value::Bool(false))),
        "undefined" | "null" => return Ok(Expr::Literal(Value::Undefined)),
        _ => {}
    }
    if let Ok(number) = item.parse::<f64>()
        && item.starts_with(|c: char| c.is_ascii_digit() || c == '-')
    {
        return Ok(Expr::Literal(Value::Number(number)));
    }
    if item.contains('=') {
        return Err(format!("hash arguments ({item}) are not supported"));
    }
    if item.starts_with('@') || item.contains(['.', '/', '[']) && item != "." {
        return Err(format!(
            "the path {item:?} is not supported; use a plain group name"
        ));
    }
    if !is_identifier(item) {
        return Err(format!("{item:?} is not a variable name"));
    }
    Ok(Expr::Path(item.to_string()))
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '-')
}

/// Splits on whitespace outside quotes and parentheses.
fn split_args(text: &str) -> Result<Vec<String>, String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), '\\') if chars.peek() == Some(&q) => {
                current.push('\\');
                current.push(chars.next().expect("peeked"));
            }
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                current.push(c);
            }
            (None, '(') => {
                depth += 1;
                current.push(c);
            }
            (None, ')') => {
                depth = depth.checked_sub(1).ok_or("unbalanced )")?;
                current.push(c);
            }
            (None, c) if c.is_whitespace() && depth == 0 => {
                if !current.is_empty() {
                    items.push(std::mem::take(&mut current));
                }
            }
            (None, c) => current.push(c),
        }
    }
    if quote.is_some() {
        return Err("unterminated string".into());
    }
    if depth != 0 {
        return Err("unbalanced (".into());
    }
    if !current.is_empty() {
        items.push(current);
    }
    Ok(items)
}

fn render_nodes(nodes: &[Node], context: &Context, out: &mut String) -> Result<(), String> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Output { expr, escape } => {
                let value = evaluate(expr, context, true)?.to_js_string();
                if *escape {
                    out.push_str(&escape_html(&value));
                } else {
                    out.push_str(&value);
                }
            }
            Node::Block {
                helper,
                condition,
                then,
                otherwise,
            } => {
                let truthy = evaluate(condition, context, false)?.truthy();
                let take_then = truthy == (*helper == BlockKind::If);
                render_nodes(if take_then { then } else { otherwise }, context, out)?;
            }
        }
        if out.len() > MAX_OUTPUT {
            return Err(format!("the output is larger than {MAX_OUTPUT} bytes"));
        }
    }
    Ok(())
}

/// `top_level` mustaches may name a helper with no arguments (`{{lowercase}}`), which
/// Handlebars calls; elsewhere a bare name is a variable.
fn evaluate(expr: &Expr, context: &Context, top_level: bool) -> Result<Value, String> {
    match expr {
        Expr::Literal(value) => Ok(value.clone()),
        Expr::Path(name) => {
            if let Some(value) = context.get(name) {
                return Ok(value.clone());
            }
            if top_level && is_helper(name) {
                return call(name, &[]);
            }
            Ok(Value::Undefined)
        }
        Expr::Call { helper, args } => {
            let args = args
                .iter()
                .map(|arg| evaluate(arg, context, false))
                .collect::<Result<Vec<_>, _>>()?;
            call(helper, &args)
        }
    }
}

const HELPERS: &[&str] = &[
    "replace",
    "lowercase",
    "split",
    "equals",
    "containsString",
    "includes",
    "and",
    "or",
    "encodeURIComponent",
    "decodeURIComponent",
    "toArray",
    "lookup",
];

fn is_helper(name: &str) -> bool {
    HELPERS.contains(&name)
}

fn call(helper: &str, args: &[Value]) -> Result<Value, String> {
    let arg = |index: usize| args.get(index).cloned().unwrap_or(Value::Undefined);
    let string_arg = |index: usize| arg(index).to_js_string();
    Ok(match helper {
        "lowercase" => match arg(0) {
            Value::Str(s) => Value::Str(s.to_lowercase()),
            Value::Undefined => Value::Undefined,
            other => return Err(format!("lowercase of {other:?} throws in JavaScript")),
        },
        "replace" => {
            let find = string_arg(0);
            let regex = re2::compile(&find, false, re2::NodeRe2::V1_21)
                .map_err(|e| format!("replace: invalid regex {find:?}: {e}"))?;
            let context = match arg(2) {
                Value::Undefined => String::new(),
                other => other.to_js_string(),
            };
            Value::Str(replace_all_js(&regex, &context, &string_arg(1)))
        }
        "split" => match (arg(0), arg(1)) {
            (Value::Str(s), Value::Str(separator)) => Value::Array(split_js(&s, &separator)),
            _ => Value::Array(Vec::new()),
        },
        "equals" => Value::Bool(arg(0) == arg(1) && !matches!(arg(0), Value::Array(_))),
        "containsString" => match arg(0) {
            Value::Str(s) => Value::Bool(s.contains(&string_arg(1))),
            _ => Value::Undefined,
        },
        "includes" => match (arg(0), arg(1)) {
            (Value::Array(items), needle) if needle.truthy() => {
                Value::Bool(items.contains(&needle))
            }
            _ => Value::Bool(false),
        },
        "and" => Value::Bool(args.iter().all(Value::truthy)),
        "or" => Value::Bool(args.iter().any(Value::truthy)),
        "toArray" => Value::Array(args.to_vec()),
        "encodeURIComponent" => Value::Str(encode_uri_component(&string_arg(0))),
        "decodeURIComponent" => Value::Str(decode_uri_component(&string_arg(0))?),
        "lookup" => match (arg(0), arg(1)) {
            (Value::Array(items), Value::Number(index)) if index >= 0.0 && index.fract() == 0.0 => {
                items
                    .get(index as usize)
                    .cloned()
                    .unwrap_or(Value::Undefined)
            }
            (Value::Array(items), Value::Str(key)) => key
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i).cloned())
                .unwrap_or(Value::Undefined),
            (Value::Str(s), Value::Str(key)) if key == "length" => {
                Value::Number(s.encode_utf16().count() as f64)
            }
            _ => Value::Undefined,
        },
        other => return Err(format!("missing helper: {other}")),
    })
}

/// `String.prototype.replace(regex_with_g, replacement)`: `$&`, `$1`..`$99`,
/// `$<name>`, `$$`, `` $` `` and `$'` as JavaScript expands them.
fn replace_all_js(pattern: &re2::Pattern, text: &str, replacement: &str) -> String {
    let regex = pattern.regex();
    let mut out = String::new();
    let mut last = 0;
    let mut search = 0;
    while search <= text.len() {
        let Some(captures) = regex.captures_at(text, search) else {
            break;
        };
        let whole = captures.get(0).expect("group 0");
        out.push_str(&text[last..whole.start()]);
        expand_js_replacement(replacement, pattern, &captures, text, &mut out);
        last = whole.end();
        search = if whole.start() == whole.end() {
            // Step over one character so an empty match does not loop.
            match text[whole.end()..].chars().next() {
                Some(c) => {
                    let next = whole.end() + c.len_utf8();
                    out.push_str(&text[whole.end()..next]);
                    last = next;
                    next
                }
                None => text.len() + 1,
            }
        } else {
            whole.end()
        };
    }
    if last <= text.len() {
        out.push_str(&text[last..]);
    }
    out
}

fn expand_js_replacement(
    replacement: &str,
    pattern: &re2::Pattern,
    captures: &regex::Captures<'_>,
    text: &str,
    out: &mut String,
) {
    let whole = captures.get(0).expect("group 0");
    let bytes = replacement.as_bytes();
    let mut i = 0;
    while i < replacement.len() {
        if bytes[i] != b'$' || i + 1 >= replacement.len() {
            let c = replacement[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        match bytes[i + 1] {
            b'$' => {
                out.push('$');
                i += 2;
            }
            b'&' => {
                out.push_str(whole.as_str());
                i += 2;
            }
            b'`' => {
                out.push_str(&text[..whole.start()]);
                i += 2;
            }
            b'\'' => {
                out.push_str(&text[whole.end()..]);
                i += 2;
            }
            b'<' => match replacement[i + 2..].find('>') {
                Some(end) => {
                    let name = &replacement[i + 2..i + 2 + end];
                    let group = pattern
                        .group_index(name)
                        .and_then(|index| captures.get(index));
                    out.push_str(group.map_or("", |m| m.as_str()));
                    i += end + 3;
                }
                None => {
                    out.push('$');
                    i += 1;
                }
            },
            b'0'..=b'9' => {
                let groups = captures.len() - 1;
                let one = (bytes[i + 1] - b'0') as usize;
                let two = bytes
                    .get(i + 2)
                    .filter(|b| b.is_ascii_digit())
                    .map(|b| one * 10 + (b - b'0') as usize);
                if let Some(n) = two.filter(|&n| n >= 1 && n <= groups) {
                    out.push_str(captures.get(n).map_or("", |m| m.as_str()));
                    i += 3;
                } else if one >= 1 && one <= groups {
                    out.push_str(captures.get(one).map_or("", |m| m.as_str()));
                    i += 2;
                } else {
                    out.push('$');
                    i += 1;
                }
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
}

/// `String.prototype.split(separator)` for a string separator.
fn split_js(text: &str, separator: &str) -> Vec<Value> {
    if separator.is_empty() {
        return text.chars().map(|c| Value::Str(c.to_string())).collect();
    }
    text.split(separator)
        .map(|part| Value::Str(part.to_string()))
        .collect()
}

/// handlebars 4.7's `escapeExpression`.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '`' => out.push_str("&#x60;"),
            '=' => out.push_str("&#x3D;"),
            other => out.push(other),
        }
    }
    out
}

fn encode_uri_component(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn decode_uri_component(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or("URIError: URI malformed")?;
            let byte = u8::from_str_radix(hex, 16).map_err(|_| "URIError: URI malformed")?;
            decoded.push(byte);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| "URIError: URI malformed".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
            .collect()
    }

    fn r(template: &str, pairs: &[(&str, &str)]) -> String {
        render(template, &ctx(pairs)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn double_braces_escape_like_handlebars_4_7() {
        assert_eq!(
            r("{{x}}", &[("x", "a=b&<>\"'`")]),
            "a&#x3D;b&amp;&lt;&gt;&quot;&#x27;&#x60;"
        );
        assert_eq!(r("{{{x}}}", &[("x", "a=b&")]), "a=b&");
        assert_eq!(r("{{x}}/{{y}}", &[("x", "a")]), "a/");
    }

    #[test]
    fn if_else_and_unless_follow_truthiness() {
        let t = "{{#if registry}}{{{registry}}}/{{/if}}{{{name}}}";
        assert_eq!(r(t, &[("registry", "ghcr.io"), ("name", "a")]), "ghcr.io/a");
        assert_eq!(r(t, &[("registry", ""), ("name", "a")]), "a");
        assert_eq!(r("{{#unless x}}no{{else}}yes{{/unless}}", &[]), "no");
        assert_eq!(
            r("{{#if (equals x 'a')}}A{{else}}B{{/if}}", &[("x", "a")]),
            "A"
        );
    }

    #[test]
    fn replace_uses_an_re2_regex_globally_with_js_replacement_syntax() {
        assert_eq!(
            r(
                "{{{replace 'quay\\.io/cki/mirror/' '' depName}}}",
                &[("depName", "quay.io/cki/mirror/grafana/grafana")]
            ),
            "grafana/grafana"
        );
        // Unescaped dots are wildcards, as in Renovate.
        assert_eq!(r("{{{replace 'a.c' 'X' v}}}", &[("v", "abc-aXc")]), "X-X");
        assert_eq!(
            r("{{{replace '(\\w+)-(\\w+)' '$2-$1' v}}}", &[("v", "ab-cd")]),
            "cd-ab"
        );
        assert_eq!(
            r("{{{replace '(?<a>b)' '[$<a>$&$$]' v}}}", &[("v", "abc")]),
            "a[bb$]c"
        );
        assert_eq!(r("{{{replace 'x*' '-' v}}}", &[("v", "ab")]), "-a-b-");
    }

    #[test]
    fn string_helpers_match_javascript() {
        assert_eq!(r("{{{lowercase x}}}", &[("x", "ABC")]), "abc");
        assert_eq!(r("{{{lookup (split x '/') 1}}}", &[("x", "a/b/c")]), "b");
        assert_eq!(r("{{{split x '/'}}}", &[("x", "a/b")]), "a,b");
        assert_eq!(
            r(
                "{{#if (containsString x 'io')}}y{{/if}}",
                &[("x", "quay.io")]
            ),
            "y"
        );
        assert_eq!(
            r("{{{encodeURIComponent x}}}", &[("x", "a/b c'")]),
            "a%2Fb%20c'"
        );
        assert_eq!(r("{{encodeURIComponent x}}", &[("x", "'")]), "&#x27;");
        assert_eq!(r("{{{decodeURIComponent x}}}", &[("x", "a%2Fb")]), "a/b");
        assert_eq!(r("{{#if (and x y)}}1{{else}}0{{/if}}", &[("x", "a")]), "0");
        assert_eq!(r("{{#if (or x y)}}1{{else}}0{{/if}}", &[("x", "a")]), "1");
    }

    #[test]
    fn whitespace_control_and_comments() {
        assert_eq!(r("a  {{~x~}}  b{{! note }}", &[("x", "X")]), "aXb");
        assert_eq!(r("{{!-- a }} b --}}c", &[]), "c");
    }

    #[test]
    fn malformed_comments_are_errors_not_panics() {
        // Found by fuzzing: an unterminated long comment sliced out of bounds.
        for bad in [
            "{{{!-- d%Name}m{e{lme}}{{lowl#see{!--}}",
            "{{!--",
            "{{!-- x }}",
            "{{!--}}",
            "{{{!-- a --}}",
        ] {
            let _ = Template::parse(bad);
        }
        assert!(Template::parse("{{!-- never closed").is_err());
        assert_eq!(
            render("a{{!-- }} --}}b{{!--~ x --~}}  c", &Context::new()).unwrap(),
            "abc"
        );
    }

    #[test]
    fn unsupported_constructs_are_errors_not_guesses() {
        for bad in [
            "{{#each x}}{{/each}}",
            "{{> partial}}",
            "{{x.y}}",
            "{{#if x}}",
            "{{/if}}",
            "{{unknownHelper x}}",
            "{{x",
            "{{replace 'a' 'b' c d=1}}",
        ] {
            let result = Template::parse(bad).and_then(|t| t.render(&Context::new()));
            assert!(result.is_err(), "{bad} rendered {result:?}");
        }
        let error = render("{{{decodeURIComponent x}}}", &ctx(&[("x", "%E0%A4%A")])).unwrap_err();
        assert!(error.reason.contains("URI malformed"));
    }

    #[test]
    fn plain_text_templates_are_constants() {
        assert_eq!(
            Template::parse("docker").unwrap().constant().as_deref(),
            Some("docker")
        );
        assert_eq!(
            Template::parse("a{{! note }}b")
                .unwrap()
                .constant()
                .as_deref(),
            Some("ab")
        );
        assert_eq!(Template::parse("{{{x}}}").unwrap().constant(), None);
    }

    #[test]
    fn runaway_output_is_capped() {
        let long = "x".repeat(MAX_OUTPUT + 1);
        assert!(render("{{{x}}}", &ctx(&[("x", &long)])).is_err());
    }
}
