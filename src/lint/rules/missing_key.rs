//! IM004 missing-key: IMAGES or MP_APPROVED_REGISTRIES is absent.

use crate::diag::{Code, Severity};

pub static CODE: Code = Code {
    code: "IM004",
    name: "missing-key",
    severity: Severity::Error,
    summary: "vars.yml has no top-level IMAGES or MP_APPROVED_REGISTRIES key.",
    why: "Without IMAGES there is nothing to deploy or mirror; without MP_APPROVED_REGISTRIES \
          no entry can be judged pullable. A renamed or mis-indented key is the usual cause.",
    example: "MP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n  grafana: ...",
};
