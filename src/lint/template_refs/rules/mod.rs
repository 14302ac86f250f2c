//! One file per rule on the repository's image references.

pub mod unknown_image_reference;
pub mod unreferenced_image;

use crate::diag::Code;

/// Every reference code.
pub static ALL: &[&Code] = &[&unknown_image_reference::CODE, &unreferenced_image::CODE];
