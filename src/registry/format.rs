//! Manifests as a mirror needs them: raw bytes (pushed back unchanged, since
//! re-serialising changes the digest), the media type, and the descriptors they point at.

use serde::Deserialize;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// Every manifest type a mirror copies, for `Accept`: without the list types a registry
/// may answer with one platform's manifest, whose digest is not the pinned one.
pub const ACCEPT: &[&str] = &[OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST];

/// Manifests are small; containerd refuses anything over 4 MiB, and so do we.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// A pointer to content: a child manifest or a blob.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<serde_json::Value>,
    /// What a referrer is (a signature, an SBOM), as a referrers listing says.
    #[serde(default)]
    pub artifact_type: Option<String>,
}

impl Descriptor {
    /// Foreign (Windows base) layers live outside the registry and are not copied.
    pub fn is_foreign(&self) -> bool {
        self.media_type.contains("foreign") || self.media_type.contains("nondistributable")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An OCI index or Docker manifest list: children are manifests.
    Index { manifests: Vec<Descriptor> },
    /// An image (or artifact) manifest: config and layers are blobs.
    Image { blobs: Vec<Descriptor> },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error(
        "Docker schema 1 manifests are deprecated and cannot be mirrored by digest; pin a schema 2 or OCI image"
    )]
    Schema1,
    #[error("unsupported manifest media type {0:?}")]
    UnknownMediaType(String),
    #[error("the manifest is not valid JSON: {0}")]
    Json(String),
    #[error("the manifest does not say what it is (no mediaType, no manifests, no layers)")]
    Shapeless,
    #[error("indexes nest more than {0} levels deep; refused")]
    NestedTooDeep(usize),
    #[error("it is {actual} bytes, its index says {declared}")]
    SizeMismatch { actual: u64, declared: u64 },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Shape {
    #[serde(default)]
    schema_version: Option<i64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    blobs: Option<Vec<Descriptor>>,
}

/// The media type to push `body` with: the registry's `Content-Type` when it is a
/// manifest type, else the body's `mediaType`, else its shape (an OCI manifest need not
/// carry `mediaType`).
pub fn media_type(content_type: Option<&str>, body: &[u8]) -> Result<String, ManifestError> {
    let shape: Shape =
        serde_json::from_slice(body).map_err(|e| ManifestError::Json(e.to_string()))?;
    if shape.schema_version == Some(1) {
        return Err(ManifestError::Schema1);
    }
    let declared = content_type
        .map(|c| c.split(';').next().unwrap_or(c).trim())
        .filter(|c| !c.is_empty() && *c != "application/json" && *c != "application/octet-stream")
        .map(str::to_string)
        .or(shape.media_type.clone());
    if let Some(media_type) = declared {
        return match media_type.as_str() {
            DOCKER_SCHEMA1 | DOCKER_SCHEMA1_SIGNED => Err(ManifestError::Schema1),
            OCI_INDEX | OCI_MANIFEST | DOCKER_LIST | DOCKER_MANIFEST => Ok(media_type),
            other => Err(ManifestError::UnknownMediaType(other.to_string())),
        };
    }
    if shape.manifests.is_some() {
        Ok(OCI_INDEX.to_string())
    } else if shape.config.is_some() || shape.layers.is_some() {
        Ok(OCI_MANIFEST.to_string())
    } else {
        Err(ManifestError::Shapeless)
    }
}

/// What a manifest of `media_type` points at.
pub fn kind(media_type: &str, body: &[u8]) -> Result<Kind, ManifestError> {
    let shape: Shape =
        serde_json::from_slice(body).map_err(|e| ManifestError::Json(e.to_string()))?;
    match media_type {
        OCI_INDEX | DOCKER_LIST => Ok(Kind::Index {
            manifests: shape.manifests.unwrap_or_default(),
        }),
        OCI_MANIFEST | DOCKER_MANIFEST => {
            let mut blobs: Vec<Descriptor> = shape.config.into_iter().collect();
            blobs.extend(shape.layers.unwrap_or_default());
            blobs.extend(shape.blobs.unwrap_or_default());
            Ok(Kind::Image { blobs })
        }
        other => Err(ManifestError::UnknownMediaType(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_comes_from_header_then_body_then_shape() {
        let index = br#"{"schemaVersion":2,"manifests":[]}"#;
        assert_eq!(media_type(Some(DOCKER_LIST), index).unwrap(), DOCKER_LIST);
        assert_eq!(
            media_type(Some("application/json"), index).unwrap(),
            OCI_INDEX
        );
        let image = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"x","digest":"sha256:a","size":1},"layers":[]}"#;
        assert_eq!(media_type(None, image).unwrap(), DOCKER_MANIFEST);
    }

    #[test]
    fn schema1_and_unknown_types_are_refused() {
        assert_eq!(
            media_type(None, br#"{"schemaVersion":1,"fsLayers":[]}"#),
            Err(ManifestError::Schema1)
        );
        assert!(matches!(
            media_type(Some("application/vnd.evil+json"), br#"{"schemaVersion":2}"#),
            Err(ManifestError::UnknownMediaType(_))
        ));
        assert!(matches!(
            media_type(None, b"not json"),
            Err(ManifestError::Json(_))
        ));
    }

    #[test]
    fn image_blobs_are_config_then_layers() {
        let body = br#"{"schemaVersion":2,"config":{"mediaType":"c","digest":"sha256:c","size":2},"layers":[{"mediaType":"l","digest":"sha256:l","size":3}]}"#;
        let Kind::Image { blobs } = kind(OCI_MANIFEST, body).unwrap() else {
            panic!()
        };
        let digests: Vec<_> = blobs.iter().map(|b| b.digest.as_str()).collect();
        assert_eq!(digests, ["sha256:c", "sha256:l"]);
    }
}
