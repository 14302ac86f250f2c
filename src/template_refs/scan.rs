//! Where a template names an `IMAGES` entry. The runbook's deployments are Jinja2
//! templates rendered by cki-tools, which reach an entry as
//! `cki_variable('IMAGES').NAME`, `cki_variable("IMAGES")['NAME']`, `["NAME"]` or
//! `.get('NAME')`, with any whitespace between the parts. References inside a Jinja
//! comment (`{# ... #}`) do not count; one whose name is only known at render time
//! (`cki_variable('IMAGES')[name]`, the mapping passed around whole) is counted as
//! dynamic and not guessed at.

/// One reference to an entry by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    /// Byte offset of the name in the text.
    pub offset: usize,
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
}

/// Every reference in one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    pub found: Vec<Found>,
    /// References whose name is decided at render time.
    pub dynamic: usize,
}

/// What every reference starts with; texts without it are not scanned further.
pub const NEEDLE: &[u8] = b"cki_variable";

pub fn scan(text: &str) -> Scan {
    let comments = jinja_comments(text);
    let mut scan = Scan::default();
    let mut offsets = Vec::new();
    for start in memchr::memmem::find_iter(text.as_bytes(), NEEDLE) {
        if comments
            .iter()
            .any(|comment| comment.start <= start && start < comment.end)
        {
            continue;
        }
        // `my_cki_variable(...)` is another function.
        if text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        match reference_after(text, start + NEEDLE.len()) {
            Some(Reference::Named { name, offset }) => offsets.push((offset, name)),
            Some(Reference::Dynamic) => scan.dynamic += 1,
            None => {}
        }
    }
    let mut positions = Positions::new(text);
    scan.found = offsets
        .into_iter()
        .map(|(offset, name)| {
            let (line, column) = positions.at(offset);
            Found {
                name,
                offset,
                line,
                column,
            }
        })
        .collect();
    scan
}

enum Reference {
    Named { name: String, offset: usize },
    Dynamic,
}

/// What follows `cki_variable` at `at`: `None` when it is not the IMAGES mapping.
fn reference_after(text: &str, at: usize) -> Option<Reference> {
    let mut cursor = Cursor { text, at };
    cursor.skip_space();
    cursor.eat('(')?;
    cursor.skip_space();
    if cursor.string_literal()?.1 != "IMAGES" {
        return None;
    }
    cursor.skip_space();
    cursor.eat(')')?;
    cursor.skip_space();
    let named = |(offset, name): (usize, &str)| Reference::Named {
        name: name.to_string(),
        offset,
    };
    Some(match cursor.peek() {
        Some('.') => {
            cursor.at += 1;
            cursor.skip_space();
            let Some((offset, attribute)) = cursor.identifier() else {
                return Some(Reference::Dynamic);
            };
            cursor.skip_space();
            if cursor.peek() != Some('(') {
                named((offset, attribute))
            } else if attribute == "get" {
                // `.get('NAME')` reads an entry; `.items()` and friends read them all.
                cursor.at += 1;
                cursor.skip_space();
                cursor.string_literal().map_or(Reference::Dynamic, named)
            } else {
                Reference::Dynamic
            }
        }
        Some('[') => {
            cursor.at += 1;
            cursor.skip_space();
            match cursor.string_literal() {
                Some(literal) => {
                    cursor.skip_space();
                    match cursor.peek() {
                        Some(']') => named(literal),
                        _ => Reference::Dynamic,
                    }
                }
                None => Reference::Dynamic,
            }
        }
        _ => Reference::Dynamic,
    })
}

