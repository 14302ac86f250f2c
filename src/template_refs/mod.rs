//! Image references in the repository's templates: which `IMAGES` entries the
//! deployments name, read without rendering anything.

pub mod scan;
pub mod walk;

pub use scan::{Found, Scan};
pub use walk::{FileScan, Walked, read_text, walk};
