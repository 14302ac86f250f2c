//! Docker Hub's pull limit, put in front of a registry: manifest GETs are counted in a
//! fixed window; every answer says `RateLimit-Limit: N;w=W` and
//! `RateLimit-Remaining: R;w=W`; past the limit a manifest GET is answered 429 with
//! `Retry-After` (the seconds left in the window). Installed in a
//! [`super::faulty::FaultyProxy`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct PullLimit {
    limit: usize,
    window: Duration,
    /// When the current window began, the manifest GETs counted in it, and its 429s.
    current: Mutex<(Instant, usize, usize)>,
    too_many: AtomicUsize,
    /// The most 429s any one window answered.
    most_in_a_window: AtomicUsize,
}

/// What the limit decided for one request.
pub enum Verdict {
    /// Forward it, adding these header lines to the answer.
    Forward(String),
    /// Answer with this whole response.
    Refuse(Vec<u8>),
}

impl PullLimit {
    pub fn new(limit: usize, window: Duration) -> PullLimit {
        PullLimit {
            limit,
            window,
            current: Mutex::new((Instant::now(), 0, 0)),
            too_many: AtomicUsize::new(0),
            most_in_a_window: AtomicUsize::new(0),
        }
    }

    /// 429s answered so far.
    pub fn too_many(&self) -> usize {
        self.too_many.load(Ordering::SeqCst)
    }

    /// The most 429s one window answered: a client that meets the limit well asks once
    /// per window, and waits.
    pub fn most_in_a_window(&self) -> usize {
        self.most_in_a_window.load(Ordering::SeqCst)
    }

    pub fn judge(&self, method: &str, path: &str) -> Verdict {
        let mut current = self.current.lock().unwrap();
        if current.0.elapsed() >= self.window {
            *current = (Instant::now(), 0, 0);
        }
        let w = self.window.as_secs().max(1);
        let counted = method == "GET" && path.contains("/manifests/");
        if counted && current.1 >= self.limit {
            self.too_many.fetch_add(1, Ordering::SeqCst);
            current.2 += 1;
            self.most_in_a_window.fetch_max(current.2, Ordering::SeqCst);
            let left = self.window.saturating_sub(current.0.elapsed());
            let retry_after = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            let body = r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your unauthenticated pull rate limit."}]}"#;
            return Verdict::Refuse(
                format!(
                    "HTTP/1.1 429 Too Many Requests\r\nRateLimit-Limit: {};w={w}\r\nRateLimit-Remaining: 0;w={w}\r\nRetry-After: {retry_after}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    self.limit,
                    body.len()
                )
                .into_bytes(),
            );
        }
        if counted {
            current.1 += 1;
        }
        Verdict::Forward(format!(
            "RateLimit-Limit: {};w={w}\r\nRateLimit-Remaining: {};w={w}\r\n",
            self.limit,
            self.limit - current.1
        ))
    }
}
