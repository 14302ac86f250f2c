//! Matches and their groups over ASCII text, without the `regex` crate's backtracker.
//!
//! The `regex` crate finds a match's span with a forward and a reverse DFA, then runs
//! its bounded backtracker over the span for the groups. That backtracker steps through
//! the Thompson NFA of every class's UTF-8 encoding, and clears a bit per NFA state and
//! byte of the span first: on a manager's pattern it costs five times the search.
//!
//! Over ASCII text a class is one byte-table lookup, and a greedy run of one class
//! (`[^\s:@]*`, `[a-f0-9]{64}`) can be scanned in a tight loop and then given back a
//! byte at a time. So the parsed tree is compiled once more into a small program of
//! that shape, and a backtracker runs it in the same priority order as the crate's:
//! the first path that reaches the end wins. It serves two ways:
//! - [`SpanGroups::groups`]: the groups of a span the crate found, each branch point
//!   tried at most once per position;
//! - [`SpanGroups::find_at`]: where every match starts with one of at most three ASCII
//!   bytes (a manager's pattern usually starts `\n` or a literal), the program tries
//!   each place that starts with one, in order: the first that matches is the leftmost
//!   match, and neither DFA runs.
//!
//! Patterns it does not cover (a `\C`, a repetition of something that can match empty,
//! a program too large) keep the crate. So does a search that meets a byte that is not
//! ASCII, a span whose first path here does not end where the crate's did, and any
//! work past a few times the crate's own bound on steps.

use std::ops::Range;

use super::parse::{Assertion, Node, RepeatOp};

/// Programs are kept small: a counted repetition of something other than one class is
/// written out copy by copy.
const MAX_INSTRUCTIONS: usize = 4096;
/// Spans that would need more bits than this to remember the branch points tried go
/// to the crate, as its own backtracker hands large spans to its Pike VM.
const MAX_VISITED_BITS: usize = 1 << 21;

#[derive(Debug, Clone)]
enum Inst {
    /// One byte of the class.
    Class {
        table: usize,
        next: usize,
    },
    /// `min..=max` bytes of the class, the most first (greedy) or the fewest.
    Run {
        table: usize,
        min: u32,
        max: u32,
        greedy: bool,
        branch: usize,
        next: usize,
    },
    /// Both ways, `first` first.
    Split {
        first: usize,
        second: usize,
        branch: usize,
    },
    Save {
        slot: usize,
        next: usize,
    },
    Assert {
        assertion: Assertion,
        next: usize,
    },
    Match,
}

/// A compiled pattern's program for ASCII text.
#[derive(Debug, Clone)]
pub struct SpanGroups {
    insts: Vec<Inst>,
    start: usize,
    /// Which of the 128 ASCII bytes each class takes.
    tables: Vec<[bool; 128]>,
    /// Branch points (runs and splits): each is tried once per position.
    branches: usize,
    slots: usize,
    /// The one to three ASCII bytes every match starts with, if it is so.
    first_bytes: Option<Vec<u8>>,
}

/// This program cannot say; the crate can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GaveUp;

/// The frames and slots of a run, kept from one run to the next (a file's search runs
/// once for each of thousands of lines), and the groups of the last match found.
#[derive(Default)]
pub struct Scratch {
    slots: Vec<Option<usize>>,
    stack: Vec<Frame>,
}

impl Scratch {
    /// Each group's byte range in the last match found, the whole match first; `None`
    /// for a group that did not take part.
    pub fn groups(&self) -> impl Iterator<Item = Option<Range<usize>>> + '_ {
        self.slots.chunks(2).map(|pair| Some(pair[0]?..pair[1]?))
    }
}

enum Outcome {
    Found,
    NoMatch,
    GaveUp,
}

#[derive(Debug, Clone, Copy)]
struct Bounds {
    /// No byte at or past this is read.
    limit: usize,
    /// Where the match must end: the crate's span (a first path that ends elsewhere
    /// means the two disagree).
    must_end: Option<usize>,
}

