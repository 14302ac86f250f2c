//! `-v`/`--verbose` and `RUST_LOG`: tracing's lines on stderr, each scrubbed by
//! `img_mirror::redact` before it is written. Without either, no subscriber is
//! installed and logging costs nothing.

use std::io::Write;

use tracing_subscriber::EnvFilter;

/// What `-v` counts turn on, unless `RUST_LOG` says otherwise.
fn filter_for(verbose: u8) -> Option<&'static str> {
    match verbose {
        0 => None,
        // Our requests, tokens, retries and redirects.
        1 => Some("img_mirror=debug"),
        // And what oci-client says about its own requests (token exchanges, uploads).
        _ => Some("img_mirror=trace,oci_client=debug"),
    }
}

pub fn init(verbose: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => EnvFilter::new(directives),
        _ => match filter_for(verbose) {
            Some(directives) => EnvFilter::new(directives),
            None => return,
        },
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| ScrubbedStderr)
        .with_ansi(false)
        .with_target(true)
        .init();
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
