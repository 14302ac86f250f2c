//! IM216 preset-unresolved: the config extends a preset img-mirror cannot read, so
//! what that preset adds (managers, ignorePaths, rules) is not checked.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::renovate::config::{RenovateConfig, locate_string};

pub static CODE: Code = Code {
    code: "IM216",
    name: "preset-unresolved",
    severity: Severity::Warning,
    summary: "The Renovate config extends a preset that is neither one of Renovate's built-in \
              presets nor mapped to a local checkout, so img-mirror cannot see what it adds.",
    why: "A repository preset can hold the very regex manager that bumps IMAGES; without it, \
          img-mirror checks the config's own managers only, and says so rather than claiming \
          that nothing manages the images.",
    example: "\"extends\": [\"local>cki-project/renovate-presets:images\"]: map it in \
              .img-mirror.toml with [presets] \"cki-project/renovate-presets\" = \
              \"../renovate-presets\", or pass --preset cki-project/renovate-presets=DIR.",
};

pub(crate) fn diagnostics(config: &RenovateConfig, path: &Path) -> Vec<Diagnostic> {
    config
        .presets_unresolved
        .iter()
        .map(|unresolved| {
            let line = locate_string(&config.text, &unresolved.preset).unwrap_or(1);
            Diagnostic::new(
                &CODE,
                path,
                format!(
                    "preset {} is not read: {}",
                    unresolved.preset, unresolved.reason
                ),
            )
            .at(line, 1)
            .help("its managers and rules are not checked until it is mapped to a local checkout")
        })
        .collect()
}