/// The branch points tried, one bit per branch point and place.
struct Visited {
    bits: Vec<u64>,
    origin: usize,
    width: usize,
}

impl Visited {
    fn first(&mut self, branch: usize, at: usize) -> bool {
        let bit = branch * self.width + (at - self.origin);
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        let fresh = self.bits[word] & mask == 0;
        self.bits[word] |= mask;
        fresh
    }
}

enum Frame {
    Explore {
        inst: usize,
        at: usize,
    },
    Restore {
        slot: usize,
        was: Option<usize>,
    },
    /// A run's next length to try: `at` bytes in, counting down (greedy) or up to `last`.
    Shorter {
        inst: usize,
        from: usize,
        at: usize,
    },
    Longer {
        inst: usize,
        at: usize,
        last: usize,
    },
}

impl SpanGroups {
    /// The program of `tree` with `groups` capture groups (the whole match one of them), or
    /// `None` where the tree has something it does not cover.
    pub fn compile(tree: &Node, groups: usize) -> Option<SpanGroups> {
        let mut program = SpanGroups {
            insts: vec![Inst::Match],
            start: 0,
            tables: Vec::new(),
            branches: 0,
            slots: 2 * groups,
            first_bytes: None,
        };
        program.start = program.node(tree, 0)?;
        let first = first_bytes(tree);
        let count = first.ascii.iter().filter(|&&b| b).count();
        if !first.nullable && !first.non_ascii && (1..=3).contains(&count) {
            program.first_bytes = Some(
                (0..128u8)
                    .filter(|&b| first.ascii[usize::from(b)])
                    .collect(),
            );
        }
        Some(program)
    }

    /// Whether this program finds the groups of the match at `span` of `haystack`
    /// (then in `scratch`): not where the span is not ASCII, or its first path to the
    /// end does not end where the span does.
    pub fn groups(&self, haystack: &str, span: Range<usize>, scratch: &mut Scratch) -> bool {
        let bytes = haystack.as_bytes();
        if !bytes[span.clone()].is_ascii() {
            return false;
        }
        let width = span.len() + 1;
        if self.branches.saturating_mul(width) > MAX_VISITED_BITS {
            return false;
        }
        // A run retried at many places can make the search quadratic in the span
        // where the crate's is linear: past a few times the crate's own bound on steps
        // (an instruction per byte), hand the span to it.
        let mut budget = 8 * self.steps_per_byte() * width;
        let mut visited = Visited {
            bits: vec![0u64; (self.branches * width).div_ceil(64)],
            origin: span.start,
            width,
        };
        let bounds = Bounds {
            limit: span.end,
            must_end: Some(span.end),
        };
        let outcome = self.run(
            bytes,
            span.start,
            bounds,
            &mut budget,
            Some(&mut visited),
            scratch,
        );
        matches!(outcome, Outcome::Found)
    }

    /// Whether every match starts with one of at most three ASCII bytes, so that
    /// [`SpanGroups::find_at`] can search: it tries the places that start with one.
    pub fn can_find(&self) -> bool {
        self.first_bytes.is_some()
    }

    /// The steps [`SpanGroups::find_at`] may take over `len` bytes before it gives up:
    /// a few times the crate's own bound (an instruction per byte).
    pub fn search_budget(&self, len: usize) -> usize {
        4 * self.steps_per_byte() * (len + 1)
    }

