//! What the rules need to know about one `IMAGES` entry, worked out once.

use std::ops::Range;

use crate::diag::{Code, Diagnostic};
use crate::mirror_map::{MirrorPathError, MirrorPrefix};
use crate::reference::{Reference, ReferenceError};
use crate::vars::ImageEntry;

use super::Context;

/// An entry, its parsed reference and, when it is under the mirror prefix, its upstream.
pub struct EntryFacts<'a> {
    pub entry: &'a ImageEntry,
    pub reference: Result<Reference, ReferenceError>,
    /// `Some` when the entry is written under the mirror prefix.
    pub upstream: Option<Result<Reference, MirrorPathError>>,
}

impl<'a> EntryFacts<'a> {
    pub fn analyse(entry: &'a ImageEntry, prefix: &MirrorPrefix) -> EntryFacts<'a> {
        let crate::classify::Classification {
            reference,
            upstream,
        } = crate::classify::Classification::of_entry(entry, prefix);
        EntryFacts {
            entry,
            reference,
            upstream,
        }
    }

    /// The reference, when it parsed and (for mirrored entries) its upstream did too.
    pub fn valid(&self) -> Option<&Reference> {
        match (&self.reference, &self.upstream) {
            (Ok(reference), None | Some(Ok(_))) => Some(reference),
            _ => None,
        }
    }

    /// The image a cluster would really get: the upstream for a mirrored entry.
    pub fn source(&self) -> Option<&Reference> {
        match &self.upstream {
            Some(Ok(upstream)) => Some(upstream),
            Some(Err(_)) => None,
            None => self.reference.as_ref().ok(),
        }
    }

    /// A finding that underlines the whole value.
    pub fn diagnostic(
        &self,
        code: &'static Code,
        ctx: &Context<'_>,
        message: String,
    ) -> Diagnostic {
        self.diagnostic_on(code, ctx, message, 0..self.entry.value.len())
    }

    /// A finding that underlines `part` (a byte range of the value).
    pub fn diagnostic_on(
        &self,
        code: &'static Code,
        ctx: &Context<'_>,
        message: String,
        part: Range<usize>,
    ) -> Diagnostic {
        let value = &self.entry.value;
        // Columns only line up with the text when the value sits on its line as written.
        let (column, width) = if self.entry.value_span.is_some() {
            (
                self.entry.column + value[..part.start].chars().count(),
                value[part].chars().count(),
            )
        } else {
            (self.entry.column, 1)
        };
        Diagnostic::new(code, ctx.path, message)
            .at(self.entry.line, column)
            .width(width)
            .entry(&self.entry.name)
    }
}