struct Cursor<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Cursor<'t> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn skip_space(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, wanted: char) -> Option<()> {
        (self.peek() == Some(wanted)).then(|| self.at += wanted.len_utf8())
    }

    /// A quoted Jinja string without escapes: its content and where that starts.
    fn string_literal(&mut self) -> Option<(usize, &'t str)> {
        let quote = self.peek().filter(|c| matches!(c, '\'' | '"'))?;
        let start = self.at + 1;
        let length = self.text[start..].find(quote)?;
        let content = &self.text[start..start + length];
        if content.contains(['\\', '\n']) {
            return None;
        }
        self.at = start + length + 1;
        Some((start, content))
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, as Jinja reads an attribute name.
    fn identifier(&mut self) -> Option<(usize, &'t str)> {
        let rest = &self.text[self.at..];
        let first = rest.chars().next()?;
        if !(first.is_ascii_alphabetic() || first == '_') {
            return None;
        }
        let length = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let start = self.at;
        self.at += length;
        Some((start, &rest[..length]))
    }
}

/// Byte ranges of `{# ... #}` comments (an unclosed one runs to the end, as Jinja
/// refuses the template anyway).
fn jinja_comments(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut comments = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{#").map(|i| from + i) {
        let end = text[open + 2..]
            .find("#}")
            .map_or(text.len(), |i| open + 2 + i + 2);
        comments.push(open..end);
        from = end;
    }
    comments
}

/// Line and column of increasing offsets, counted once through the text.
struct Positions<'t> {
    text: &'t str,
    offset: usize,
    line: usize,
    line_start: usize,
}

impl<'t> Positions<'t> {
    fn new(text: &'t str) -> Positions<'t> {
        Positions {
            text,
            offset: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn at(&mut self, offset: usize) -> (usize, usize) {
        for (i, byte) in self.text.as_bytes()[self.offset..offset].iter().enumerate() {
            if *byte == b'\n' {
                self.line += 1;
                self.line_start = self.offset + i + 1;
            }
        }
        self.offset = offset;
        let column = self.text[self.line_start..offset].chars().count() + 1;
        (self.line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(String, usize, usize)> {
        scan(text)
            .found
            .into_iter()
            .map(|f| (f.name, f.line, f.column))
            .collect()
    }

    #[test]
    fn every_spelling_of_a_reference_is_found_with_its_position() {
        let text = "image: {{ cki_variable('IMAGES').grafana }}\n\
                    b: {{ cki_variable(\"IMAGES\")['loki'] }}\n\
                    c: {{cki_variable( 'IMAGES' ) [ \"dex\" ]}}\n\
                    d: {{ cki_variable('IMAGES')\n   .  tempo | default('x') }}\n\
                    e: {{ cki_variable('IMAGES').get('mimir') }}\n";
        assert_eq!(
            names(text),
            [
                ("grafana".into(), 1, 34),
                ("loki".into(), 2, 31),
                ("dex".into(), 3, 34),
                ("tempo".into(), 5, 7),
                ("mimir".into(), 6, 35),
            ]
        );
    }

    #[test]
    fn comments_other_variables_and_other_functions_are_not_references() {
        let text = "{# cki_variable('IMAGES').old #}\n\
                    {#\n{{ cki_variable('IMAGES').older }}\n#}\n\
                    {{ cki_variable('MP_APPROVED_REGISTRIES')[0] }}\n\
                    {{ my_cki_variable('IMAGES').x }}\n\
                    {{ cki_variable('IMAGES').kept }}\n";
        assert_eq!(names(text), [("kept".into(), 7, 27)]);
        assert_eq!(scan(text).dynamic, 0);
    }

    #[test]
    fn names_known_only_at_render_time_are_counted_not_guessed() {
        let text = "{% for name in names %}{{ cki_variable('IMAGES')[name] }}{% endfor %}\n\
                    {% set images = cki_variable('IMAGES') %}{{ images.grafana }}\n\
                    {% for k, v in cki_variable('IMAGES').items() %}{% endfor %}\n\
                    {{ cki_variable('IMAGES')['a' ~ b] }}\n";
        let scan = scan(text);
        assert!(scan.found.is_empty(), "{:?}", scan.found);
        assert_eq!(scan.dynamic, 4);
    }
}
