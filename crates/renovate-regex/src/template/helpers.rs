//! The helpers Renovate registers on Handlebars (`lib/util/template/index.ts`), each
//! with the JavaScript it runs: a helper gets its arguments and then Handlebars'
//! `options` object, so a missing argument is that object, not `undefined`.

use super::Failure;
use super::value::Value;
use crate::re2::{self, NodeRe2};

/// Renovate 39.264's helpers.
const RENOVATE_39: &[&str] = &[
    "encodeURIComponent",
    "decodeURIComponent",
    "encodeBase64",
    "stringToPrettyJSON",
    "toJSON",
    "toArray",
    "toObject",
    "replace",
    "lowercase",
    "containsString",
    "equals",
    "includes",
    "split",
    "and",
    "or",
    "lookupArray",
    "distinct",
];

/// What Renovate 44.121 adds.
const ADDED_BY_44: &[&str] = &["decodeBase64", "uppercase", "add"];

/// The helper set of one Renovate generation and the RE2 its `replace` compiles with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Helpers {
    pub current: bool,
    pub engine: NodeRe2,
}

impl Helpers {
    pub fn has(&self, name: &str) -> bool {
        RENOVATE_39.contains(&name) || (self.current && ADDED_BY_44.contains(&name))
    }

    /// Every helper name this generation registers, built-ins excluded.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = RENOVATE_39.to_vec();
        if self.current {
            names.extend_from_slice(ADDED_BY_44);
        }
        names
    }
}

/// One argument as the helper's JavaScript sees it.
enum Arg<'a> {
    Value(&'a Value),
    /// Handlebars' `options`, where the template passed fewer arguments.
    Options,
}

impl Arg<'_> {
    fn value(&self) -> Option<&Value> {
        match self {
            Arg::Value(value) => Some(value),
            Arg::Options => None,
        }
    }

    /// `String(arg)`.
    fn js_string(&self) -> String {
        match self {
            Arg::Value(value) => value.to_js_string(),
            Arg::Options => "[object Object]".into(),
        }
    }
}

fn arg(args: &[Value], index: usize) -> Arg<'_> {
    match args.get(index) {
        Some(value) => Arg::Value(value),
        None if index == args.len() => Arg::Options,
        None => Arg::Value(&Value::Undefined),
    }
}

/// A helper that would read Handlebars' own `options` object as data: not reproduced.
fn reads_options(helper: &str) -> Failure {
    Failure::unsupported(format!(
        "{helper} is given fewer arguments than it reads, so it would read Handlebars' options object"
    ))
}

fn type_error(message: String) -> Failure {
    Failure::throws(format!("TypeError: {message}"))
}

