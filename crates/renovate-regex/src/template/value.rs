//! The values a template sees and makes, with JavaScript's semantics where Handlebars
//! and Renovate's helpers lean on them: truthiness, `String(value)`, strict equality,
//! property lookup and `JSON.stringify`.

/// What a JavaScript variable in a template can hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    Array(Vec<Value>),
    /// An object, its keys in insertion order (see [`Value::keys`] for JavaScript's).
    Object(Vec<(String, Value)>),
}

/// The first key of the top-level context object: Renovate's context also holds the
/// runner's global config and environment, so what depends on all of it is refused.
pub const CONTEXT_MARK: &str = "\u{0}renovate context";

impl Value {
    /// Whether this is Renovate's top-level context object.
    pub fn is_context(&self) -> bool {
        matches!(self, Value::Object(entries) if entries.first().is_some_and(|(key, _)| key == CONTEXT_MARK))
    }

    /// Whether the context object is this value or inside it.
    pub fn holds_context(&self) -> bool {
        match self {
            Value::Array(items) => items.iter().any(Value::holds_context),
            Value::Object(entries) => {
                self.is_context() || entries.iter().any(|(_, value)| value.holds_context())
            }
            _ => false,
        }
    }

    pub fn str(text: impl Into<String>) -> Value {
        Value::Str(text.into())
    }

    /// `!!value`.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Undefined | Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::Array(_) | Value::Object(_) => true,
        }
    }

    /// `value == null`.
    pub fn is_nullish(&self) -> bool {
        matches!(self, Value::Undefined | Value::Null)
    }

    /// Handlebars' `isEmpty`: falsy but not 0, or an empty array.
    pub fn is_empty_for_handlebars(&self) -> bool {
        match self {
            Value::Number(n) if *n == 0.0 => false,
            Value::Array(items) => items.is_empty(),
            other => !other.truthy(),
        }
    }

    /// `String(value)`.
    pub fn to_js_string(&self) -> String {
        match self {
            Value::Undefined => "undefined".into(),
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => js_number(*n),
            Value::Str(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|item| {
                    if item.is_nullish() {
                        String::new()
                    } else {
                        item.to_js_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
            Value::Object(_) => "[object Object]".into(),
        }
    }

    /// What a mustache prints before escaping (`escapeExpression`'s conversion): null
    /// and undefined print nothing, everything else as `String(value)`.
    pub fn to_output(&self) -> String {
        if self.is_nullish() {
            String::new()
        } else {
            self.to_js_string()
        }
    }

    /// `a === b`. Arrays and objects are equal only to themselves, which a value copied
    /// here cannot show, so two of them never compare equal.
    pub fn strict_equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Undefined, Value::Undefined) | (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            _ => false,
        }
    }

    /// `Object.keys(value)` for an object, in JavaScript's order: array-index keys
    /// ascending, then the others as inserted.
    pub fn keys(entries: &[(String, Value)]) -> Vec<&str> {
        let mut indices: Vec<(u32, &str)> = entries
            .iter()
            .filter(|(key, _)| key != CONTEXT_MARK)
            .filter_map(|(key, _)| array_index(key).map(|i| (i, key.as_str())))
            .collect();
        indices.sort_unstable();
        indices
            .into_iter()
            .map(|(_, key)| key)
            .chain(
                entries
                    .iter()
                    .map(|(key, _)| key.as_str())
                    .filter(|key| *key != CONTEXT_MARK && array_index(key).is_none()),
            )
            .collect()
    }

    /// Handlebars' `lookupProperty(parent, name)`: own properties only (prototype
    /// access is denied by default since handlebars 4.6), so a string or an array
    /// answers its indices and `length` and nothing else.
    pub fn property(&self, name: &str) -> Value {
        match self {
            Value::Object(entries) => entries
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map_or(Value::Undefined, |(_, value)| value.clone()),
            Value::Array(items) if name == "length" => Value::Number(items.len() as f64),
            Value::Array(items) => array_index(name)
                .and_then(|i| items.get(i as usize))
                .cloned()
                .unwrap_or(Value::Undefined),
            Value::Str(s) if name == "length" => Value::Number(s.encode_utf16().count() as f64),
            Value::Str(s) => array_index(name)
                .and_then(|i| {
                    let unit = *s.encode_utf16().collect::<Vec<_>>().get(i as usize)?;
                    Some(Value::Str(String::from_utf16_lossy(&[unit])))
                })
                .unwrap_or(Value::Undefined),
            _ => Value::Undefined,
        }
    }

    /// The property name JavaScript makes of a value used as a key (`obj[key]`).
    pub fn as_property_key(&self) -> String {
        self.to_js_string()
    }

    /// `JSON.stringify(value)`; `None` where JavaScript returns `undefined`.
    pub fn to_json(&self) -> Option<String> {
        let mut out = String::new();
        write_json(self, &mut out, None, 0).then_some(out)
    }

    /// `JSON.stringify(value, null, 2)`.
    pub fn to_pretty_json(&self) -> Option<String> {
        let mut out = String::new();
        write_json(self, &mut out, Some(2), 0).then_some(out)
    }

    /// `JSON.parse(text)`, or the SyntaxError's message.
    pub fn from_json(text: &str) -> Result<Value, String> {
        let parsed: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("SyntaxError: {e}"))?;
        Ok(Value::from_serde(parsed))
    }

    pub fn from_serde(value: serde_json::Value) -> Value {
        match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::Str(s),
            serde_json::Value::Array(items) => {
                Value::Array(items.into_iter().map(Value::from_serde).collect())
            }
            serde_json::Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, Value::from_serde(v)))
                    .collect(),
            ),
        }
    }
}

