//! How copies are reported, for `mirror`, `pin --mirror` and `post-upgrade` alike: a
//! line per settled image, and on a terminal a bar per image being copied.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use img_mirror::mirror::{Job, Outcome, Progress, Status};

use super::Failure;
use super::args::MirrorFormat;
use super::json_lines::Line;
use super::output::{self, human_bytes};

/// The line for one finished image; images already present stay quiet in human output
/// so the nightly run with nothing to do prints only its summary.
pub fn line(outcome: &Outcome, format: MirrorFormat) -> Option<String> {
    match format {
        MirrorFormat::Json => Some(Line::Mirror(outcome).text()),
        MirrorFormat::Human => match outcome.status {
            Status::Present => None,
            Status::WouldCopy if outcome.referrers > 0 => Some(format!(
                "would copy {} referrers of {} -> {}\n",
                outcome.referrers, outcome.source, outcome.target
            )),
            Status::WouldCopy => Some(format!(
                "would copy {} -> {}\n",
                outcome.source, outcome.target
            )),
            Status::Completed => Some(format!(
                "completed {} -> {} ({})\n",
                outcome.source,
                outcome.target,
                referrers_copied(outcome.referrers)
            )),
            Status::Copied => Some(format!(
                "copied   {} -> {} ({} copied, {} mounted, {} present blobs; {}{})\n",
                outcome.source,
                outcome.target,
                outcome.blobs_copied,
                outcome.blobs_mounted,
                outcome.blobs_present,
                human_bytes(outcome.bytes),
                if outcome.referrers > 0 {
                    format!("; {}", referrers_copied(outcome.referrers))
                } else {
                    String::new()
                }
            )),
            Status::Failed => Some(format!(
                "FAILED   IMAGES.{}: {} -> {}: {}\n",
                outcome.entry,
                outcome.source,
                outcome.target,
                outcome.error.as_deref().unwrap_or("unknown error")
            )),
        },
    }
}

fn referrers_copied(count: u32) -> String {
    match count {
        1 => "1 referrer copied".to_string(),
        n => format!("{n} referrers copied"),
    }
}

/// Where a reporter's lines go: stdout for `mirror`, stderr for `post-upgrade`
/// (whose stdout is the diff).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    Stderr,
}

/// Prints each settled image and, on a terminal, draws a bar per image being copied.
pub struct Reporter {
    format: MirrorFormat,
    sink: Sink,
    bars: Option<Bars>,
    error: Mutex<Option<Failure>>,
}

struct Bars {
    multi: MultiProgress,
    active: Mutex<HashMap<String, (ProgressBar, Arc<AtomicU64>)>>,
}

impl Reporter {
    pub fn new(format: MirrorFormat, sink: Sink) -> Reporter {
        let bars =
            (format == MirrorFormat::Human && std::io::stderr().is_terminal()).then(|| Bars {
                multi: MultiProgress::new(),
                active: Mutex::default(),
            });
        Reporter {
            format,
            sink,
            bars,
            error: Mutex::default(),
        }
    }

    /// Runs `work` while a ticker moves the bars from the byte counters.
    pub fn run<T>(&self, work: impl FnOnce() -> T) -> T {
        let Some(bars) = &self.bars else {
            return work();
        };
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    for (bar, counter) in bars.active.lock().expect("bars lock").values() {
                        bar.set_position(counter.load(Ordering::Relaxed));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
            let result = work();
            stop.store(true, Ordering::Relaxed);
            result
        })
    }

    pub fn take_error(&self) -> Result<(), Failure> {
        match self.error.lock().expect("error lock").take() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }
}

impl Progress for Reporter {
    fn copying(&self, job: &Job, blobs: usize, bytes: u64, transferred: Arc<AtomicU64>) {
        let Some(bars) = &self.bars else {
            return;
        };
        let bar = bars.multi.add(ProgressBar::new(bytes));
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        bar.set_message(format!("{} ({blobs} blobs)", job.entry));
        bars.active
            .lock()
            .expect("bars lock")
            .insert(job.entry.clone(), (bar, transferred));
    }

    fn done(&self, outcome: &Outcome) {
        let Some(text) = line(outcome, self.format) else {
            return;
        };
        let print = || match self.sink {
            Sink::Stdout => output::stdout(&text),
            Sink::Stderr => {
                output::stderr(&text);
                Ok(())
            }
        };
        let result = match &self.bars {
            Some(bars) => {
                if let Some((bar, _)) = bars
                    .active
                    .lock()
                    .expect("bars lock")
                    .remove(&outcome.entry)
                {
                    bar.finish_and_clear();
                }
                bars.multi.suspend(print)
            }
            None => print(),
        };
        if let Err(failure) = result {
            self.error
                .lock()
                .expect("error lock")
                .get_or_insert(failure);
        }
    }
}