pub fn call(helpers: &Helpers, name: &str, args: &[Value]) -> Result<Value, Failure> {
    if !helpers.has(name) {
        return Err(Failure::throws(format!("Missing helper: \"{name}\"")));
    }
    let a = |index| arg(args, index);
    if matches!(name, "toJSON" | "distinct") && args.iter().any(Value::holds_context) {
        return Err(Failure::unsupported(format!(
            "{name} of Renovate's whole context, which holds the runner's global config and environment"
        )));
    }
    Ok(match name {
        "encodeURIComponent" => Value::Str(encode_uri_component(&a(0).js_string())),
        "decodeURIComponent" => Value::Str(decode_uri_component(&a(0).js_string())?),
        "encodeBase64" | "decodeBase64" | "lowercase" | "uppercase" | "stringToPrettyJSON"
            if args.is_empty() =>
        {
            // The helper reads Handlebars' `options` object, which none of them can take.
            return Err(type_error(format!(
                "{name} cannot read Handlebars' options object"
            )));
        }
        "encodeBase64" => match a(0).value() {
            Some(Value::Str(s)) => Value::Str(base64_encode(s.as_bytes())),
            Some(Value::Undefined | Value::Null) => Value::str(""),
            Some(Value::Array(items)) => Value::Str(base64_encode(&buffer_from_array(items))),
            Some(other) => {
                return Err(type_error(format!(
                    "Buffer.from cannot take {}",
                    other.to_js_string()
                )));
            }
            None => return Err(reads_options(name)),
        },
        "decodeBase64" => match a(0).value() {
            Some(Value::Str(s)) => {
                Value::Str(String::from_utf8_lossy(&base64_decode_lenient(s)).into_owned())
            }
            Some(Value::Undefined | Value::Null) => Value::str(""),
            // `Buffer.from(array, 'base64')` ignores the encoding: one byte per element.
            Some(Value::Array(items)) => {
                Value::Str(String::from_utf8_lossy(&buffer_from_array(items)).into_owned())
            }
            Some(other) => {
                return Err(type_error(format!(
                    "Buffer.from cannot take {}",
                    other.to_js_string()
                )));
            }
            None => return Err(reads_options(name)),
        },
        "stringToPrettyJSON" => {
            let first = a(0);
            let Some(input) = first.value() else {
                return Err(reads_options(name));
            };
            let parsed = Value::from_json(&input.to_js_string()).map_err(Failure::throws)?;
            parsed.to_pretty_json().map_or(Value::Undefined, Value::Str)
        }
        "toJSON" => match a(0).value() {
            Some(value) => value.to_json().map_or(Value::Undefined, Value::Str),
            None => return Err(reads_options(name)),
        },
        "toArray" => Value::Array(args.to_vec()),
        "toObject" => {
            if args.len() % 2 != 0 {
                return Err(Failure::throws(
                    "Error: Must contain an even number of elements",
                ));
            }
            let mut entries: Vec<(String, Value)> = Vec::new();
            for pair in args.chunks(2) {
                let key = pair[0].as_property_key();
                match entries.iter_mut().find(|(k, _)| *k == key) {
                    Some(entry) => entry.1 = pair[1].clone(),
                    None => entries.push((key, pair[1].clone())),
                }
            }
            Value::Object(entries)
        }
        "replace" => replace(helpers, args)?,
        "lowercase" | "uppercase" => match a(0).value() {
            Some(Value::Undefined | Value::Null) => Value::Undefined,
            Some(Value::Str(s)) => Value::Str(if name == "lowercase" {
                s.to_lowercase()
            } else {
                s.to_uppercase()
            }),
            Some(other) => {
                return Err(type_error(format!(
                    "str.to{}Case is not a function (a {})",
                    if name == "lowercase" {
                        "Lower"
                    } else {
                        "Upper"
                    },
                    kind(other)
                )));
            }
            None => return Err(reads_options(name)),
        },
        "containsString" => match a(0).value() {
            Some(Value::Undefined | Value::Null) => Value::Undefined,
            Some(Value::Str(s)) => Value::Bool(s.contains(&a(1).js_string())),
            Some(Value::Array(items)) => Value::Bool(match a(1).value() {
                Some(needle) => items.iter().any(|item| same_value_zero(item, needle)),
                None => false,
            }),
            Some(other) => {
                return Err(type_error(format!(
                    "str.includes is not a function (a {})",
                    kind(other)
                )));
            }
            None => return Err(reads_options(name)),
        },
        "equals" => Value::Bool(match (a(0).value(), a(1).value()) {
            (Some(x @ (Value::Array(_) | Value::Object(_))), Some(y)) if x == y => {
                // `===` on objects is identity, which copied values do not keep.
                return Err(Failure::unsupported(
                    "equals of two objects or arrays alike in content (JavaScript compares their identity)",
                ));
            }
            (Some(x), Some(y)) => x.strict_equals(y),
            _ => false,
        }),
        "includes" => Value::Bool(match (a(0).value(), a(1).value()) {
            (Some(Value::Array(items)), Some(Value::Str(needle)))
                if items.iter().all(|item| matches!(item, Value::Str(_))) =>
            {
                items
                    .iter()
                    .any(|item| matches!(item, Value::Str(s) if s == needle))
            }
            _ => false,
        }),
        "split" => match (a(0).value(), a(1).value()) {
            (Some(Value::Str(s)), Some(Value::Str(separator))) => {
                Value::Array(split_js(s, separator))
            }
            _ => Value::Array(Vec::new()),
        },
        "and" => Value::Bool(args.iter().all(Value::truthy)),
        "or" => Value::Bool(args.iter().any(Value::truthy)),
        "lookupArray" => {
            let first = a(0);
            let Some(object) = first.value() else {
                return Err(type_error(
                    "Cannot read properties of undefined (reading 'lookupProperty')".into(),
                ));
            };
            let elements = match object {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            // `options` is the third parameter: Handlebars' object only with two arguments.
            if args.len() > 2 && elements.iter().any(|e| !is_empty(e)) {
                return Err(type_error(
                    "options.lookupProperty is not a function".into(),
                ));
            }
            if args.len() > 2 {
                return Ok(Value::Array(Vec::new()));
            }
            let key = match a(1) {
                Arg::Value(key)
                    if key.as_property_key() == "env" && elements.iter().any(Value::is_context) =>
                {
                    return Err(Failure::unsupported(
                        "`env` is the Renovate runner's environment",
                    ));
                }
                Arg::Value(key) => key.as_property_key(),
                // `options` is then undefined: reading `options.lookupProperty` throws as
                // soon as one element is looked up.
                Arg::Options if elements.iter().any(|e| !is_empty(e)) => {
                    return Err(type_error(
                        "Cannot read properties of undefined (reading 'lookupProperty')".into(),
                    ));
                }
                Arg::Options => return Ok(Value::Array(Vec::new())),
            };
            Value::Array(
                elements
                    .iter()
                    .filter(|element| !is_empty(element))
                    .map(|element| element.property(&key))
                    .filter(|value| *value != Value::Undefined)
                    .collect(),
            )
        }
        "distinct" => {
            let first = a(0);
            let Some(object) = first.value() else {
                return Err(reads_options(name));
            };
            let elements = match object {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            let mut seen: Vec<Option<String>> = Vec::new();
            Value::Array(
                elements
                    .into_iter()
                    .filter(|value| {
                        let key = value.to_json();
                        if seen.contains(&key) {
                            false
                        } else {
                            seen.push(key);
                            true
                        }
                    })
                    .collect(),
            )
        }
        "add" => match (a(0).value(), a(1).value()) {
            (Some(Value::Number(x)), Some(Value::Number(y))) => Value::Number(x + y),
            _ => return Err(Failure::throws("Error: add: inputs are not valid")),
        },
        other => unreachable!("{other} is registered but not implemented"),
    })
}

/// `Buffer.from(array)`: each element `ToNumber`, then to a byte as a Uint8Array
/// stores it (NaN is 0, the rest modulo 256).
fn buffer_from_array(items: &[Value]) -> Vec<u8> {
    items
        .iter()
        .map(|item| {
            let n = js_to_number(item);
            if n.is_finite() {
                (n.trunc().rem_euclid(256.0)) as u8
            } else {
                0
            }
        })
        .collect()
}

/// JavaScript's `Number(value)`.
fn js_to_number(value: &Value) -> f64 {
    match value {
        Value::Undefined => f64::NAN,
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => *n,
        Value::Str(s) => {
            let t = s.trim_matches(|c: char| super::syntax::js_space(c));
            if t.is_empty() {
                0.0
            } else if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                u64::from_str_radix(hex, 16).map_or(f64::NAN, |n| n as f64)
            } else if let Some(bin) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
                u64::from_str_radix(bin, 2).map_or(f64::NAN, |n| n as f64)
            } else if let Some(oct) = t.strip_prefix("0o").or_else(|| t.strip_prefix("0O")) {
                u64::from_str_radix(oct, 8).map_or(f64::NAN, |n| n as f64)
            } else {
                match t {
                    "Infinity" | "+Infinity" => f64::INFINITY,
                    "-Infinity" => f64::NEG_INFINITY,
                    _ if t.chars().all(|c| {
                        c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')
                    }) =>
                    {
                        t.parse().unwrap_or(f64::NAN)
                    }
                    _ => f64::NAN,
                }
            }
        }
        Value::Array(_) => js_to_number(&Value::Str(value.to_js_string())),
        Value::Object(_) => f64::NAN,
    }
}