/// A canonical array index (`"0"`, `"12"`, not `"01"`), as JavaScript orders keys.
fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    key.parse::<u32>().ok().filter(|&i| i != u32::MAX)
}

/// `Number.prototype.toString()`: the shortest digits that round-trip, written plainly
/// between 1e-7 and 1e21 and in exponent form outside.
pub fn js_number(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if n == 0.0 {
        return "0".into();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    // `{:e}` gives the shortest round-trip digits and the decimal exponent.
    let scientific = format!("{:e}", n.abs());
    let (mantissa, exponent) = scientific.split_once('e').expect("{:e} has an exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let point = exponent.parse::<i32>().expect("an integer exponent") + 1;
    let body = if k <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - k) as usize))
    } else if 0 < point && point <= 21 {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let exp = point - 1;
        let exp_sign = if exp < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!("{first}{fraction}e{exp_sign}{}", exp.abs())
    };
    format!("{sign}{body}")
}

/// Writes JSON.stringify's text; false where the value has none (undefined).
fn write_json(value: &Value, out: &mut String, indent: Option<usize>, depth: usize) -> bool {
    let newline = |out: &mut String, depth: usize| {
        if let Some(width) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(width * depth));
        }
    };
    match value {
        Value::Undefined => return false,
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_finite() => out.push_str(&js_number(*n)),
        Value::Number(_) => out.push_str("null"),
        Value::Str(s) => write_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                if !write_json(item, out, indent, depth + 1) {
                    out.push_str("null");
                }
            }
            if !items.is_empty() {
                newline(out, depth);
            }
            out.push(']');
        }
        Value::Object(entries) => {
            out.push('{');
            let mut first = true;
            for key in Value::keys(entries) {
                let value = value.property(key);
                if value == Value::Undefined {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                newline(out, depth + 1);
                write_json_string(key, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(&value, out, indent, depth + 1);
            }
            if !first {
                newline(out, depth);
            }
            out.push('}');
        }
    }
    true
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        for (n, text) in [
            (1.0, "1"),
            (-2.5, "-2.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123456.789, "123456.789"),
            (f64::NAN, "NaN"),
            (-0.0, "0"),
        ] {
            assert_eq!(js_number(n), text, "{n}");
        }
    }

    #[test]
    fn strings_of_arrays_and_objects() {
        let array = Value::Array(vec![
            Value::str("a"),
            Value::Undefined,
            Value::Array(vec![Value::Number(1.0), Value::Null]),
        ]);
        assert_eq!(array.to_js_string(), "a,,1,");
        assert_eq!(Value::Object(vec![]).to_js_string(), "[object Object]");
        assert_eq!(Value::Undefined.to_output(), "");
        assert_eq!(Value::Bool(false).to_output(), "false");
    }

    #[test]
    fn json_is_json_stringify() {
        let object = Value::Object(vec![
            ("b".into(), Value::str("x\"\n\u{1}")),
            ("1".into(), Value::Undefined),
            (
                "0".into(),
                Value::Array(vec![Value::Undefined, Value::Number(f64::NAN)]),
            ),
        ]);
        assert_eq!(
            object.to_json().unwrap(),
            r#"{"0":[null,null],"b":"x\"\n\u0001"}"#
        );
        assert_eq!(Value::Undefined.to_json(), None);
        assert_eq!(
            Value::Array(vec![Value::Number(1.0)])
                .to_pretty_json()
                .unwrap(),
            "[\n  1\n]"
        );
        assert_eq!(Value::Object(vec![]).to_pretty_json().unwrap(), "{}");
    }

    #[test]
    fn properties_are_own_properties_only() {
        let s = Value::str("ab");
        assert_eq!(s.property("length"), Value::Number(2.0));
        assert_eq!(s.property("1"), Value::str("b"));
        assert_eq!(s.property("toUpperCase"), Value::Undefined);
        let a = Value::Array(vec![Value::str("x")]);
        assert_eq!(a.property("0"), Value::str("x"));
        assert_eq!(a.property("00"), Value::Undefined);
        assert_eq!(Value::Number(1.0).property("x"), Value::Undefined);
    }
}
