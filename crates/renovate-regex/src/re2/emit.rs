//! Writes a parsed RE2 tree out as a Rust `regex` pattern that means the same thing, with
//! nothing left to the crate's own reading: every class is a list of code-point ranges
//! (so its Unicode tables and case folding never come into play), every group is
//! unnamed (names stay with us, so RE2's names that the crate refuses still work), and
//! the assertions are spelled with the ASCII word boundary RE2 uses.

use std::fmt::Write;

use super::parse::{Assertion, Node, RepeatOp};

/// The pattern text for the `regex` crate.
pub fn to_rust(node: &Node) -> String {
    let mut out = String::new();
    write_node(&mut out, node);
    out
}

fn write_node(out: &mut String, node: &Node) {
    match node {
        Node::Empty => out.push_str("(?:)"),
        Node::Class(ranges) => write_class(out, ranges),
        // One byte in RE2; a whole character here. [`uses_any_byte`] lets callers
        // refuse texts where the two differ.
        Node::AnyByte => write_class(out, &[(0, super::parse::MAX_RUNE)]),
        Node::Assert(assertion) => out.push_str(match assertion {
            Assertion::BeginText => r"\A",
            Assertion::EndText => r"\z",
            Assertion::BeginLine => "(?m:^)",
            Assertion::EndLine => "(?m:$)",
            Assertion::WordBoundary => r"(?-u:\b)",
            Assertion::NoWordBoundary => r"(?-u:\B)",
        }),
        Node::Capture { sub, .. } => {
            out.push('(');
            write_node(out, sub);
            out.push(')');
        }
        Node::Concat(items) => {
            out.push_str("(?:");
            for item in items {
                write_node(out, item);
            }
            out.push(')');
        }
        Node::Alternate(items) => {
            out.push_str("(?:");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                write_node(out, item);
            }
            out.push(')');
        }
        Node::Repeat { op, flags, sub } => {
            let lazy = if Node::greedy(*flags) { "" } else { "?" };
            // RE2 compiles a star over something that can match empty as `(x+)?`, so
            // that the loop's priorities stay right; say so explicitly.
            if *op == RepeatOp::Star && nullable(sub) {
                out.push_str("(?:(?:");
                write_node(out, sub);
                let _ = write!(out, ")+{lazy})?{lazy}");
                return;
            }
            out.push_str("(?:");
            write_node(out, sub);
            out.push(')');
            match op {
                RepeatOp::Star => out.push('*'),
                RepeatOp::Plus => out.push('+'),
                RepeatOp::Quest => out.push('?'),
                RepeatOp::Counted {
                    min,
                    max: Some(max),
                } if min == max => {
                    let _ = write!(out, "{{{min}}}");
                }
                RepeatOp::Counted {
                    min,
                    max: Some(max),
                } => {
                    let _ = write!(out, "{{{min},{max}}}");
                }
                RepeatOp::Counted { min, max: None } => {
                    let _ = write!(out, "{{{min},}}");
                }
            }
            out.push_str(lazy);
        }
    }
}

/// `[...]` of the ranges, leaving out the surrogates, which no text can contain.
fn write_class(out: &mut String, ranges: &[(u32, u32)]) {
    let mut any = false;
    out.push('[');
    for &(lo, hi) in ranges {
        for (lo, hi) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)] {
            if lo <= hi {
                let _ = write!(out, r"\x{{{lo:X}}}-\x{{{hi:X}}}");
                any = true;
            }
        }
    }
    if !any {
        // A class nothing is in: RE2's NoMatch.
        out.push_str(r"^\x{0}-\x{10FFFF}");
    }
    out.push(']');
}

/// Whether `node` can match the empty string.
pub fn nullable(node: &Node) -> bool {
    match node {
        Node::Empty | Node::Assert(_) => true,
        Node::Class(_) | Node::AnyByte => false,
        Node::Capture { sub, .. } => nullable(sub),
        Node::Concat(items) => items.iter().all(nullable),
        Node::Alternate(items) => items.iter().any(nullable),
        Node::Repeat { op, sub, .. } => match op {
            RepeatOp::Star | RepeatOp::Quest => true,
            RepeatOp::Plus => nullable(sub),
            RepeatOp::Counted { min, .. } => *min == 0 || nullable(sub),
        },
    }
}

/// Whether the pattern has a `\C`.
pub fn uses_any_byte(node: &Node) -> bool {
    match node {
        Node::AnyByte => true,
        Node::Capture { sub, .. } | Node::Repeat { sub, .. } => uses_any_byte(sub),
        Node::Concat(items) | Node::Alternate(items) => items.iter().any(uses_any_byte),
        _ => false,
    }
}

/// Whether the pattern has a `\B`.
pub fn uses_no_word_boundary(node: &Node) -> bool {
    match node {
        Node::Assert(Assertion::NoWordBoundary) => true,
        Node::Capture { sub, .. } | Node::Repeat { sub, .. } => uses_no_word_boundary(sub),
        Node::Concat(items) | Node::Alternate(items) => items.iter().any(uses_no_word_boundary),
        _ => false,
    }
}

/// Bounds on the number of instructions RE2 compiles the tree into: RE2 refuses a
/// pattern whose program passes its memory budget, and the exact count depends on
/// how its compiler shares UTF-8 suffixes, so only bounds are known here.
pub fn instruction_bounds(node: &Node) -> (u64, u64) {
    match node {
        Node::Empty | Node::Assert(_) | Node::AnyByte => (1, 1),
        Node::Class(ranges) => class_bounds(ranges),
        Node::Capture { sub, .. } => add((2, 2), instruction_bounds(sub)),
        Node::Concat(items) => items.iter().map(instruction_bounds).fold((0, 0), add),
        Node::Alternate(items) => items
            .iter()
            .map(instruction_bounds)
            .fold((items.len() as u64 - 1, items.len() as u64 - 1), add),
        Node::Repeat { op, sub, .. } => {
            let (lo, hi) = instruction_bounds(sub);
            let copies = match op {
                RepeatOp::Star | RepeatOp::Plus | RepeatOp::Quest => 1,
                RepeatOp::Counted { min, max } => u64::from(max.unwrap_or(*min + 1)).max(1),
            };
            (lo * copies + copies, hi * copies + 2 * copies)
        }
    }
}

fn add(a: (u64, u64), b: (u64, u64)) -> (u64, u64) {
    (a.0 + b.0, a.1 + b.1)
}

/// A class becomes UTF-8 byte-range instructions, shared between sequences where their
/// suffixes agree: at least one per sequence's first byte, at most one per byte.
fn class_bounds(ranges: &[(u32, u32)]) -> (u64, u64) {
    use regex_syntax::utf8::Utf8Sequences;
    let mut sequences = 0u64;
    let mut bytes = 0u64;
    for &(lo, hi) in ranges {
        for (lo, hi) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)] {
            let (Some(lo), Some(hi)) = (char::from_u32(lo), char::from_u32(hi)) else {
                continue;
            };
            if lo > hi {
                continue;
            }
            for sequence in Utf8Sequences::new(lo, hi) {
                sequences += 1;
                bytes += sequence.len() as u64;
            }
        }
    }
    (sequences.max(1), bytes.max(1) + 1)
}
