//! What travels with an image, built here from the documented formats (no cosign
//! binary): cosign signatures and attestations as tags, sigstore bundles and SBOMs as
//! OCI 1.1 artifacts with a `subject`, and the referrers tag schema's index. Pushed with
//! a small HTTP client of the tests' own, so the code under test never writes them.

use std::io::{Read, Write};
use std::net::TcpStream;

use super::images::digest;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";
pub const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub const SPDX: &str = "application/spdx+json";
const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// A manifest ready to push: its bytes, digest, and the blobs it needs.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub manifest: Vec<u8>,
    pub digest: String,
    pub media_type: &'static str,
    pub artifact_type: Option<&'static str>,
    pub blobs: Vec<Vec<u8>>,
}

impl Artifact {
    /// Its entry in a referrers index, as a registry with the API lists it.
    pub fn descriptor(&self) -> serde_json::Value {
        let mut entry = serde_json::json!({
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.manifest.len(),
        });
        if let Some(artifact_type) = self.artifact_type {
            entry["artifactType"] = artifact_type.into();
        }
        entry
    }

    /// Pushes its blobs, then the manifest under `reference` (its digest or a tag).
    pub fn push(&self, authority: &str, repo: &str, reference: &str) {
        for blob in &self.blobs {
            push_blob(authority, repo, blob);
        }
        push_manifest(authority, repo, reference, self.media_type, &self.manifest);
    }

    /// Pushes it by digest.
    pub fn push_by_digest(&self, authority: &str, repo: &str) {
        self.push(authority, repo, &self.digest.clone());
    }
}

fn descriptor(media_type: &str, bytes: &[u8]) -> serde_json::Value {
    serde_json::json!({"mediaType": media_type, "digest": digest(bytes), "size": bytes.len()})
}

fn manifest(
    value: serde_json::Value,
    artifact_type: Option<&'static str>,
    blobs: Vec<Vec<u8>>,
) -> Artifact {
    let bytes = serde_json::to_vec(&value).unwrap();
    Artifact {
        digest: digest(&bytes),
        manifest: bytes,
        media_type: OCI_MANIFEST,
        artifact_type,
        blobs,
    }
}

/// The subject descriptor of an image manifest `subject` (its digest and size).
pub fn subject(media_type: &str, subject_digest: &str, size: usize) -> serde_json::Value {
    serde_json::json!({"mediaType": media_type, "digest": subject_digest, "size": size})
}

/// A cosign signature of `subject_digest`, as `cosign sign` stores it under the tag
/// `sha256-<hex>.sig`: a simple-signing payload layer annotated with its signature.
/// `signatures` payloads (cosign appends one layer per signing).
pub fn cosign_signature(reference: &str, subject_digest: &str, signatures: usize) -> Artifact {
    let mut layers = Vec::new();
    let mut blobs = Vec::new();
    for index in 0..signatures {
        let payload = serde_json::to_vec(&serde_json::json!({
            "critical": {
                "identity": {"docker-reference": reference},
                "image": {"docker-manifest-digest": subject_digest},
                "type": "cosign container image signature",
            },
            "optional": {"signer": index},
        }))
        .unwrap();
        let mut layer = descriptor(SIMPLE_SIGNING, &payload);
        layer["annotations"] = serde_json::json!({
            "dev.cosignproject.cosign/signature": format!("MEUCIQ{index}fakesignature=="),
        });
        layers.push(layer);
        blobs.push(payload);
    }
    let diff_ids: Vec<String> = blobs.iter().map(|b| digest(b)).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "", "os": "", "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let value = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", &config),
        "layers": layers,
    });
    blobs.insert(0, config);
    manifest(value, None, blobs)
}

/// A cosign attestation (an in-toto statement in a DSSE envelope) under `.att`.
pub fn cosign_attestation(subject_digest: &str) -> Artifact {
    let envelope = serde_json::to_vec(&serde_json::json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": format!("eyJzdWJqZWN0IjoiI{}", &subject_digest[7..19]),
        "signatures": [{"sig": "MEUCIQfake=="}],
    }))
    .unwrap();
    let config = br#"{"architecture":"","os":"","config":{}}"#.to_vec();
    let value = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", &config),
        "layers": [descriptor("application/vnd.dsse.envelope.v1+json", &envelope)],
    });
    manifest(value, None, vec![config, envelope])
}

