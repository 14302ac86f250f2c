//! Mirroring: which `IMAGES` entries to copy ([`plan`]) and how ([`copy`]).

mod blobs;
pub mod concurrency;
pub mod copy;
pub mod plan;
pub mod referrers;
pub(crate) mod tree;

pub use concurrency::Jobs;
pub use copy::{CopyOptions, Outcome, Progress, Silent, Status, mirror_all};
pub use plan::{Job, PlanError, Shard, plan};
pub use referrers::ReferrerPolicy;
