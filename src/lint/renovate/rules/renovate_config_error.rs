//! IM202 renovate-config-error: Renovate's own validation rejects a custom manager.

use crate::diag::{Code, Severity};

pub static CODE: Code = Code {
    code: "IM202",
    name: "renovate-config-error",
    severity: Severity::Error,
    summary: "Renovate's config validation rejects a custom manager; the message is Renovate's own.",
    why: "Renovate aborts the repository on a config validation error (\"The renovate \
          configuration file contains some invalid settings\"), so no image is bumped at all.",
    example: "\"Regex Managers must contain currentValueTemplate configuration or regex group named \
              currentValue\": add a (?<currentValue>...) group.",
};
