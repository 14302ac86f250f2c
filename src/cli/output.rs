//! The only place that prints.

use std::io::{IsTerminal, Write};

use super::Failure;

/// Writes `text` to stdout; a reader that went away is not an error worth a message.
pub fn stdout(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::ClosedPipe),
        other => other.map_err(Failure::from),
    }
}

/// Text for stderr (diagnostics when stdout carries the result).
pub fn stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `img-mirror: error: ...` on stderr.
pub fn error(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "img-mirror: error: {message}");
}

/// Colour only for a terminal, and never when NO_COLOR is set.
pub fn stdout_wants_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// A byte count as people read it: `5.7 KiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
