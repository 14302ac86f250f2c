//! How far a pattern gets where it does not match: for each place a match could have
//! started, the furthest position any thread of RE2's automaton reaches before every
//! thread dies, what the threads there were waiting for, and what the leading thread
//! had captured. This is what a "near miss" is built from.
//!
//! The matcher that finds matches (the `regex` crate) cannot say this: a failed search
//! leaves nothing behind. So the parsed RE2 tree is compiled here once more, into a
//! Thompson program that a Pike VM runs over the text between matches only. Threads
//! carry the position they started at; when two reach the same instruction at once the
//! one that started first (RE2's leftmost preference) is kept, and it reaches at least
//! as far as the other would have.

use std::collections::BTreeMap;
use std::ops::Range;

use super::parse::{Assertion, Node, RepeatOp};

/// Programs above this many instructions are not followed: no real matchString comes
/// near it, and a hostile one should not make `check` slow.
const MAX_INSTRUCTIONS: usize = 100_000;
/// Expectations kept per place where threads died.
const MAX_EXPECTED: usize = 8;

/// What a consuming instruction belongs to, to explain what a thread expected there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The innermost capture group around it.
    pub group: Option<u32>,
    /// Its literal run and its offset in characters within it.
    pub literal: Option<(usize, usize)>,
}

#[derive(Debug, Clone)]
enum Inst {
    Char {
        class: usize,
        next: usize,
        origin: Origin,
    },
    Split(usize, usize),
    Save {
        slot: usize,
        next: usize,
    },
    Assert {
        assertion: Assertion,
        next: usize,
    },
    Match,
    /// A placeholder while a loop is compiled.
    Hole,
}

/// What a thread was waiting for where it died.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// A run of literal characters, from its start.
    Literal {
        text: String,
        group: Option<u32>,
    },
    /// A character class, inside `group` if any.
    Class {
        ranges: Vec<(u32, u32)>,
        group: Option<u32>,
    },
    Assertion(Assertion),
}

/// The furthest one start got.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Where the attempt started.
    pub start: usize,
    /// Where every thread had died: the first character none of them could take.
    pub stop: usize,
    /// Where the explanation should point: the start of the literal run a thread was
    /// in the middle of (past its leading white space), else `stop`.
    pub shown_at: usize,
    /// Each group's byte range as the leading thread had it (`None` for a group not
    /// entered); a group still open has its start and `stop` as its end.
    pub groups: Vec<Option<Range<usize>>>,
    /// Groups still open at `stop`, innermost last.
    pub open: Vec<u32>,
    pub expected: Vec<Expected>,
    /// Literal characters (not white space) the leading thread had matched...
    pub literal_chars: u32,
    /// ...of which in literal runs it matched whole.
    pub whole_literal_chars: u32,
    /// It stopped inside a literal run it had begun to match (`depname=` for
    /// `depName=`): the mark of a typo.
    pub inside_literal: bool,
}

/// A pattern compiled for [`Program::attempts`].
#[derive(Debug)]
pub struct Program {
    insts: Vec<Inst>,
    classes: Vec<Vec<(u32, u32)>>,
    literals: Vec<String>,
    /// Each literal run's length in characters and its characters that are not white
    /// space.
    literal_sizes: Vec<(usize, u32)>,
    slots: usize,
    start: usize,
    /// ASCII bytes a match can start with, and whether a non-ASCII character can.
    first_ascii: [bool; 128],
    first_non_ascii: bool,
}

impl Program {
    /// `None` for a pattern too large to follow, or one that can match the empty string
    /// (every position is a match of it; nothing is ever missed).
    pub fn compile(node: &Node, groups: usize) -> Option<Program> {
        if super::emit::nullable(node) {
            return None;
        }
        let mut compiler = Compiler {
            insts: vec![Inst::Match],
            classes: Vec::new(),
            literals: Vec::new(),
        };
        let body = compiler.node(node, 0, None, None)?;
        let start = compiler.push(Inst::Save {
            slot: 0,
            next: body,
        })?;
        let literal_sizes = compiler
            .literals
            .iter()
            .map(|run| {
                let blank = run.chars().filter(|c| c.is_whitespace()).count();
                (run.chars().count(), (run.chars().count() - blank) as u32)
            })
            .collect();
        let mut program = Program {
            insts: compiler.insts,
            classes: compiler.classes,
            literals: compiler.literals,
            literal_sizes,
            slots: 2 * groups.max(1),
            start,
            first_ascii: [false; 128],
            first_non_ascii: false,
        };
        program.first_chars();
        Some(program)
    }

