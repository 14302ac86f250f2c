//! `pin`: add or bump an `IMAGES` entry in one step. Resolve the tag's digest at the
//! upstream (the index digest for a multi-platform image, as `skopeo inspect` reports
//! it), choose the form (direct when `MP_APPROVED_REGISTRIES` covers the upstream, else
//! under the mirror prefix), and compute the edited file. Writing is the caller's.

use crate::approval::{ApprovedRegistries, Scope};
use crate::diff::{self, EntryChange};
use crate::lint::rules::invalid_entry_name::is_valid_name;
use crate::mirror_map::{MirrorPrefix, familiar_name};
use crate::reference::Reference;
use crate::registry::{RegistryClient, RegistryError, Repo};
use crate::vars::edit::{EditError, set_image};
use crate::vars::{VarsFile, parse};

#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error(
        "{0:?} cannot be an IMAGES name: templates reach it as cki_variable('IMAGES').NAME, so it must be letters, digits and _ (not starting with a digit)"
    )]
    InvalidName(String),
    #[error("{0}")]
    InvalidImage(String),
    #[error("{image} has no tag; write IMAGE:TAG (the runbook pins <image>:<tag>@sha256:...)")]
    NoTag { image: String },
    #[error("{repository} has no tag {tag:?}")]
    UnknownTag { repository: String, tag: String },
    #[error("resolving {image}: {source}")]
    Registry {
        image: String,
        source: RegistryError,
    },
    #[error(transparent)]
    Edit(#[from] EditError),
}

/// Where the entry points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// On an approved registry: used as is.
    Direct,
    /// Under the mirror prefix: must be copied there.
    Mirrored,
}

/// The result of resolving a pin.
#[derive(Debug, Clone)]
pub struct Pinned {
    pub name: String,
    /// The upstream image the tag was resolved at.
    pub upstream: Reference,
    pub tag: String,
    pub digest: String,
    pub form: Form,
    /// The `IMAGES` value written.
    pub value: String,
    pub new_text: String,
    pub new_vars: VarsFile,
    pub changes: Vec<EntryChange>,
}

impl Pinned {
    /// The unified diff of the change, `path` in the headers.
    pub fn unified(&self, old: &VarsFile, path: &str) -> String {
        diff::unified(old, &self.new_vars, &self.changes, path)
    }
}

/// Resolves `image` (`IMAGE:TAG`, possibly already written under the mirror prefix) and
/// computes `vars` with `IMAGES.<name>` set to it.
pub async fn pin(
    client: &RegistryClient,
    vars: &VarsFile,
    prefix: &MirrorPrefix,
    name: &str,
    image: &str,
) -> Result<Pinned, PinError> {
    if !is_valid_name(name) {
        return Err(PinError::InvalidName(name.to_string()));
    }
    let reference = Reference::parse(image).map_err(|e| PinError::InvalidImage(e.to_string()))?;
    let upstream = match prefix.upstream_of(&reference) {
        Some(upstream) => upstream.map_err(|e| PinError::InvalidImage(e.to_string()))?,
        None => reference,
    };
    let tag = upstream
        .tag()
        .ok_or_else(|| PinError::NoTag {
            image: image.to_string(),
        })?
        .to_string();
    let repo = Repo::new(client.endpoints(), upstream.domain(), upstream.path());
    let head = client
        .head_manifest(&repo, &tag)
        .await
        .map_err(|source| PinError::Registry {
            image: image.to_string(),
            source,
        })?
        .ok_or_else(|| PinError::UnknownTag {
            repository: upstream.name(),
            tag: tag.clone(),
        })?;
    let approved = ApprovedRegistries::new(
        vars.approved
            .iter()
            .filter_map(|entry| Scope::parse(&entry.value).ok())
            .collect(),
    );
    let (form, value) = if approved.approving(&upstream).is_some() {
        (
            Form::Direct,
            format!("{}:{tag}@{}", upstream.written_name(), head.digest),
        )
    } else {
        (
            Form::Mirrored,
            format!(
                "{}/{}:{tag}@{}",
                prefix,
                familiar_name(&upstream),
                head.digest
            ),
        )
    };
    let new_text = set_image(vars, name, &value)?;
    let new_vars = parse(&vars.path, new_text.clone().into_bytes())
        .vars
        .ok_or_else(|| EditError::Verification("the edited file does not load".into()))?;
    let changes = diff::changes(vars, &new_vars);
    Ok(Pinned {
        name: name.to_string(),
        upstream,
        tag,
        digest: head.digest,
        form,
        value,
        new_text,
        new_vars,
        changes,
    })
}
