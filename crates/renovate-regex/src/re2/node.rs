//! node-re2's rewrite of a JavaScript pattern before RE2 sees it (`translateRegExp`),
//! as each version Renovate ships does it. The rewrite is textual and knows little of
//! the syntax: `(?<` becomes `(?P<` even inside a class, `/` becomes `\/`, `\uXXXX` and
//! `\u{..}` become `\x{..}`, `\cX` (upper case only) a `\xNN`, and every other escape
//! passes through untouched. 1.26 (Renovate 44) also maps Unicode property aliases
//! (`\p{Letter}`, `\p{Script=Greek}`, `\p{gc=Lu}`) to RE2's names and expands binary
//! properties and script extensions from its own Unicode 17 tables.

/// Which node-re2 rewrite: the one Renovate 39 loads (1.21.4) or Renovate 44's (1.26.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeRe2 {
    V1_21,
    V1_26,
}

/// A pattern node-re2 1.26 rewrites from tables img-mirror does not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub property: String,
}

/// 1.26's long General_Category names and the short names RE2 knows.
const CATEGORY_ALIASES: [(&str, &str); 38] = [
    ("Uppercase_Letter", "Lu"),
    ("Lowercase_Letter", "Ll"),
    ("Titlecase_Letter", "Lt"),
    ("Cased_Letter", "LC"),
    ("Modifier_Letter", "Lm"),
    ("Other_Letter", "Lo"),
    ("Letter", "L"),
    ("Nonspacing_Mark", "Mn"),
    ("Spacing_Mark", "Mc"),
    ("Enclosing_Mark", "Me"),
    ("Mark", "M"),
    ("Decimal_Number", "Nd"),
    ("Letter_Number", "Nl"),
    ("Other_Number", "No"),
    ("Number", "N"),
    ("Connector_Punctuation", "Pc"),
    ("Dash_Punctuation", "Pd"),
    ("Open_Punctuation", "Ps"),
    ("Close_Punctuation", "Pe"),
    ("Initial_Punctuation", "Pi"),
    ("Final_Punctuation", "Pf"),
    ("Other_Punctuation", "Po"),
    ("Punctuation", "P"),
    ("Math_Symbol", "Sm"),
    ("Currency_Symbol", "Sc"),
    ("Modifier_Symbol", "Sk"),
    ("Other_Symbol", "So"),
    ("Symbol", "S"),
    ("Space_Separator", "Zs"),
    ("Line_Separator", "Zl"),
    ("Paragraph_Separator", "Zp"),
    ("Separator", "Z"),
    ("Control", "Cc"),
    ("Format", "Cf"),
    ("Surrogate", "Cs"),
    ("Private_Use", "Co"),
    ("Unassigned", "Cn"),
    ("Other", "C"),
];

/// The binary properties node-re2 1.26 expands from its own Unicode 17 tables rather
/// than passing them to RE2 (`\p{Emoji}`, `\p{Alpha}`): their names only; `Any` means
/// what RE2's own `Any` means.
const BINARY_PROPERTIES: &[&str] = &[
    "ASCII",
    "ASCII_Hex_Digit",
    "AHex",
    "Alphabetic",
    "Alpha",
    "Any",
    "Assigned",
    "Bidi_Control",
    "Bidi_C",
    "Bidi_Mirrored",
    "Bidi_M",
    "Case_Ignorable",
    "CI",
    "Cased",
    "Changes_When_Casefolded",
    "CWCF",
    "Changes_When_Casemapped",
    "CWCM",
    "Changes_When_Lowercased",
    "CWL",
    "Changes_When_NFKC_Casefolded",
    "CWKCF",
    "Changes_When_Titlecased",
    "CWT",
    "Changes_When_Uppercased",
    "CWU",
    "Dash",
    "Default_Ignorable_Code_Point",
    "DI",
    "Deprecated",
    "Dep",
    "Diacritic",
    "Dia",
    "Emoji",
    "Emoji_Component",
    "EComp",
    "Emoji_Modifier",
    "EMod",
    "Emoji_Modifier_Base",
    "EBase",
    "Emoji_Presentation",
    "EPres",
    "Extended_Pictographic",
    "ExtPict",
    "Extender",
    "Ext",
    "Grapheme_Base",
    "Gr_Base",
    "Grapheme_Extend",
    "Gr_Ext",
    "Hex_Digit",
    "Hex",
    "IDS_Binary_Operator",
    "IDSB",
    "IDS_Trinary_Operator",
    "IDST",
    "ID_Continue",
    "IDC",
    "ID_Start",
    "IDS",
    "Ideographic",
    "Ideo",
    "Join_Control",
    "Join_C",
    "Logical_Order_Exception",
    "LOE",
    "Lowercase",
    "Lower",
    "Math",
    "Noncharacter_Code_Point",
    "NChar",
    "Pattern_Syntax",
    "Pat_Syn",
    "Pattern_White_Space",
    "Pat_WS",
    "Quotation_Mark",
    "QMark",
    "Radical",
    "Regional_Indicator",
    "RI",
    "Sentence_Terminal",
    "STerm",
    "Soft_Dotted",
    "SD",
    "Terminal_Punctuation",
    "Term",
    "Unified_Ideograph",
    "UIdeo",
    "Uppercase",
    "Upper",
    "Variation_Selector",
    "VS",
    "White_Space",
    "space",
    "XID_Continue",
    "XIDC",
    "XID_Start",
    "XIDS",
];

