//! Retries for transient registry failures: exponential backoff with jitter, honouring
//! `Retry-After`, a bounded number of times. Everything else fails at once.

use std::future::Future;
use std::time::Duration;

use crate::registry::error::Transient;

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Runs `operation` until it succeeds, fails permanently, or runs out of attempts.
pub async fn retry<T, E, F, Fut>(policy: RetryPolicy, mut operation: F) -> Result<T, E>
where
    E: Transient + std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match operation().await {
            Ok(value) => return Ok(value),
            Err(error) if error.is_transient() && attempt < policy.attempts => {
                let delay = error.retry_after().map_or_else(
                    || backoff(policy, attempt),
                    |asked| asked.min(policy.max_delay * 3),
                );
                tracing::debug!(
                    attempt,
                    of = policy.attempts,
                    wait_ms = delay.as_millis() as u64,
                    error = %error,
                    "retrying"
                );
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// `base * 2^(attempt-1)`, capped, times a jitter in [0.5, 1.5).
fn backoff(policy: RetryPolicy, attempt: u32) -> Duration {
    let exponential = policy
        .base_delay
        .saturating_mul(1 << (attempt - 1).min(16))
        .min(policy.max_delay);
    exponential.mul_f64(0.5 + fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug)]
    struct Flaky(bool);
    impl std::fmt::Display for Flaky {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "flaky: {}", self.0)
        }
    }
    impl Transient for Flaky {
        fn is_transient(&self) -> bool {
            self.0
        }
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        }
    }

    #[tokio::test]
    async fn transient_errors_are_retried_up_to_the_limit() {
        let calls = AtomicU32::new(0);
        let result: Result<(), Flaky> = retry(quick(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Flaky(true))
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn permanent_errors_fail_at_once_and_success_stops() {
        let calls = AtomicU32::new(0);
        let _ = retry(quick(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(Flaky(false))
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let calls = AtomicU32::new(0);
        let value = retry(quick(), || async {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(Flaky(true))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(value.unwrap(), 7);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        assert!(backoff(policy, 1) < Duration::from_millis(150));
        assert!(backoff(policy, 9) <= Duration::from_millis(1500));
    }
}