    fn first_chars(&mut self) {
        let mut seen = vec![false; self.insts.len()];
        let mut stack = vec![self.start];
        while let Some(pc) = stack.pop() {
            if std::mem::replace(&mut seen[pc], true) {
                continue;
            }
            match &self.insts[pc] {
                Inst::Char { class, .. } => {
                    for &(lo, hi) in &self.classes[*class] {
                        for c in lo..=hi.min(127) {
                            self.first_ascii[c as usize] = true;
                        }
                        if hi > 127 {
                            self.first_non_ascii = true;
                        }
                    }
                }
                Inst::Split(a, b) => stack.extend([*b, *a]),
                Inst::Save { next, .. } | Inst::Assert { next, .. } => stack.push(*next),
                Inst::Match | Inst::Hole => {}
            }
        }
    }

    /// Whether a match could start at a character whose first byte is `byte` (never in
    /// the middle of a character).
    fn can_start(&self, byte: u8) -> bool {
        if byte < 0x80 {
            self.first_ascii[byte as usize]
        } else {
            byte >= 0xC0 && self.first_non_ascii
        }
    }

    /// The next position at or after `from` (and before `to`) where a match could start.
    fn next_start(&self, text: &[u8], from: usize, to: usize) -> Option<usize> {
        (from..to).find(|&at| self.can_start(text[at]))
    }

    /// Every attempt that starts in one of `regions` and fails without reaching past
    /// it: the text from a region's end on is a match (or the end), and an attempt that
    /// takes a character of it is no miss of its own. In order of start. One machine
    /// serves every region.
    pub fn attempts(&self, text: &str, regions: &[Range<usize>]) -> Vec<Attempt> {
        let mut vm = Vm::new(self, text);
        for region in regions {
            vm.run(region.clone());
        }
        vm.finish()
    }
}

struct Compiler {
    insts: Vec<Inst>,
    classes: Vec<Vec<(u32, u32)>>,
    literals: Vec<String>,
}

impl Compiler {
    fn push(&mut self, inst: Inst) -> Option<usize> {
        if self.insts.len() >= MAX_INSTRUCTIONS {
            return None;
        }
        self.insts.push(inst);
        Some(self.insts.len() - 1)
    }

    fn class(&mut self, ranges: &[(u32, u32)]) -> usize {
        match self.classes.iter().position(|c| c == ranges) {
            Some(index) => index,
            None => {
                self.classes.push(ranges.to_vec());
                self.classes.len() - 1
            }
        }
    }

    /// Compiles `node` so that it continues at `next`; the instruction it starts at.
    fn node(
        &mut self,
        node: &Node,
        next: usize,
        group: Option<u32>,
        literal: Option<(usize, usize)>,
    ) -> Option<usize> {
        match node {
            Node::Empty => Some(next),
            Node::Class(ranges) => {
                let class = self.class(ranges);
                self.push(Inst::Char {
                    class,
                    next,
                    origin: Origin { group, literal },
                })
            }
            Node::AnyByte => {
                let class = self.class(&[(0, super::parse::MAX_RUNE)]);
                self.push(Inst::Char {
                    class,
                    next,
                    origin: Origin {
                        group,
                        literal: None,
                    },
                })
            }
            Node::Assert(assertion) => self.push(Inst::Assert {
                assertion: *assertion,
                next,
            }),
            Node::Capture { index, sub } => {
                let slot = 2 * *index as usize;
                let close = self.push(Inst::Save {
                    slot: slot + 1,
                    next,
                })?;
                let body = self.node(sub, close, Some(*index), None)?;
                self.push(Inst::Save { slot, next: body })
            }
            Node::Concat(items) => {
                let literals = self.literal_runs(items);
                let mut at = next;
                for (item, literal) in items.iter().zip(literals).rev() {
                    at = self.node(item, at, group, literal)?;
                }
                Some(at)
            }
            Node::Alternate(items) => {
                let mut starts = Vec::with_capacity(items.len());
                for item in items {
                    starts.push(self.node(item, next, group, None)?);
                }
                let mut at = *starts.last()?;
                for &first in starts.iter().rev().skip(1) {
                    at = self.push(Inst::Split(first, at))?;
                }
                Some(at)
            }
            Node::Repeat { op, flags, sub } => {
                let greedy = Node::greedy(*flags);
                let (min, max) = match *op {
                    RepeatOp::Star => (0, None),
                    RepeatOp::Plus => (1, None),
                    RepeatOp::Quest => (0, Some(1)),
                    RepeatOp::Counted { min, max } => (min, max),
                };
                let mut at = match max {
                    None => self.looping(sub, next, group, greedy)?,
                    Some(max) => {
                        let mut at = next;
                        for _ in min..max {
                            let body = self.node(sub, at, group, None)?;
                            at = self.choice(body, next, greedy)?;
                        }
                        at
                    }
                };
                // The mandatory passes go first: `x{2,}` is `x x x*`.
                for _ in 0..min {
                    at = self.node(sub, at, group, None)?;
                }
                Some(at)
            }
        }
    }