/// An OCI 1.1 artifact of `artifact_type` with one layer `content`, referring to
/// `subject`: a sigstore bundle or an SBOM.
pub fn referrer(
    artifact_type: &'static str,
    content: &[u8],
    subject: serde_json::Value,
) -> Artifact {
    let empty = b"{}".to_vec();
    let value = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": descriptor(EMPTY_CONFIG, &empty),
        "layers": [descriptor(artifact_type, content)],
        "subject": subject,
    });
    manifest(value, Some(artifact_type), vec![empty, content.to_vec()])
}

/// A sigstore bundle (v0.3) for `subject`.
pub fn sigstore_bundle(subject: serde_json::Value) -> Artifact {
    let digest_hex = subject["digest"].as_str().unwrap()[7..].to_string();
    let bundle = serde_json::to_vec(&serde_json::json!({
        "mediaType": SIGSTORE_BUNDLE,
        "verificationMaterial": {"certificate": {"rawBytes": "MIIB"}, "tlogEntries": []},
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": digest_hex},
            "signature": "MEUCIQfake==",
        },
    }))
    .unwrap();
    referrer(SIGSTORE_BUNDLE, &bundle, subject)
}

/// An SPDX SBOM for `subject`; `seed` makes it unique.
pub fn sbom(subject: serde_json::Value, seed: u32) -> Artifact {
    let document = serde_json::to_vec(&serde_json::json!({
        "spdxVersion": "SPDX-2.3",
        "name": format!("sbom-{seed}"),
        "packages": [{"name": "busybox", "versionInfo": "1.36"}],
    }))
    .unwrap();
    referrer(SPDX, &document, subject)
}

/// The referrers tag schema's index: `sha256-<hex>` listing `referrers`.
pub fn fallback_index(referrers: &[&Artifact]) -> Vec<u8> {
    let manifests: Vec<serde_json::Value> = referrers.iter().map(|a| a.descriptor()).collect();
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests,
    }))
    .unwrap()
}

/// `sha256:<hex>` -> `sha256-<hex>`.
pub fn fallback_tag(subject_digest: &str) -> String {
    subject_digest.replacen(':', "-", 1)
}

/// Pushes a blob: an upload session, then its content in one PUT.
pub fn push_blob(authority: &str, repo: &str, blob: &[u8]) {
    let (status, head, _) = request(
        authority,
        "POST",
        &format!("/v2/{repo}/blobs/uploads/"),
        &[],
        &[],
    );
    assert_eq!(status, 202, "blob upload to {authority}/{repo}");
    let location = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_string())
        })
        .expect("an upload has a Location");
    let path = location
        .strip_prefix("http://")
        .map(|rest| &rest[rest.find('/').unwrap()..])
        .unwrap_or(&location);
    let separator = if path.contains('?') { '&' } else { '?' };
    let path = format!("{path}{separator}digest={}", digest(blob));
    let (status, _, _) = request(
        authority,
        "PUT",
        &path,
        &[("Content-Type", "application/octet-stream")],
        blob,
    );
    assert_eq!(status, 201, "blob upload to {authority}/{repo}");
}

/// Pushes a manifest's exact bytes under `reference`.
pub fn push_manifest(authority: &str, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) {
    let path = format!("/v2/{repo}/manifests/{reference}");
    let (status, _, body) = request(
        authority,
        "PUT",
        &path,
        &[("Content-Type", media_type)],
        bytes,
    );
    assert_eq!(
        status,
        201,
        "manifest push to {authority}/{repo}:{reference}: {}",
        String::from_utf8_lossy(&body)
    );
}

/// The manifest bytes `authority/repo:reference` serves, if any.
pub fn get_manifest(authority: &str, repo: &str, reference: &str) -> Option<Vec<u8>> {
    let path = format!("/v2/{repo}/manifests/{reference}");
    let accept = format!(
        "{OCI_MANIFEST}, {OCI_INDEX}, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json"
    );
    let (status, _, body) = request(authority, "GET", &path, &[("Accept", &accept)], &[]);
    (status == 200).then_some(body)
}

/// The digests a referrers index at `authority/repo:reference` lists.
pub fn listed(authority: &str, repo: &str, reference: &str) -> Vec<String> {
    let Some(body) = get_manifest(authority, repo, reference) else {
        return Vec::new();
    };
    let index: serde_json::Value = serde_json::from_slice(&body).unwrap();
    index["manifests"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|d| d["digest"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// One HTTP/1.1 request: status, headers, body.
pub fn request(
    authority: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(authority).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = response[split..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, head, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 2 + size + 2..];
    }
}

/// The digest of the manifest `authority/repo:tag` serves, if any.
pub fn tag_digest(authority: &str, repo: &str, tag: &str) -> Option<String> {
    get_manifest(authority, repo, tag).map(|bytes| digest(&bytes))
}
