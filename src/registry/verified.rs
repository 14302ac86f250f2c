//! Blob streams checked as they flow: counted and hashed, and failed before their last
//! byte when the size or digest is wrong, so an upload they feed never completes.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest as _, Sha256};

/// The `sha256:<hex>` digest of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 15) as usize] as char);
    }
    out
}

/// A blob stream that counts and hashes as it goes, and turns a wrong size or digest
/// into an error before the stream ends, so the upload it feeds is never completed.
pub(super) struct Verified<S> {
    inner: S,
    expected_digest: String,
    expected_size: u64,
    seen: u64,
    hasher: Option<Sha256>,
    progress: Arc<AtomicU64>,
}

impl<S> Verified<S> {
    pub(super) fn new(inner: S, digest: &str, size: u64, progress: Arc<AtomicU64>) -> Verified<S> {
        Verified {
            inner,
            expected_digest: digest.to_string(),
            expected_size: size,
            seen: 0,
            hasher: Some(Sha256::new()),
            progress,
        }
    }
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

impl<S> Stream for Verified<S>
where
    S: Stream<Item = std::result::Result<Bytes, std::io::Error>> + Unpin,
{
    type Item = std::result::Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.seen += chunk.len() as u64;
                if this.seen > this.expected_size {
                    return Poll::Ready(Some(Err(invalid(format!(
                        "blob {} is longer than its {} bytes",
                        this.expected_digest, this.expected_size
                    )))));
                }
                if let Some(hasher) = this.hasher.as_mut() {
                    hasher.update(&chunk);
                }
                this.progress
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                // Check the digest on the last chunk, before the upload can complete.
                if this.seen == this.expected_size
                    && let Some(hasher) = this.hasher.take()
                {
                    let actual = format!("sha256:{}", hex(&hasher.finalize()));
                    if this.expected_digest.starts_with("sha256:") && actual != this.expected_digest
                    {
                        return Poll::Ready(Some(Err(invalid(format!(
                            "blob content has digest {actual}, expected {}",
                            this.expected_digest
                        )))));
                    }
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) if this.seen < this.expected_size => {
                Poll::Ready(Some(Err(invalid(format!(
                    "blob {} ended after {} of {} bytes",
                    this.expected_digest, this.seen, this.expected_size
                )))))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    async fn collect(
        chunks: Vec<&'static [u8]>,
        digest: &str,
        size: u64,
    ) -> std::result::Result<Vec<u8>, std::io::Error> {
        let inner = stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c))));
        let mut verified = Verified::new(inner, digest, size, Arc::new(AtomicU64::new(0)));
        let mut out = Vec::new();
        while let Some(chunk) = verified.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn verified_streams_pass_good_content() {
        let digest = sha256_digest(b"hello world");
        assert_eq!(
            collect(vec![b"hello ", b"world"], &digest, 11)
                .await
                .unwrap(),
            b"hello world"
        );
    }

    #[tokio::test]
    async fn verified_streams_fail_on_wrong_bytes_short_or_long_bodies() {
        let digest = sha256_digest(b"hello world");
        assert!(
            collect(vec![b"hello", b" WORLD"], &digest, 11)
                .await
                .unwrap_err()
                .to_string()
                .contains("expected")
        );
        assert!(
            collect(vec![b"hello"], &digest, 11)
                .await
                .unwrap_err()
                .to_string()
                .contains("ended after 5 of 11")
        );
        assert!(
            collect(vec![b"hello world!"], &digest, 11)
                .await
                .unwrap_err()
                .to_string()
                .contains("longer")
        );
    }

    #[test]
    fn digests_are_lowercase_hex_sha256() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
