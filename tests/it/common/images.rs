//! Test images made here, never pulled: OCI layouts with real tar+gzip layers and
//! configs whose diff_ids match, pushed to a test registry with skopeo (an independent
//! client), optionally converted to Docker schema 2 manifests and lists.

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// A layer: its gzip bytes and the digest of the uncompressed tar.
pub struct Layer {
    pub gzip: Vec<u8>,
    pub diff_id: String,
}

/// A layer of `size` pseudo-random bytes (seeded, so tests are repeatable), in a tar.
pub fn layer(seed: u64, size: usize) -> Layer {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let content: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let tar = tar_one_file(&format!("file-{seed}"), &content);
    let diff_id = digest(&tar);
    Layer {
        gzip: gzip_stored(&tar),
        diff_id,
    }
}

pub fn digest(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// An image for one platform, as an OCI layout blob set.
pub struct Platform {
    pub architecture: &'static str,
    pub layers: Vec<Layer>,
}

/// An amd64 and an arm64 image: the usual multi-platform index.
pub fn two_platforms(amd64: Vec<Layer>, arm64: Vec<Layer>) -> Vec<Platform> {
    vec![
        Platform {
            architecture: "amd64",
            layers: amd64,
        },
        Platform {
            architecture: "arm64",
            layers: arm64,
        },
    ]
}

/// Writes an OCI layout with one image (or an index over several platforms) tagged
/// `tag`, and returns the top manifest's digest.
pub fn write_layout(dir: &Path, tag: &str, platforms: Vec<Platform>) -> String {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let put = |bytes: &[u8]| {
        let d = digest(bytes);
        std::fs::write(dir.join("blobs/sha256").join(&d[7..]), bytes).unwrap();
        (d, bytes.len())
    };
    let mut manifests = Vec::new();
    let multi = platforms.len() > 1;
    for platform in &platforms {
        let config = serde_json::json!({
            "architecture": platform.architecture,
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": platform.layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
        });
        let (config_digest, config_size) = put(serde_json::to_vec(&config).unwrap().as_slice());
        let layers: Vec<_> = platform
            .layers
            .iter()
            .map(|l| {
                let (d, size) = put(&l.gzip);
                serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": size})
            })
            .collect();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
            "layers": layers,
        });
        let (d, size) = put(serde_json::to_vec(&manifest).unwrap().as_slice());
        manifests.push(serde_json::json!({
            "mediaType": OCI_MANIFEST, "digest": d, "size": size,
            "platform": {"architecture": platform.architecture, "os": "linux"},
        }));
    }
    let top = if multi {
        let index =
            serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
        let (d, size) = put(serde_json::to_vec(&index).unwrap().as_slice());
        serde_json::json!({"mediaType": OCI_INDEX, "digest": d, "size": size, "annotations": {"org.opencontainers.image.ref.name": tag}})
    } else {
        let mut only = manifests.remove(0);
        only.as_object_mut().unwrap().remove("platform");
        only["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": tag});
        only
    };
    let digest = top["digest"].as_str().unwrap().to_string();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [top]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    digest
}

/// Pushes a layout to `authority/repo:tag` with skopeo and returns the digest the
/// registry reports for the tag (`skopeo inspect`, independent of our code).
pub fn push(layout: &Path, tag: &str, authority: &str, repo: &str, docker_format: bool) -> String {
    let mut command = Command::new("skopeo");
    command.args(["copy", "--quiet", "--all", "--dest-tls-verify=false"]);
    if docker_format {
        command.args(["--format", "v2s2"]);
    }
    command
        .arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{authority}/{repo}:{tag}"));
    run(command);
    inspect_digest(authority, &format!("{repo}:{tag}"))
}

/// Builds a one-layer, one-platform image and pushes it to `authority/repo:tag`;
/// returns its digest.
pub fn publish_small(authority: &str, repo: &str, tag: &str, seed: u64) -> String {
    let layout = tempfile::tempdir().unwrap();
    write_layout(
        layout.path(),
        tag,
        vec![Platform {
            architecture: "amd64",
            layers: vec![layer(seed, 4000)],
        }],
    );
    push(layout.path(), tag, authority, repo, false)
}

/// `skopeo inspect --format '{{.Digest}}'` of `authority/reference`.
pub fn inspect_digest(authority: &str, reference: &str) -> String {
    let mut command = Command::new("skopeo");
    command
        .args(["inspect", "--tls-verify=false", "--raw"])
        .arg(format!("docker://{authority}/{reference}"));
    // --raw and hash it: the digest of exactly the bytes the registry serves for the
    // tag, which is what skopeo's {{.Digest}} reports as well.
    let raw = run(command);
    digest(&raw)
}

/// The digest of the manifest `authority/reference` serves, read with skopeo as `creds`
/// (`user:password`) when given; `None` when there is no such tag (or access).
pub fn tag_digest(authority: &str, reference: &str, creds: Option<&str>) -> Option<String> {
    let mut command = Command::new("skopeo");
    command.args(["inspect", "--raw", "--tls-verify=false"]);
    if let Some(creds) = creds {
        command.arg(format!("--creds={creds}"));
    }
    let output = command
        .arg(format!("docker://{authority}/{reference}"))
        .output()
        .unwrap();
    output.status.success().then(|| digest(&output.stdout))
}

/// `skopeo copy --all` of a tag into a scratch folder: succeeds only when every
/// manifest and blob under it exists.
pub fn copy_all_succeeds(authority: &str, reference: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    Command::new("skopeo")
        .args(["copy", "--quiet", "--all", "--src-tls-verify=false"])
        .arg(format!("docker://{authority}/{reference}"))
        .arg(format!("dir:{}", dir.path().display()))
        // A failure is an answer here, not an error to log.
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

fn run(mut command: Command) -> Vec<u8> {
    super::tool_output(&mut command)
}

/// A ustar archive holding one regular file.
fn tar_one_file(name: &str, content: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    header[100..107].copy_from_slice(b"0000644");
    header[108..115].copy_from_slice(b"0000000");
    header[116..123].copy_from_slice(b"0000000");
    header[124..135].copy_from_slice(format!("{:011o}", content.len()).as_bytes());
    header[136..147].copy_from_slice(b"00000000000");
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let checksum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..155].copy_from_slice(format!("{checksum:06o}\0").as_bytes());
    let mut tar = header.to_vec();
    tar.extend_from_slice(content);
    tar.resize(tar.len().div_ceil(512) * 512 + 1024, 0);
    tar
}

/// gzip with stored (uncompressed) deflate blocks: valid gzip without a compressor.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(65535).collect()
    };
    for (index, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(index == chunks.len() - 1));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
