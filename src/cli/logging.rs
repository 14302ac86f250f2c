//! `-v`/`--verbose` and `RUST_LOG`: tracing's lines on stderr, each scrubbed by
//! `img_mirror::redact` before it is written. Without either, no subscriber is
//! installed and logging costs nothing.

use std::io::Write;

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// What `-v` counts turn on, unless `RUST_LOG` says otherwise.
fn filter_for(verbose: u8) -> Option<Targets> {
    match verbose {
        0 => None,
        // Our requests, tokens, retries and redirects.
        1 => Some(Targets::new().with_target("img_mirror", Level::DEBUG)),
        // And what oci-client says about its own requests (token exchanges, uploads).
        _ => Some(
            Targets::new()
                .with_target("img_mirror", Level::TRACE)
                .with_target("oci_client", Level::DEBUG),
        ),
    }
}

/// `RUST_LOG` is read as `target=level` pairs (and a bare default level), tracing's
/// `Targets`: `EnvFilter`'s span and field filters would turn on regex-automata's
/// full-DFA build for every regex the process compiles, a millisecond of each `check`.
pub fn init(verbose: u8) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|directives| !directives.is_empty())
        .and_then(|directives| match read_rust_log(&directives) {
            Ok(filter) => Some(filter),
            Err(error) => {
                eprintln!(
                    "img-mirror: warning: RUST_LOG {directives:?} is not a list of target=level \
                     pairs ({error}); using -v's logging instead"
                );
                None
            }
        });
    let Some(filter) = from_env.or_else(|| filter_for(verbose)) else {
        return;
    };
    // The formatter's own ceiling (INFO by default) is lifted: `filter` decides.
    tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_writer(|| ScrubbedStderr)
        .with_ansi(false)
        .with_target(true)
        .finish()
        .with(filter)
        .init();
}

fn read_rust_log(directives: &str) -> Result<Targets, String> {
    // `Targets` would take `target[span{field}]` for a target name that nothing logs to.
    if directives.contains(['[', '{']) {
        return Err("span and field filters are not read".into());
    }
    directives.parse().map_err(|error| format!("{error}"))
}

/// stderr, through [`img_mirror::redact::scrub`]. tracing's formatter writes each line
/// with one `write_all`, so every secret reaches `write` whole.
struct ScrubbedStderr;

impl Write for ScrubbedStderr {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let line = img_mirror::redact::scrub(&String::from_utf8_lossy(bytes));
        std::io::stderr().write_all(line.as_bytes())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