    /// `sub*` continuing at `next`.
    fn looping(
        &mut self,
        sub: &Node,
        next: usize,
        group: Option<u32>,
        greedy: bool,
    ) -> Option<usize> {
        let split = self.push(Inst::Hole)?;
        let body = self.node(sub, split, group, None)?;
        self.insts[split] = if greedy {
            Inst::Split(body, next)
        } else {
            Inst::Split(next, body)
        };
        Some(split)
    }

    fn choice(&mut self, take: usize, skip: usize, greedy: bool) -> Option<usize> {
        self.push(if greedy {
            Inst::Split(take, skip)
        } else {
            Inst::Split(skip, take)
        })
    }

    /// For each item of a concatenation, its literal run and offset: consecutive
    /// literal characters (a class of one character, or of one letter in its cases).
    fn literal_runs(&mut self, items: &[Node]) -> Vec<Option<(usize, usize)>> {
        let mut out = vec![None; items.len()];
        let mut i = 0;
        while i < items.len() {
            let run: Vec<char> = items[i..].iter().map_while(literal_char).collect();
            if run.is_empty() {
                i += 1;
                continue;
            }
            self.literals.push(run.iter().collect());
            let index = self.literals.len() - 1;
            for offset in 0..run.len() {
                out[i + offset] = Some((index, offset));
            }
            i += run.len();
        }
        out
    }
}

/// The character a class stands for when it is a literal: one code point, or one letter
/// in its cases (`(?i)`), shown in the lower case.
fn literal_char(node: &Node) -> Option<char> {
    let Node::Class(ranges) = node else {
        return None;
    };
    let mut chars = ranges.iter().flat_map(|&(lo, hi)| lo..=hi.min(lo + 4));
    let first = char::from_u32(chars.next()?)?;
    let count: u32 = ranges.iter().map(|&(lo, hi)| hi - lo + 1).sum();
    if count == 1 {
        return Some(first);
    }
    let folded = |c: char| c.to_lowercase().next().unwrap_or(c);
    let shown = folded(first);
    (count <= 4 && chars.all(|c| char::from_u32(c).is_some_and(|c| folded(c) == shown)))
        .then_some(shown)
}

/// A thread's state besides its instruction.
#[derive(Debug, Clone, Copy)]
struct Meta {
    start: usize,
    literal_chars: u32,
    whole_literal_chars: u32,
}

/// Threads at one position: a sparse set of instructions, each with its slots.
struct Threads {
    dense: Vec<usize>,
    sparse: Vec<usize>,
    slots: Vec<Option<usize>>,
    meta: Vec<Meta>,
    width: usize,
}

impl Threads {
    fn new(insts: usize, width: usize) -> Threads {
        Threads {
            dense: Vec::with_capacity(insts),
            sparse: vec![0; insts],
            slots: vec![None; insts * width],
            meta: vec![
                Meta {
                    start: 0,
                    literal_chars: 0,
                    whole_literal_chars: 0,
                };
                insts
            ],
            width,
        }
    }

    fn contains(&self, pc: usize) -> bool {
        let at = self.sparse[pc];
        at < self.dense.len() && self.dense[at] == pc
    }

    fn insert(&mut self, pc: usize) {
        self.sparse[pc] = self.dense.len();
        self.dense.push(pc);
    }

    fn slots(&self, pc: usize) -> &[Option<usize>] {
        &self.slots[pc * self.width..(pc + 1) * self.width]
    }
}

enum Frame {
    Explore(usize),
    Restore(usize, Option<usize>),
}

/// The furthest place one start reached, while it is being worked out.
struct Furthest {
    stop: usize,
    pcs: Vec<usize>,
    slots: Vec<Option<usize>>,
    meta: Meta,
}

