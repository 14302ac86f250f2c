//! `img-mirror explain CODE`.

use std::fmt::Write as _;

use img_mirror::lint::{codes, find_code};

use super::args::ExplainArgs;
use super::{Failure, Outcome, output};

pub fn run(args: ExplainArgs) -> Result<Outcome, Failure> {
    let mut text = String::new();
    match args.code {
        None => {
            for code in codes() {
                let _ = writeln!(
                    text,
                    "{}  {:<28} {:<8} {}",
                    code.code, code.name, code.severity, code.summary
                );
            }
        }
        Some(query) => {
            let code = find_code(&query).ok_or_else(|| {
                Failure::message(format!(
                    "no diagnostic code {query:?}; `img-mirror explain` lists them all"
                ))
            })?;
            let _ = write!(
                text,
                "{} {} ({})\n\nWhat it checks\n  {}\n\nWhy it matters\n  {}\n\nExample\n{}\n",
                code.code,
                code.name,
                code.severity,
                code.summary,
                code.why,
                indent(code.example)
            );
        }
    }
    output::stdout(&text)?;
    Ok(Outcome::Clean)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("  {line}\n"))
        .collect::<String>()
        .trim_end()
        .to_string()
}