/// The pattern as node-re2 hands it to RE2.
pub fn translate(pattern: &str, version: NodeRe2) -> Result<String, Unsupported> {
    if pattern.is_empty() {
        return Ok("(?:)".into());
    }
    let bytes = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len() + 8);
    // 1.26's own idea of being inside a class: `[` opens, the next `]` closes (it does
    // not know that a `]` right after `[` is literal). It decides how a property that
    // node-re2 expands itself is written.
    let mut in_class = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\\' && i + 1 < bytes.len() {
            let next = bytes[i + 1];
            match next {
                b'\\' => {
                    out.push_str(r"\\");
                    i += 2;
                }
                b'c' => match bytes.get(i + 2) {
                    Some(&letter) if letter.is_ascii_uppercase() => {
                        out.push_str(&format!(r"\x{:02X}", letter - b'@'));
                        i += 3;
                    }
                    _ => {
                        out.push_str(r"\c");
                        i += 2;
                    }
                },
                b'u' => {
                    let is_hex = |b: u8| match version {
                        // 1.21 took any ASCII letter for a hex digit.
                        NodeRe2::V1_21 => b.is_ascii_alphanumeric(),
                        NodeRe2::V1_26 => b.is_ascii_hexdigit(),
                    };
                    match bytes.get(i + 2) {
                        Some(&first) if is_hex(first) => {
                            out.push_str(r"\x{");
                            out.push(first as char);
                            i += 3;
                            let mut taken = 0;
                            while taken < 3 && i < bytes.len() && is_hex(bytes[i]) {
                                out.push(bytes[i] as char);
                                i += 1;
                                taken += 1;
                            }
                            out.push('}');
                        }
                        Some(b'{') => {
                            out.push_str(r"\x");
                            i += 2;
                        }
                        _ => {
                            out.push_str(r"\u");
                            i += 2;
                        }
                    }
                }
                b'p' | b'P' if version == NodeRe2::V1_26 => {
                    i = property(pattern, i, in_class, &mut out)?;
                }
                _ => {
                    // A backslash and the one character after it, untouched.
                    let len = utf8_len(next);
                    out.push('\\');
                    out.push_str(&pattern[i + 1..i + 1 + len]);
                    i += 1 + len;
                }
            }
            continue;
        }
        if c == b'/' {
            out.push_str(r"\/");
            i += 1;
            continue;
        }
        if c == b'(' && bytes.get(i + 1) == Some(&b'?') && bytes.get(i + 2) == Some(&b'<') {
            let lookbehind = matches!(bytes.get(i + 3), Some(b'=' | b'!'));
            if !lookbehind {
                out.push_str("(?P<");
                i += 3;
                continue;
            }
        }
        if version == NodeRe2::V1_26 {
            if c == b'[' && !in_class {
                in_class = true;
            } else if c == b']' && in_class {
                in_class = false;
            }
        }
        let len = utf8_len(c);
        out.push_str(&pattern[i..i + len]);
        i += len;
    }
    Ok(out)
}

/// 1.26's `\p{..}`/`\P{..}` at `i`: the alias mapped to RE2's name, written to `out`;
/// returns where the pattern continues.
fn property(
    pattern: &str,
    i: usize,
    in_class: bool,
    out: &mut String,
) -> Result<usize, Unsupported> {
    let bytes = pattern.as_bytes();
    let letter = bytes[i + 1] as char;
    let close = (bytes.get(i + 2) == Some(&b'{'))
        .then(|| pattern[i + 3..].find('}').map(|at| i + 3 + at))
        .flatten();
    let Some(close) = close else {
        out.push('\\');
        out.push(letter);
        return Ok(i + 2);
    };
    let unsupported = || Unsupported {
        property: pattern[i..=close].to_string(),
    };
    let mut name = &pattern[i + 3..close];
    let non_empty_after =
        |name: &str, prefix: &str| name.len() > prefix.len() && name.starts_with(prefix);
    if non_empty_after(name, "Script_Extensions=") || non_empty_after(name, "scx=") {
        return Err(unsupported());
    }
    for prefix in ["General_Category=", "gc="] {
        if non_empty_after(name, prefix) {
            name = &name[prefix.len()..];
        }
    }
    if name == "Any" {
        // Expanded from node-re2's table, which is every code point: inside what it takes
        // for a class, the range (or, negated, nothing); outside, a class of its own.
        let negated = letter == 'P';
        out.push_str(match (in_class, negated) {
            (true, false) => r"\x{0}-\x{10FFFF}",
            (true, true) => "",
            (false, false) => r"[\x{0}-\x{10FFFF}]",
            (false, true) => r"[^\x{0}-\x{10FFFF}]",
        });
        return Ok(close + 1);
    }
    if BINARY_PROPERTIES.contains(&name) {
        return Err(unsupported());
    }
    let mapped = CATEGORY_ALIASES
        .iter()
        .find(|(long, _)| *long == name)
        .map(|(_, short)| *short)
        .or_else(|| non_empty_after(name, "Script=").then(|| &name[7..]))
        .or_else(|| non_empty_after(name, "sc=").then(|| &name[3..]))
        .unwrap_or(name);
    out.push('\\');
    out.push(letter);
    if mapped.len() == 1 {
        out.push_str(mapped);
    } else {
        out.push('{');
        out.push_str(mapped);
        out.push('}');
    }
    Ok(close + 1)
}

/// The length of the UTF-8 sequence a lead byte starts.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}
