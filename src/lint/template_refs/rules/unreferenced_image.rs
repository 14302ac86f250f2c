//! IM302 unreferenced-image: no file in the repository references an `IMAGES` entry.

use crate::diag::{Code, Diagnostic, Severity};

pub static CODE: Code = Code {
    code: "IM302",
    name: "unreferenced-image",
    severity: Severity::Warning,
    summary: "No file in the repository references this IMAGES entry, while other entries are \
              referenced. Not reported when any reference is built at render time \
              (`cki_variable('IMAGES')[name]`), or when nothing references IMAGES at all.",
    why: "An entry nothing deploys is still bumped by Renovate and copied into the mirror every \
          night; it usually outlived a deployment that was removed or renamed.",
    example: "Warns:  loki: quay.io/cki/mirror/grafana/loki:3.1.1@sha256:...   (no template names loki)\n\
              Passes: the same entry with {{ cki_variable('IMAGES').loki }} in a template",
};

pub(crate) fn diagnostic(
    path: &std::path::Path,
    entry: &crate::vars::ImageEntry,
    column: usize,
    files: usize,
) -> Diagnostic {
    Diagnostic::new(
        &CODE,
        path,
        format!(
            "IMAGES.{} is referenced by none of the {files} files that reference IMAGES",
            entry.name
        ),
    )
    .at(entry.line, column)
    .width(entry.name.chars().count())
    .entry(&entry.name)
    .help("remove the entry if nothing deploys it, or add `# img-mirror: ignore IM302` to its line")
}
