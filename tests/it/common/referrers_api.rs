//! The OCI 1.1 referrers API, put in front of a registry that lacks it (Debian's
//! docker-registry 2.8), as quay.io serves it: a manifest pushed with a `subject` is
//! answered with `OCI-Subject` and listed at `GET /v2/<name>/referrers/<digest>`.
//! Installed in a [`super::faulty::FaultyProxy`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::images::digest;

#[derive(Default)]
pub struct ReferrersApi {
    /// By (repository, subject digest): the listed descriptors.
    listed: Mutex<HashMap<(String, String), Vec<serde_json::Value>>>,
    queries: AtomicUsize,
    acknowledged: AtomicUsize,
}

impl ReferrersApi {
    /// Referrers queries answered so far.
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }

    /// Pushes answered with `OCI-Subject` so far.
    pub fn acknowledged(&self) -> usize {
        self.acknowledged.load(Ordering::SeqCst)
    }

    /// The digests listed as referring to `subject` in `repo`.
    pub fn listed(&self, repo: &str, subject: &str) -> Vec<String> {
        self.listed
            .lock()
            .unwrap()
            .get(&(repo.to_string(), subject.to_string()))
            .map(|l| {
                l.iter()
                    .map(|d| d["digest"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The whole response to a referrers query, or `None` for any other request.
    pub fn answer(&self, method: &str, path: &str) -> Option<Vec<u8>> {
        if method != "GET" {
            return None;
        }
        let path = path.split('?').next().unwrap_or(path);
        let (repo, subject) = path.strip_prefix("/v2/")?.rsplit_once("/referrers/")?;
        self.queries.fetch_add(1, Ordering::SeqCst);
        let manifests = self
            .listed
            .lock()
            .unwrap()
            .get(&(repo.to_string(), subject.to_string()))
            .cloned()
            .unwrap_or_default();
        let body = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        }))
        .unwrap();
        let mut response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        response.extend_from_slice(&body);
        Some(response)
    }

    /// After the registry accepted a manifest push: when the manifest has a `subject`,
    /// lists it and returns the header to add to the answer.
    pub fn pushed(&self, method: &str, path: &str, head: &str, body: &[u8]) -> Option<String> {
        if method != "PUT" {
            return None;
        }
        let (repo, _) = path.strip_prefix("/v2/")?.rsplit_once("/manifests/")?;
        let manifest: serde_json::Value = serde_json::from_slice(body).ok()?;
        let subject = manifest
            .get("subject")?
            .get("digest")?
            .as_str()?
            .to_string();
        let media_type = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-type")
                    .then(|| value.trim().to_string())
            })
            .unwrap_or_default();
        let mut entry = serde_json::json!({
            "mediaType": media_type,
            "digest": digest(body),
            "size": body.len(),
        });
        if let Some(artifact_type) = manifest
            .get("artifactType")
            .or_else(|| manifest.get("config").and_then(|c| c.get("mediaType")))
        {
            entry["artifactType"] = artifact_type.clone();
        }
        let mut listed = self.listed.lock().unwrap();
        let entries = listed
            .entry((repo.to_string(), subject.clone()))
            .or_default();
        if !entries.iter().any(|e| e["digest"] == entry["digest"]) {
            entries.push(entry);
        }
        self.acknowledged.fetch_add(1, Ordering::SeqCst);
        Some(format!("OCI-Subject: {subject}\r\n"))
    }
}