struct Vm<'p, 't> {
    program: &'p Program,
    text: &'t str,
    current: Threads,
    next: Threads,
    stack: Vec<Frame>,
    scratch: Vec<Option<usize>>,
    furthest: BTreeMap<usize, Furthest>,
    /// Starts whose attempt matched, or ran into the text past the region.
    covered: std::collections::HashSet<usize>,
}

impl<'p, 't> Vm<'p, 't> {
    fn new(program: &'p Program, text: &'t str) -> Vm<'p, 't> {
        let insts = program.insts.len();
        Vm {
            program,
            text,
            current: Threads::new(insts, program.slots),
            next: Threads::new(insts, program.slots),
            stack: Vec::new(),
            scratch: vec![None; program.slots],
            furthest: BTreeMap::new(),
            covered: Default::default(),
        }
    }

    fn run(&mut self, region: Range<usize>) {
        let bytes = self.text.as_bytes();
        let mut at = region.start;
        loop {
            if self.current.dense.is_empty() {
                match self.program.next_start(bytes, at, region.end) {
                    Some(start) => at = start,
                    None => return,
                }
            }
            if at < region.end && self.program.can_start(bytes[at]) {
                self.scratch.iter_mut().for_each(|slot| *slot = None);
                let meta = Meta {
                    start: at,
                    literal_chars: 0,
                    whole_literal_chars: 0,
                };
                self.add_current(self.program.start, at, meta);
            }
            let c = self.text[at..].chars().next();
            let after = at + c.map_or(0, char::len_utf8);
            for index in 0..self.current.dense.len() {
                let pc = self.current.dense[index];
                let meta = self.current.meta[pc];
                match &self.program.insts[pc] {
                    Inst::Char {
                        class,
                        next,
                        origin,
                    } => {
                        let takes = c.is_some_and(|c| contains(&self.program.classes[*class], c));
                        if !takes {
                            record(&mut self.furthest, pc, at, meta, self.current.slots(pc));
                            continue;
                        }
                        if at >= region.end {
                            self.covered.insert(meta.start);
                            continue;
                        }
                        let counts =
                            origin.literal.is_some() && !c.is_some_and(char::is_whitespace);
                        let whole = origin.literal.map_or(0, |(run, offset)| {
                            let (len, weight) = self.program.literal_sizes[run];
                            if offset + 1 == len { weight } else { 0 }
                        });
                        let meta = Meta {
                            literal_chars: meta.literal_chars + u32::from(counts),
                            whole_literal_chars: meta.whole_literal_chars + whole,
                            ..meta
                        };
                        self.scratch.copy_from_slice(self.current.slots(pc));
                        self.add_next(*next, after, meta);
                    }
                    Inst::Match => {
                        self.covered.insert(meta.start);
                    }
                    _ => {}
                }
            }
            std::mem::swap(&mut self.current, &mut self.next);
            self.next.dense.clear();
            if c.is_none() || (at >= region.end && self.current.dense.is_empty()) {
                return;
            }
            at = after;
        }
    }

    fn add_current(&mut self, pc: usize, at: usize, meta: Meta) {
        let mut threads = std::mem::replace(&mut self.current, Threads::new(0, 0));
        self.add(&mut threads, pc, at, meta);
        self.current = threads;
    }

    fn add_next(&mut self, pc: usize, at: usize, meta: Meta) {
        let mut threads = std::mem::replace(&mut self.next, Threads::new(0, 0));
        self.add(&mut threads, pc, at, meta);
        self.next = threads;
    }

    /// Follows every empty transition from `pc` at `at`, with the slots in `scratch`.
    fn add(&mut self, threads: &mut Threads, pc: usize, at: usize, meta: Meta) {
        self.stack.push(Frame::Explore(pc));
        while let Some(frame) = self.stack.pop() {
            let pc = match frame {
                Frame::Restore(slot, old) => {
                    self.scratch[slot] = old;
                    continue;
                }
                Frame::Explore(pc) => pc,
            };
            if threads.contains(pc) {
                continue;
            }
            threads.insert(pc);
            match self.program.insts[pc] {
                Inst::Char { .. } | Inst::Match => {
                    let width = threads.width;
                    threads.slots[pc * width..(pc + 1) * width].copy_from_slice(&self.scratch);
                    threads.meta[pc] = meta;
                }
                Inst::Split(first, second) => {
                    self.stack.push(Frame::Explore(second));
                    self.stack.push(Frame::Explore(first));
                }
                Inst::Save { slot, next } => {
                    if slot < self.scratch.len() {
                        self.stack.push(Frame::Restore(slot, self.scratch[slot]));
                        self.scratch[slot] = Some(at);
                    }
                    self.stack.push(Frame::Explore(next));
                }
                Inst::Assert { assertion, next } => {
                    if holds(assertion, self.text.as_bytes(), at) {
                        self.stack.push(Frame::Explore(next));
                    } else {
                        record(&mut self.furthest, pc, at, meta, &self.scratch);
                    }
                }
                Inst::Hole => {}
            }
        }
    }

