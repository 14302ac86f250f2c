//! How many images are copied at once: fixed when the user says (`--jobs N`), else
//! found as TCP finds its window (AIMD): start at a few, add one for each image that
//! finished without the registries pushing back (a 429 or a 503), halve when one did.
//! A registry a few tens of milliseconds away is then kept busy without a flag, and
//! one that struggles is given room.

use std::future::Future;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

/// Concurrency for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jobs {
    Fixed(usize),
    /// From `start`, never above `max`.
    Adaptive {
        start: usize,
        max: usize,
    },
}

impl Default for Jobs {
    fn default() -> Jobs {
        Jobs::Adaptive { start: 4, max: 32 }
    }
}

impl Jobs {
    /// At most this many at once, whatever the window does (for the checks' pacing).
    pub fn ceiling(self) -> usize {
        match self {
            Jobs::Fixed(n) => n.max(1),
            Jobs::Adaptive { max, .. } => max.max(1),
        }
    }

    fn start(self) -> usize {
        match self {
            Jobs::Fixed(n) => n.max(1),
            Jobs::Adaptive { start, .. } => start.max(1),
        }
    }
}

/// Runs `work` on every item, `jobs` at a time; `pushbacks` counts the registries'
/// refusals so far (read after each item finishes).
pub async fn run_all<I, T, F, Fut>(
    items: Vec<I>,
    jobs: Jobs,
    pushbacks: impl Fn() -> u64,
    mut work: F,
    mut finished: impl FnMut(&T),
) -> Vec<T>
where
    F: FnMut(I) -> Fut,
    Fut: Future<Output = T>,
{
    let mut window = jobs.start();
    let mut seen = pushbacks();
    let mut pending = items.into_iter();
    let mut running = FuturesUnordered::new();
    let mut results = Vec::new();
    loop {
        while running.len() < window {
            let Some(item) = pending.next() else { break };
            running.push(work(item));
        }
        let Some(result) = running.next().await else {
            return results;
        };
        finished(&result);
        results.push(result);
        if let Jobs::Adaptive { max, .. } = jobs {
            let now = pushbacks();
            window = if now > seen {
                tracing::debug!(
                    from = window,
                    to = (window / 2).max(1),
                    "registries pushed back: fewer images at once"
                );
                (window / 2).max(1)
            } else {
                (window + 1).min(max)
            };
            seen = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};

    /// How many items were running as each one started.
    async fn starts(jobs: Jobs, items: usize, pushback_after: Option<usize>) -> Vec<usize> {
        let running = Cell::new(0usize);
        let seen = RefCell::new(Vec::new());
        let done = Cell::new(0usize);
        let pushbacks = || match pushback_after {
            // Every completion from then on reports a new refusal.
            Some(after) if done.get() >= after => done.get() as u64,
            _ => 0,
        };
        run_all(
            (0..items).collect(),
            jobs,
            pushbacks,
            |_| {
                running.set(running.get() + 1);
                seen.borrow_mut().push(running.get());
                let running = &running;
                async move {
                    tokio::task::yield_now().await;
                    running.set(running.get() - 1);
                }
            },
            |_| done.set(done.get() + 1),
        )
        .await;
        seen.into_inner()
    }

    #[tokio::test]
    async fn a_fixed_count_is_kept() {
        assert_eq!(
            starts(Jobs::Fixed(3), 50, None).await.into_iter().max(),
            Some(3)
        );
    }

    #[tokio::test]
    async fn the_window_grows_to_its_ceiling_while_nobody_pushes_back() {
        let starts = starts(Jobs::Adaptive { start: 2, max: 9 }, 200, None).await;
        assert_eq!(starts[..2], [1, 2]);
        assert_eq!(starts.into_iter().max(), Some(9));
    }

    #[tokio::test]
    async fn push_backs_halve_the_window_down_to_one() {
        let starts = starts(Jobs::Adaptive { start: 16, max: 16 }, 200, Some(20)).await;
        assert_eq!(starts.iter().max(), Some(&16));
        assert!(starts[60..].iter().all(|&n| n == 1), "{starts:?}");
    }
}
