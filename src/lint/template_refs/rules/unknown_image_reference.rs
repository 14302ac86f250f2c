//! IM301 unknown-image-reference: a template names an `IMAGES` entry that does not exist.

use crate::diag::{Code, Diagnostic, Severity};

pub static CODE: Code = Code {
    code: "IM301",
    name: "unknown-image-reference",
    severity: Severity::Error,
    summary: "A file in the repository references `cki_variable('IMAGES').NAME` (or \
              `['NAME']`, `.get('NAME')`) and IMAGES has no entry NAME.",
    why: "Jinja renders a missing key as nothing: the deployment goes out with `image: ` empty \
          or with a default, and no check before deploy time sees it. A typo or an entry \
          renamed in vars.yml but not in its templates ends the same way.",
    example: "Fails:  image: {{ cki_variable('IMAGES').grafna }}   (IMAGES has grafana)\n\
              Passes: image: {{ cki_variable('IMAGES').grafana }}",
};

pub(crate) fn diagnostic(
    path: &std::path::Path,
    found: &crate::template_refs::Found,
    closest: Option<&str>,
) -> Diagnostic {
    let help = match closest {
        Some(name) => format!("did you mean `{name}`?"),
        None => {
            "add the entry to IMAGES (`img-mirror pin NAME IMAGE:TAG`), or fix the name".to_string()
        }
    };
    Diagnostic::new(
        &CODE,
        path,
        format!(
            "`{}` is not an IMAGES entry: this reference renders to nothing",
            found.name
        ),
    )
    .at(found.line, found.column)
    .width(found.name.chars().count())
    .entry(&found.name)
    .help(help)
}
