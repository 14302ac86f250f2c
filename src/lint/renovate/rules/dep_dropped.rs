//! IM215 dep-dropped: Renovate drops a dep a manager matched in a repository file.

use crate::diag::{Code, Severity};

pub static CODE: Code = Code {
    code: "IM215",
    name: "dep-dropped",
    severity: Severity::Warning,
    summary: "A match of a regex manager in a file other than vars.yml becomes no dep: a \
              template throws, or the dep lacks what Renovate requires (depName or \
              packageName, currentValue or currentDigest, datasource), so it is dropped.",
    why: "Renovate drops such a dep with a log line at TRACE or WARN level that nobody reads; \
          the version in the file is then never bumped. (In vars.yml, IM205 reports the same \
          for each IMAGES entry.)",
    example: "Warns:  a match whose <currentValue> group captured an empty string",
};