    /// Whether there is a match at or after `from` (the leftmost, its groups then in
    /// `scratch`), found without the crate: each place that starts with one of the
    /// pattern's first bytes is tried in turn, its paths in priority order. `Err` where
    /// this program cannot say (a byte that is not ASCII, or `budget` spent): ask the
    /// crate.
    pub fn find_at(
        &self,
        haystack: &str,
        from: usize,
        budget: &mut usize,
        scratch: &mut Scratch,
    ) -> Result<bool, GaveUp> {
        let Some(first) = &self.first_bytes else {
            return Err(GaveUp);
        };
        let bytes = haystack.as_bytes();
        let bounds = Bounds {
            limit: bytes.len(),
            must_end: None,
        };
        let mut at = from;
        while at < bytes.len() {
            let rest = &bytes[at..];
            let Some(offset) = (match first.as_slice() {
                [a] => memchr::memchr(*a, rest),
                [a, b] => memchr::memchr2(*a, *b, rest),
                [a, b, c] => memchr::memchr3(*a, *b, *c, rest),
                _ => unreachable!("one to three first bytes"),
            }) else {
                return Ok(false);
            };
            let candidate = at + offset;
            match self.run(bytes, candidate, bounds, budget, None, scratch) {
                Outcome::Found => return Ok(true),
                Outcome::NoMatch => at = candidate + 1,
                Outcome::GaveUp => return Err(GaveUp),
            }
        }
        Ok(false)
    }

    fn steps_per_byte(&self) -> usize {
        self.insts.len() + self.branches + 1
    }

    /// The paths from `start` in priority order until one reaches the end.
    fn run(
        &self,
        bytes: &[u8],
        start: usize,
        bounds: Bounds,
        budget: &mut usize,
        mut visited: Option<&mut Visited>,
        scratch: &mut Scratch,
    ) -> Outcome {
        let Scratch { slots, stack } = scratch;
        slots.clear();
        slots.resize(self.slots, None);
        stack.clear();
        stack.push(Frame::Explore {
            inst: self.start,
            at: start,
        });
        let end = bounds.limit;
        // A budget that does not cover the next step is spent: the searches after this
        // one go to the crate at once.
        let mut spend = |steps: usize| match budget.checked_sub(steps) {
            Some(left) => {
                *budget = left;
                true
            }
            None => {
                *budget = 0;
                false
            }
        };
        // A branch point met again at the same place failed there before (or is on
        // the path that led here, which only a loop that consumes nothing could do).
        let mut first_visit = |branch: usize, at: usize| match visited.as_deref_mut() {
            Some(visited) => visited.first(branch, at),
            None => true,
        };
        while let Some(frame) = stack.pop() {
            if !spend(1) {
                return Outcome::GaveUp;
            }
            let (mut inst, mut at) = match frame {
                Frame::Explore { inst, at } => (inst, at),
                Frame::Restore { slot, was } => {
                    slots[slot] = was;
                    continue;
                }
                Frame::Shorter { inst, from, at } => {
                    let Inst::Run { min, next, .. } = self.insts[inst] else {
                        unreachable!("only runs give back")
                    };
                    if at > from + min as usize {
                        stack.push(Frame::Shorter {
                            inst,
                            from,
                            at: at - 1,
                        });
                    }
                    (next, at)
                }
                Frame::Longer { inst, at, last } => {
                    let Inst::Run { next, .. } = self.insts[inst] else {
                        unreachable!("only runs take more")
                    };
                    if at < last {
                        stack.push(Frame::Longer {
                            inst,
                            at: at + 1,
                            last,
                        });
                    }
                    (next, at)
                }
            };
            loop {
                if !spend(1) {
                    return Outcome::GaveUp;
                }
                match self.insts[inst] {
                    Inst::Match => {
                        if bounds.must_end.is_some_and(|must| must != at) {
                            return Outcome::GaveUp;
                        }
                        slots[0] = Some(start);
                        slots[1] = Some(at);
                        return Outcome::Found;
                    }
                    Inst::Class { table, next } => match bytes[..end].get(at) {
                        Some(&b) if b >= 0x80 => return Outcome::GaveUp,
                        Some(&b) if self.tables[table][usize::from(b)] => {
                            (inst, at) = (next, at + 1);
                        }
                        _ => break,
                    },
                    Inst::Run {
                        table,
                        min,
                        max,
                        greedy,
                        branch,
                        next,
                    } => {
                        if !first_visit(branch, at) {
                            break;
                        }
                        let table = &self.tables[table];
                        let limit = end.min(at.saturating_add(max as usize));
                        let stop = bytes[at..limit]
                            .iter()
                            .position(|&b| b >= 0x80 || !table[usize::from(b)]);
                        let taken = stop.unwrap_or(limit - at);
                        if stop.is_some() && bytes[at + taken] >= 0x80 {
                            // The class may take the character: this program cannot say.
                            return Outcome::GaveUp;
                        }
                        if !spend(taken) {
                            return Outcome::GaveUp;
                        }
                        if taken < min as usize {
                            break;
                        }
                        let (from, last) = (at, at + taken);
                        let first = if greedy { last } else { from + min as usize };
                        if greedy && first > from + min as usize {
                            stack.push(Frame::Shorter {
                                inst,
                                from,
                                at: first - 1,
                            });
                        } else if !greedy && first < last {
                            stack.push(Frame::Longer {
                                inst,
                                at: first + 1,
                                last,
                            });
                        }
                        (inst, at) = (next, first);
                    }
                    Inst::Split {
                        first,
                        second,
                        branch,
                    } => {
                        if !first_visit(branch, at) {
                            break;
                        }
                        stack.push(Frame::Explore { inst: second, at });
                        inst = first;
                    }
                    Inst::Save { slot, next } => {
                        stack.push(Frame::Restore {
                            slot,
                            was: slots[slot],
                        });
                        slots[slot] = Some(at);
                        inst = next;
                    }
                    Inst::Assert { assertion, next } => {
                        if !holds(assertion, bytes, at) {
                            break;
                        }
                        inst = next;
                    }
                }
            }
        }
        Outcome::NoMatch
    }