    fn finish(self) -> Vec<Attempt> {
        let program = self.program;
        let text = self.text;
        self.furthest
            .into_iter()
            .filter(|(start, _)| !self.covered.contains(start))
            .map(|(start, furthest)| {
                let mut expected = Vec::new();
                let mut shown_at = furthest.stop;
                for &pc in &furthest.pcs {
                    let one = match &program.insts[pc] {
                        Inst::Char { class, origin, .. } => match origin.literal {
                            Some((run, offset)) => {
                                let literal = &program.literals[run];
                                let back = back_chars(text, furthest.stop, offset);
                                // Point past the run's leading white space once it matched.
                                let blank =
                                    literal.chars().take_while(|c| c.is_whitespace()).count();
                                let (from, skipped) =
                                    if offset >= blank && blank < literal.chars().count() {
                                        (advance_chars(text, back, blank), blank)
                                    } else {
                                        (back, 0)
                                    };
                                // A literal it had begun is where to look.
                                if from < shown_at {
                                    shown_at = from;
                                }
                                Expected::Literal {
                                    text: literal.chars().skip(skipped).collect(),
                                    group: origin.group,
                                }
                            }
                            None => Expected::Class {
                                ranges: program.classes[*class].clone(),
                                group: origin.group,
                            },
                        },
                        Inst::Assert { assertion, .. } => Expected::Assertion(*assertion),
                        _ => continue,
                    };
                    if !expected.contains(&one) {
                        expected.push(one);
                    }
                }
                let groups: Vec<Option<Range<usize>>> = furthest
                    .slots
                    .chunks(2)
                    .map(|pair| match (pair[0], pair.get(1).copied().flatten()) {
                        (Some(from), Some(to)) => Some(from..to),
                        (Some(from), None) => Some(from..furthest.stop),
                        _ => None,
                    })
                    .collect();
                let open = furthest
                    .slots
                    .chunks(2)
                    .enumerate()
                    .skip(1)
                    .filter(|(_, pair)| {
                        pair[0].is_some() && pair.get(1).copied().flatten().is_none()
                    })
                    .map(|(index, _)| index as u32)
                    .collect();
                Attempt {
                    start,
                    stop: furthest.stop,
                    shown_at,
                    groups,
                    open,
                    inside_literal: shown_at < furthest.stop,
                    expected,
                    literal_chars: furthest.meta.literal_chars,
                    whole_literal_chars: furthest.meta.whole_literal_chars,
                }
            })
            .collect()
    }
}

/// Notes that a thread of `meta.start` died at `at`, waiting at `pc`.
fn record(
    furthest: &mut BTreeMap<usize, Furthest>,
    pc: usize,
    at: usize,
    meta: Meta,
    slots: &[Option<usize>],
) {
    let entry = furthest.entry(meta.start).or_insert_with(|| Furthest {
        stop: at,
        pcs: Vec::new(),
        slots: slots.to_vec(),
        meta,
    });
    if at > entry.stop {
        *entry = Furthest {
            stop: at,
            pcs: vec![pc],
            slots: slots.to_vec(),
            meta,
        };
    } else if at == entry.stop {
        if entry.pcs.len() < MAX_EXPECTED && !entry.pcs.contains(&pc) {
            entry.pcs.push(pc);
        }
        // Of threads that died at one place, the one that had read the most groups
        // explains it best: the one that closed a group rather than the one still in it.
        if closed_groups(slots) > closed_groups(&entry.slots) {
            entry.slots = slots.to_vec();
            entry.meta = meta;
        }
    }
}

fn closed_groups(slots: &[Option<usize>]) -> usize {
    slots
        .chunks(2)
        .filter(|pair| pair.len() == 2 && pair[0].is_some() && pair[1].is_some())
        .count()
}

