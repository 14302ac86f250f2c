//! IM109 invalid-entry-name: a name templates cannot reach as `.NAME`.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::{Context, EntryFacts};

pub static CODE: Code = Code {
    code: "IM109",
    name: "invalid-entry-name",
    severity: Severity::Error,
    summary: "An IMAGES name is not an identifier (letters, digits and _, not starting with a digit).",
    why: "Deployments reference images as `{{ cki_variable('IMAGES').NAME }}`; Jinja reads \
          `.kube-state-metrics` as a subtraction, so the template renders the wrong thing or \
          fails.",
    example: "Fails:  kube-state-metrics: ...\nPasses: kube_state_metrics: ...",
};

pub(crate) fn check(facts: &EntryFacts<'_>, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let name = &facts.entry.name;
    if crate::vars::is_valid_entry_name(name) {
        return;
    }
    let suggestion: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let suggestion =
        if suggestion.starts_with(|c: char| c.is_ascii_digit()) || suggestion.is_empty() {
            format!("_{suggestion}")
        } else {
            suggestion
        };
    out.push(
        facts
            .diagnostic(
                &CODE,
                ctx,
                format!("{name:?} cannot be used as cki_variable('IMAGES').{name}"),
            )
            .help(format!(
                "rename it to `{suggestion}` (and its uses in templates)"
            )),
    );
}
