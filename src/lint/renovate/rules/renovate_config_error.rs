//! IM202 renovate-config-error: Renovate's own validation rejects a custom manager.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::renovate::validate::ValidationMessage;

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

/// Renovate's own validation message, in its words.
pub(crate) fn diagnostic(message: &ValidationMessage, path: &Path) -> Diagnostic {
    super::validation_finding(&CODE, message, path)
}