    fn push(&mut self, inst: Inst) -> Option<usize> {
        if self.insts.len() >= MAX_INSTRUCTIONS {
            return None;
        }
        self.insts.push(inst);
        Some(self.insts.len() - 1)
    }

    fn branch(&mut self) -> usize {
        self.branches += 1;
        self.branches - 1
    }

    fn table(&mut self, ranges: &[(u32, u32)]) -> usize {
        self.tables.push(ascii_members(ranges));
        self.tables.len() - 1
    }

    /// Compiles `node` to go on to `next`; where it starts.
    fn node(&mut self, node: &Node, next: usize) -> Option<usize> {
        match node {
            Node::Empty => Some(next),
            Node::Class(ranges) => {
                let table = self.table(ranges);
                self.push(Inst::Class { table, next })
            }
            Node::AnyByte => None,
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
                let body = self.node(sub, close)?;
                self.push(Inst::Save { slot, next: body })
            }
            Node::Concat(items) => items
                .iter()
                .rev()
                .try_fold(next, |next, item| self.node(item, next)),
            Node::Alternate(items) => {
                let (last, rest) = items.split_last()?;
                let mut start = self.node(last, next)?;
                for item in rest.iter().rev() {
                    let first = self.node(item, next)?;
                    let branch = self.branch();
                    start = self.push(Inst::Split {
                        first,
                        second: start,
                        branch,
                    })?;
                }
                Some(start)
            }
            Node::Repeat { op, flags, sub } => {
                if super::emit::nullable(sub) {
                    return None;
                }
                let greedy = Node::greedy(*flags);
                let (min, max) = match *op {
                    RepeatOp::Star => (0, None),
                    RepeatOp::Plus => (1, None),
                    RepeatOp::Quest => (0, Some(1)),
                    RepeatOp::Counted { min, max } => (min, max),
                };
                if let Node::Class(ranges) = sub.as_ref() {
                    let table = self.table(ranges);
                    let branch = self.branch();
                    return self.push(Inst::Run {
                        table,
                        min,
                        max: max.unwrap_or(u32::MAX),
                        greedy,
                        branch,
                        next,
                    });
                }
                self.repeat(sub, min, max, greedy, next)
            }
        }
    }

    /// `sub` `min` times, then up to `max` more (or any number): the optional copies
    /// nest, `(x(x)?)?`, as the crate writes them out.
    fn repeat(
        &mut self,
        sub: &Node,
        min: u32,
        max: Option<u32>,
        greedy: bool,
        next: usize,
    ) -> Option<usize> {
        let mut start = match max {
            None => {
                // A loop: a split whose one way is the body coming back to it.
                let split = self.push(Inst::Match)?;
                let body = self.node(sub, split)?;
                let branch = self.branch();
                let (first, second) = if greedy { (body, next) } else { (next, body) };
                self.insts[split] = Inst::Split {
                    first,
                    second,
                    branch,
                };
                split
            }
            Some(max) => {
                let mut start = next;
                for _ in min..max {
                    let body = self.node(sub, start)?;
                    let branch = self.branch();
                    let (first, second) = if greedy { (body, next) } else { (next, body) };
                    start = self.push(Inst::Split {
                        first,
                        second,
                        branch,
                    })?;
                }
                start
            }
        };
        for _ in 0..min {
            start = self.node(sub, start)?;
        }
        Some(start)
    }
}

