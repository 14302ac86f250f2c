//! Which extracted dep lies on which `IMAGES` entry.

use std::ops::Range;

use crate::lint::EntryFacts;
use crate::reference::Reference;
use crate::renovate::FileView;
use crate::vars::{ImageEntry, VarsFile};

pub use crate::renovate::DepRef;

/// What Renovate sees of one entry.
#[derive(Debug, Clone)]
pub struct EntryCoverage<'a> {
    pub entry: usize,
    /// The entry's bytes in the file: its value, or its whole line when the value spans
    /// lines.
    pub region: Range<usize>,
    pub deps: Deps,
    /// The image the entry really is (the upstream for a mirrored entry), when valid.
    pub source: Option<&'a Reference>,
    pub reference: Option<&'a Reference>,
}

/// The deps on one entry: almost always one, held without an allocation (a check
/// covers tens of thousands of entries).
#[derive(Debug, Clone, Default)]
pub enum Deps {
    #[default]
    None,
    One(DepRef),
    Many(Vec<DepRef>),
}

impl Deps {
    fn push(&mut self, at: DepRef) {
        *self = match std::mem::take(self) {
            Deps::None => Deps::One(at),
            Deps::One(first) => Deps::Many(vec![first, at]),
            Deps::Many(mut all) => {
                all.push(at);
                Deps::Many(all)
            }
        };
    }
}

impl std::ops::Deref for Deps {
    type Target = [DepRef];

    fn deref(&self) -> &[DepRef] {
        match self {
            Deps::None => &[],
            Deps::One(at) => std::slice::from_ref(at),
            Deps::Many(all) => all,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Coverage<'a> {
    pub entries: Vec<EntryCoverage<'a>>,
    /// Deps that lie on no entry.
    pub outside: Vec<DepRef>,
}

impl<'a> Coverage<'a> {
    /// `facts` are `vars`' entries, analysed in the same order.
    pub fn compute(view: &FileView, vars: &VarsFile, facts: &'a [EntryFacts<'_>]) -> Coverage<'a> {
        let line_starts = line_starts(&vars.text);
        let mut entries: Vec<EntryCoverage<'a>> = vars
            .images
            .iter()
            .zip(facts)
            .enumerate()
            .map(|(index, (image, facts))| EntryCoverage {
                entry: index,
                region: region(image, &line_starts, vars.text.len()),
                deps: Deps::default(),
                source: facts.source(),
                reference: facts.reference.as_ref().ok(),
            })
            .collect();
        // Entries are in file order, so their regions are sorted: binary search each dep.
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by_key(|&i| entries[i].region.start);
        let mut outside = Vec::new();
        for (run_index, run) in view.runs.iter().enumerate() {
            for (dep_index, dep) in run.extraction.deps.iter().enumerate() {
                let at = DepRef {
                    run: run_index,
                    dep: dep_index,
                };
                let Some(span) = &dep.span else {
                    outside.push(at);
                    continue;
                };
                let first = order.partition_point(|&i| entries[i].region.end <= span.start);
                let mut covered = false;
                for &i in &order[first..] {
                    if entries[i].region.start >= span.end.max(span.start + 1) {
                        break;
                    }
                    entries[i].deps.push(at);
                    covered = true;
                }
                if !covered {
                    outside.push(at);
                }
            }
        }
        Coverage { entries, outside }
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn region(image: &ImageEntry, line_starts: &[usize], len: usize) -> Range<usize> {
    if let Some(span) = &image.value_span {
        return span.clone();
    }
    let start = line_starts.get(image.line - 1).copied().unwrap_or(0);
    let end = line_starts.get(image.line).map_or(len, |next| next - 1);
    start..end
}

/// The whole lines `region` lies on, without the last line's end.
pub fn lines_of(text: &str, region: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    let start = text[..region.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[region.end..]
        .find('\n')
        .map_or(text.len(), |i| region.end + i);
    start..end
}

/// Where each line of a text starts, to place many offsets in a large file.
#[derive(Debug)]
pub struct LineIndex(Vec<usize>);

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        LineIndex(line_starts(text))
    }

    /// 1-based line and column of a byte offset, as [`position`] gives them.
    pub fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.0.partition_point(|&start| start <= offset);
        let start = self.0[line - 1];
        (line, text[start..offset].chars().count() + 1)
    }
}

/// 1-based line and column of a byte offset.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}