/// `Handlebars.Utils.isEmpty`.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Number(n) if *n == 0.0 => false,
        Value::Array(items) => items.is_empty(),
        other => !other.truthy(),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Undefined => "undefined",
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::Str(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `Array.prototype.includes`' comparison.
fn same_value_zero(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => a.strict_equals(b),
    }
}

/// `(context ?? '').replace(regEx(find, 'g'), replace)`.
fn replace(helpers: &Helpers, args: &[Value]) -> Result<Value, Failure> {
    let context = match arg(args, 2) {
        Arg::Value(Value::Undefined | Value::Null) => String::new(),
        Arg::Value(Value::Str(s)) => s.clone(),
        Arg::Value(other) => {
            return Err(type_error(format!(
                "(context ?? '').replace is not a function (a {})",
                kind(other)
            )));
        }
        Arg::Options => {
            return Err(type_error(
                "(context ?? '').replace is not a function (the options object)".into(),
            ));
        }
    };
    let Arg::Value(Value::Str(find)) = arg(args, 0) else {
        return Err(Failure::unsupported(
            "replace with a pattern that is not a string",
        ));
    };
    let replacement = arg(args, 1).js_string();
    let pattern = re2::compile(find, false, helpers.engine)
        .map_err(|e| Failure::throws(format!("Invalid regular expression (re2): {find} ({e})")))?;
    Ok(Value::Str(replace_all_js(&pattern, &context, &replacement)))
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
            b'<' if !pattern.has_named_groups() => {
                out.push('$');
                i += 1;
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
        return text
            .encode_utf16()
            .map(|unit| Value::Str(String::from_utf16_lossy(&[unit])))
            .collect();
    }
    text.split(separator).map(Value::str).collect()
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

fn decode_uri_component(text: &str) -> Result<String, Failure> {
    let malformed = || Failure::throws("URIError: URI malformed");
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or_else(malformed)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(malformed());
            }
            decoded.push(u8::from_str_radix(hex, 16).map_err(|_| malformed())?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| malformed())
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Node's `Buffer.from(text, 'base64')`: both alphabets, anything else skipped, and
/// decoding stops at the first `=`.
fn base64_decode_lenient(text: &str) -> Vec<u8> {
    let sextet = |c: u8| -> Option<u8> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        if c == b'=' {
            break;
        }
        let Some(value) = sextet(c) else {
            continue;
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}