/// Which of the 128 ASCII bytes a class of code-point ranges takes.
fn ascii_members(ranges: &[(u32, u32)]) -> [bool; 128] {
    std::array::from_fn(|byte| {
        let byte = byte as u32;
        ranges.iter().any(|&(lo, hi)| lo <= byte && byte <= hi)
    })
}

/// The bytes a match of a node can start with, and whether it can match empty (then
/// what follows it starts the match too).
struct First {
    ascii: [bool; 128],
    non_ascii: bool,
    nullable: bool,
}

fn first_bytes(node: &Node) -> First {
    let none = || First {
        ascii: [false; 128],
        non_ascii: false,
        nullable: true,
    };
    let union = |mut a: First, b: &First| {
        for (x, y) in a.ascii.iter_mut().zip(b.ascii) {
            *x |= y;
        }
        a.non_ascii |= b.non_ascii;
        a
    };
    match node {
        Node::Empty | Node::Assert(_) => none(),
        Node::Class(ranges) => First {
            ascii: ascii_members(ranges),
            non_ascii: ranges.iter().any(|&(_, hi)| hi >= 0x80),
            nullable: false,
        },
        Node::AnyByte => First {
            ascii: [true; 128],
            non_ascii: true,
            nullable: false,
        },
        Node::Capture { sub, .. } => first_bytes(sub),
        Node::Repeat { op, sub, .. } => {
            let mut first = first_bytes(sub);
            first.nullable |= match op {
                RepeatOp::Star | RepeatOp::Quest => true,
                RepeatOp::Plus => false,
                RepeatOp::Counted { min, .. } => *min == 0,
            };
            first
        }
        Node::Concat(items) => {
            let mut first = none();
            for item in items {
                let next = first_bytes(item);
                first = union(first, &next);
                if !next.nullable {
                    first.nullable = false;
                    break;
                }
            }
            first
        }
        Node::Alternate(items) => {
            let mut first = none();
            first.nullable = false;
            for item in items {
                let next = first_bytes(item);
                first = union(first, &next);
                first.nullable |= next.nullable;
            }
            first
        }
    }
}

/// RE2's assertions, its word boundary ASCII's.
fn holds(assertion: Assertion, bytes: &[u8], at: usize) -> bool {
    let word = |i: Option<usize>| {
        i.and_then(|i| bytes.get(i))
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
    };
    match assertion {
        Assertion::BeginText => at == 0,
        Assertion::EndText => at == bytes.len(),
        Assertion::BeginLine => at == 0 || bytes[at - 1] == b'\n',
        Assertion::EndLine => at == bytes.len() || bytes[at] == b'\n',
        Assertion::WordBoundary => word(at.checked_sub(1)) != word(Some(at)),
        Assertion::NoWordBoundary => word(at.checked_sub(1)) == word(Some(at)),
    }
}