fn contains(ranges: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

/// `count` characters back from `at`.
fn back_chars(text: &str, at: usize, count: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .nth(count.saturating_sub(1))
        .filter(|_| count > 0)
        .map_or(at, |(index, _)| index)
}

fn advance_chars(text: &str, at: usize, count: usize) -> usize {
    text[at..]
        .char_indices()
        .nth(count)
        .map_or(text.len(), |(index, _)| at + index)
}

/// RE2's empty-width assertions at byte `at`; `\b` is ASCII's.
fn holds(assertion: Assertion, text: &[u8], at: usize) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let before = at.checked_sub(1).map(|i| text[i]);
    let here = text.get(at).copied();
    match assertion {
        Assertion::BeginText => at == 0,
        Assertion::EndText => at == text.len(),
        Assertion::BeginLine => before.is_none_or(|b| b == b'\n'),
        Assertion::EndLine => here.is_none_or(|b| b == b'\n'),
        Assertion::WordBoundary => before.is_some_and(word) != here.is_some_and(word),
        Assertion::NoWordBoundary => before.is_some_and(word) == here.is_some_and(word),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempts(pattern: &str, text: &str) -> Vec<Attempt> {
        let parsed =
            super::super::parse::parse(pattern, super::super::parse::Flags::initial(false))
                .unwrap();
        let program = Program::compile(&parsed.node, parsed.names.len()).unwrap();
        program.attempts(text, std::slice::from_ref(&(0..text.len())))
    }

    fn furthest(pattern: &str, text: &str) -> Attempt {
        attempts(pattern, text)
            .into_iter()
            .max_by_key(|a| (a.stop, std::cmp::Reverse(a.start)))
            .unwrap()
    }

    #[test]
    fn a_literal_run_is_shown_from_its_start() {
        let text = "# renovate: datasource=github-releases depname=foo\n";
        let attempt = furthest(
            r"# renovate: datasource=(?P<datasource>\S+) depName=(?P<depName>\S+)",
            text,
        );
        assert_eq!(attempt.start, 0);
        assert_eq!(&text[attempt.shown_at..attempt.shown_at + 8], "depname=");
        assert_eq!(&text[attempt.stop..attempt.stop + 1], "n");
        assert_eq!(
            attempt.expected,
            vec![Expected::Literal {
                text: "depName=".into(),
                group: None
            }]
        );
        assert_eq!(attempt.groups[1], Some(23..38));
        assert!(attempt.open.is_empty());
    }

    #[test]
    fn an_open_group_is_reported_with_what_it_holds() {
        let text = "tag: 1.2-alpine\n";
        let attempt = furthest(r"tag: (?P<v>[0-9.]+)\n", text);
        assert_eq!(&text[attempt.stop..attempt.stop + 1], "-");
        assert_eq!(attempt.groups[1], Some(5..8));
        // The group could have gone on, or ended before the newline.
        assert_eq!(attempt.expected.len(), 2);
    }

    #[test]
    fn a_match_is_no_attempt() {
        assert!(
            attempts(r"a(?P<x>b+)c", "xxabbbc yy")
                .iter()
                .all(|a| a.start != 2)
        );
    }

    #[test]
    fn an_attempt_reaching_past_the_region_is_dropped() {
        let parsed =
            super::super::parse::parse("ab+c", super::super::parse::Flags::initial(false)).unwrap();
        let program = Program::compile(&parsed.node, 1).unwrap();
        // `abbb` runs into the region's end: the rest is another match's text.
        let found = program.attempts("abbbc", std::slice::from_ref(&(0..3)));
        assert!(found.iter().all(|a| a.start != 0), "{found:?}");
        // Stopping right at the region's end is a miss of its own.
        let found = program.attempts("abbx", std::slice::from_ref(&(0..3)));
        assert!(found.iter().any(|a| a.start == 0 && a.stop == 3));
    }

    #[test]
    fn counted_repeats_and_assertions_are_followed() {
        let text = "x sha256:abc\n";
        let attempt = furthest(r"sha256:[a-f0-9]{4}$", text);
        assert_eq!(attempt.stop, text.find('\n').unwrap());
        let attempt = furthest(r"^k: v$", "  k: v\nk: w\n");
        assert_eq!(attempt.start, 7);
    }

    #[test]
    fn case_folded_letters_are_literals() {
        let parsed =
            super::super::parse::parse("(?i)ARG x", super::super::parse::Flags::initial(false))
                .unwrap();
        let program = Program::compile(&parsed.node, 1).unwrap();
        let found = program.attempts("arg y", std::slice::from_ref(&(0..5)));
        assert_eq!(
            found[0].expected,
            vec![Expected::Literal {
                text: "arg x".into(),
                group: None
            }]
        );
        assert_eq!(found[0].shown_at, 0);
    }
}
