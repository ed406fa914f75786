//! When to try a request again, and how long to wait first.
//!
//! Only what is safe and likely to pass later is retried at once: the rate limit
//! (429), gateway faults (502, 503, 504), timeouts and broken connections. The
//! wait grows exponentially from [`RetryPolicy::base`] up to [`RetryPolicy::cap`],
//! with jitter so that many clients do not retry in step, and is never shorter
//! than a `Retry-After` the platform sent.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Default attempts per call, the first included.
pub const MAX_ATTEMPTS: u32 = 5;
/// Default first backoff.
pub const BASE_DELAY: Duration = Duration::from_millis(500);
/// Default longest backoff between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(30);
/// A `Retry-After` longer than this is not waited for: the call fails (retryable)
/// and the caller's own schedule decides when to come back.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// How many times to try a call and how long to wait in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: MAX_ATTEMPTS,
            base: BASE_DELAY,
            cap: MAX_DELAY,
            max_retry_after: MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (after `attempt` failures, from 1),
    /// or `None` when no attempt is left or the platform asks for too long a wait.
    ///
    /// `jitter` in `[0, 1]` picks a point in the upper half of the exponential
    /// step ("equal jitter"): never less than half the step, never more than it.
    pub fn delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        if retry_after.is_some_and(|wait| wait > self.max_retry_after) {
            return None;
        }
        let doublings = attempt.saturating_sub(1).min(20);
        let step = self.base.saturating_mul(1 << doublings).min(self.cap);
        let jittered = step.div_f64(2.0).mul_f64(1.0 + jitter.clamp(0.0, 1.0));
        Some(retry_after.map_or(jittered, |wait| wait.max(jittered.min(self.base))))
    }
}

/// Statuses retried at once by the HTTP layer.
pub fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// A `Retry-After` given in seconds (the only form the platform is assumed to
/// use; an HTTP date or garbage counts as absent).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(60),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_within_its_jitter_band() {
        let p = policy();
        let ms = |attempt, jitter| p.delay(attempt, None, jitter).unwrap().as_millis();
        assert_eq!((ms(1, 0.0), ms(1, 1.0)), (50, 100));
        assert_eq!((ms(2, 0.0), ms(2, 1.0)), (100, 200));
        assert_eq!((ms(3, 0.0), ms(3, 1.0)), (200, 400));
        assert_eq!((ms(9, 0.0), ms(9, 1.0)), (1000, 2000));
        assert_eq!(ms(9, 7.0), 2000, "jitter is clamped");
    }

    #[test]
    fn retry_after_is_a_floor_and_a_long_one_gives_up() {
        let p = policy();
        let three = Some(Duration::from_secs(3));
        assert_eq!(p.delay(1, three, 1.0), Some(Duration::from_secs(3)));
        assert_eq!(
            p.delay(1, Some(Duration::ZERO), 0.0),
            Some(Duration::from_millis(50))
        );
        assert_eq!(p.delay(1, Some(Duration::from_secs(61)), 0.5), None);
    }

    #[test]
    fn attempts_run_out() {
        let p = RetryPolicy {
            max_attempts: 3,
            ..policy()
        };
        assert!(p.delay(2, None, 0.5).is_some());
        assert_eq!(p.delay(3, None, 0.5), None);
    }

    #[test]
    fn only_the_documented_statuses_are_transient() {
        for code in [429, 502, 503, 504] {
            assert!(
                is_transient_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 409, 500, 501] {
            assert!(
                !is_transient_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static(" 7 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let date = HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        headers.insert(RETRY_AFTER, date);
        assert_eq!(retry_after(&headers), None);
    }
}
