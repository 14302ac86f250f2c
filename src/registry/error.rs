//! How a registry operation failed, in words that name the image, the URL (never a
//! signed query or a credential) and what to do; and whether trying again may help.

use std::time::Duration;

use oci_client::errors::OciDistributionError;

use super::format::{MAX_MANIFEST_BYTES, ManifestError};

/// What a failed registry operation was, where, and whether trying again may help.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{what}: {url} answered HTTP {status}{detail}")]
    Status {
        what: String,
        url: String,
        status: u16,
        detail: String,
        retry_after: Option<Duration>,
    },
    #[error("{what}: {message}")]
    Transport {
        what: String,
        message: String,
        transient: bool,
    },
    #[error("{what}: the registry sent content with digest {actual}, expected {expected}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("{what}: the manifest is larger than {MAX_MANIFEST_BYTES} bytes; refused")]
    TooLarge { what: String },
    #[error("{what}: {source}")]
    Manifest { what: String, source: ManifestError },
    #[error("{what}: left behind: {source}")]
    RateLimited { what: String, source: RateLimited },
}

/// Why a request was not sent: the registry's limit will not reset within the bound.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{registry}'s pull limit is spent{limit}; it resets by {resets} at the latest, and waiting longer than {bound} s is not done (--max-rate-limit-wait)"
)]
pub struct RateLimited {
    pub registry: String,
    /// ` (100 manifest GETs per 21600 s)`, or empty when the registry did not say.
    pub(super) limit: String,
    /// `2026-12-06 12:34 UTC`.
    pub(super) resets: String,
    pub(super) bound: u64,
}

/// Whether an error is worth another attempt, and how long the server asked us to wait.
pub trait Transient {
    fn is_transient(&self) -> bool;
    fn retry_after(&self) -> Option<Duration> {
        None
    }
}

impl Transient for RegistryError {
    fn is_transient(&self) -> bool {
        match self {
            // A manifest push refused for a blob the registry does not see yet, right
            // after the blob was put: S3-backed registries answer this until their
            // storage catches up, and so does docker-registry while another writer is
            // committing the same blob. Worth another try; a blob truly missing still
            // fails after the last.
            RegistryError::Status {
                status: 400,
                detail,
                ..
            } if detail.contains("BLOB_UNKNOWN") => true,
            RegistryError::Status { status, .. } => {
                *status >= 500 || *status == 429 || *status == 408
            }
            RegistryError::Transport { transient, .. } => *transient,
            _ => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            RegistryError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Whether a request reads from or writes to the repository: a refusal means different
/// things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    Read,
    Write,
}

/// What a 401 or 403 means, in words: registries such as quay.io and Docker Hub answer
/// 401 alike for a repository that does not exist and for one the credentials may not
/// read.
fn refusal_hint(status: u16, access: Access) -> &'static str {
    match (status, access) {
        (401 | 403, Access::Read) => {
            " (the repository does not exist, or these credentials have no access to it)"
        }
        (401 | 403, Access::Write) => {
            " (these credentials cannot create or write this repository: give them push access to it or its organisation)"
        }
        _ => "",
    }
}

pub(super) async fn status_error(
    what: &str,
    url: &str,
    response: reqwest::Response,
    access: Access,
) -> RegistryError {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    // The first bytes of the error body say what the registry objected to.
    let body = response.text().await.unwrap_or_default();
    let detail: String = body.trim().chars().take(300).collect();
    let hint = refusal_hint(status, access);
    RegistryError::Status {
        what: what.to_string(),
        url: strip_query(url),
        status,
        detail: if detail.is_empty() {
            hint.to_string()
        } else {
            format!("{hint}: {detail}")
        },
        retry_after,
    }
}

/// Upload URLs carry session state in their query; messages do not need it.
fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

pub(super) fn from_reqwest(what: &str, error: reqwest::Error) -> RegistryError {
    // A certificate the client refuses will be refused again: not worth a retry.
    let certificate = error_chain(&error)
        .to_ascii_lowercase()
        .contains("certificate");
    let transient = !certificate
        && (error.is_timeout()
            || error.is_connect()
            || error.is_request()
            || error.is_body()
            || cut_while_reading_body(&error));
    // reqwest's messages carry the URL but never credentials; drop the query anyway.
    let error = error.without_url();
    RegistryError::Transport {
        what: what.to_string(),
        message: error_chain(&error),
        transient,
    }
}

/// reqwest reports a body cut short while collecting it (`bytes()`) as a decode error
/// caused by a body error: the connection broke, and another attempt may not.
fn cut_while_reading_body(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause
            .downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_body)
            || cause.downcast_ref::<std::io::Error>().is_some()
        {
            return true;
        }
        source = cause.source();
    }
    false
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

pub(super) fn from_oci(what: &str, error: OciDistributionError) -> RegistryError {
    let what = what.to_string();
    match error {
        OciDistributionError::RequestError(e) => from_reqwest(&what, e),
        OciDistributionError::ServerError { code, url, message } => RegistryError::Status {
            what,
            url: strip_query(&url),
            status: code,
            detail: format!(": {message}"),
            retry_after: None,
        },
        OciDistributionError::IoError(e) => RegistryError::Transport {
            what,
            transient: e.kind() != std::io::ErrorKind::InvalidData,
            message: e.to_string(),
        },
        OciDistributionError::DigestError(e) => RegistryError::Transport {
            what,
            message: format!("the registry sent content that does not match its digest: {e}"),
            transient: false,
        },
        OciDistributionError::RegistryError { envelope, url } => {
            let busy = envelope
                .errors
                .iter()
                .any(|e| matches!(e.code, oci_client::errors::OciErrorCode::Toomanyrequests));
            RegistryError::Transport {
                what,
                message: format!("{} ({})", envelope, strip_query(&url)),
                transient: busy,
            }
        }
        OciDistributionError::UnauthorizedError { url } => RegistryError::Status {
            what,
            url: strip_query(&url),
            status: 401,
            detail: ": check the credentials for this registry (REGISTRY_AUTH_FILE, ~/.docker/config.json)".into(),
            retry_after: None,
        },
        other => RegistryError::Transport {
            what,
            message: other.to_string(),
            transient: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_errors_5xx_and_429_are_transient() {
        let error = |status| RegistryError::Status {
            what: "x".into(),
            url: "u".into(),
            status,
            detail: String::new(),
            retry_after: None,
        };
        assert!(error(503).is_transient());
        assert!(error(429).is_transient());
        assert!(!error(404).is_transient());
        assert!(!error(401).is_transient());
        let refused = |detail: &str| RegistryError::Status {
            what: "x".into(),
            url: "u".into(),
            status: 400,
            detail: detail.into(),
            retry_after: None,
        };
        assert!(refused(r#": {"errors":[{"code":"MANIFEST_BLOB_UNKNOWN"}]}"#).is_transient());
        assert!(!refused(r#": {"errors":[{"code":"MANIFEST_INVALID"}]}"#).is_transient());
    }
}
