//! What an `IMAGES` value is, decided once for every command: used directly from its
//! registry, mirrored under the prefix (with the upstream it copies), or unusable, and
//! why. `check`, `mirror`, `verify`, `pin`, `diff` and `post-upgrade` all read entries
//! through [`Classification`], so they never disagree on what an entry is.

use crate::mirror_map::{MirrorPathError, MirrorPrefix};
use crate::reference::{Reference, ReferenceError};
use crate::vars::ImageEntry;

/// An entry's value, parsed and placed relative to the mirror prefix.
#[derive(Debug, Clone)]
pub struct Classification {
    /// The value as a reference.
    pub reference: Result<Reference, ReferenceError>,
    /// `Some` when the value is written under the mirror prefix: the upstream it
    /// mirrors, or why it has none (an upstream port, a mirror of the mirror, ...).
    pub upstream: Option<Result<Reference, MirrorPathError>>,
}

/// What the entry is, in one word.
#[derive(Debug, Clone, Copy)]
pub enum Kind<'c> {
    /// Pulled from its own registry.
    Direct(&'c Reference),
    /// Pulled from the mirror, a copy of `upstream`.
    Mirrored {
        mirror: &'c Reference,
        upstream: &'c Reference,
    },
    /// Not a reference, or under the prefix without a usable upstream.
    Unusable(Unusable<'c>),
}

#[derive(Debug, Clone, Copy)]
pub enum Unusable<'c> {
    Malformed(&'c ReferenceError),
    MirrorPath(&'c MirrorPathError),
}

impl Classification {
    pub fn of(value: &str, prefix: &MirrorPrefix) -> Classification {
        Classification::from_parsed(Reference::parse(value), value, prefix)
    }

    /// The classification of an `IMAGES` entry, whose reference and upstream share the
    /// entry's text (a check holds all three for every entry).
    pub fn of_entry(entry: &ImageEntry, prefix: &MirrorPrefix) -> Classification {
        Classification::from_parsed(Reference::parse_shared(&entry.value), &entry.value, prefix)
    }

    fn from_parsed(
        reference: Result<Reference, ReferenceError>,
        value: &str,
        prefix: &MirrorPrefix,
    ) -> Classification {
        let upstream = match &reference {
            Ok(reference) => prefix.upstream_of(reference),
            // Text that does not parse may still be a mirror path with a reason (an
            // upstream port makes the whole value unparsable).
            Err(_) => prefix.explain_unparsable(value).map(Err),
        };
        Classification {
            reference,
            upstream,
        }
    }

    pub fn kind(&self) -> Kind<'_> {
        match (&self.reference, &self.upstream) {
            (_, Some(Err(error))) => Kind::Unusable(Unusable::MirrorPath(error)),
            (Err(error), _) => Kind::Unusable(Unusable::Malformed(error)),
            (Ok(mirror), Some(Ok(upstream))) => Kind::Mirrored { mirror, upstream },
            (Ok(reference), None) => Kind::Direct(reference),
        }
    }

    /// Written under the mirror prefix, usable or not.
    pub fn is_under_prefix(&self) -> bool {
        self.upstream.is_some()
    }

    /// The image a registry is asked for when Renovate looks this entry up: the
    /// upstream of a mirror, else the reference itself.
    pub fn looked_up(&self) -> Option<&Reference> {
        match self.kind() {
            Kind::Direct(reference) => Some(reference),
            Kind::Mirrored { upstream, .. } => Some(upstream),
            Kind::Unusable(_) => None,
        }
    }
}

impl std::fmt::Display for Unusable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::Malformed(error) => error.fmt(f),
            Unusable::MirrorPath(error) => error.fmt(f),
        }
    }
}
