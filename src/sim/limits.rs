//! Rolling-window rate limits (60 s and 3600 s, both enforced), counted per
//! key: a bot for design-time calls, a request id (or bot) for status calls,
//! the account for Get Bots.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::config::RateLimitConfig;
use super::error::ApiError;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// Accepted calls per key, oldest first.
#[derive(Debug, Default)]
pub struct RateLimiter {
    calls: HashMap<String, VecDeque<Instant>>,
}

impl RateLimiter {
    /// Admits a call under `key`, or answers the documented 429.
    pub fn admit(
        &mut self,
        key: &str,
        limits: &RateLimitConfig,
        now: Instant,
    ) -> Result<(), ApiError> {
        let calls = self.calls.entry(key.to_owned()).or_default();
        while calls
            .front()
            .is_some_and(|t| now.duration_since(*t) >= HOUR)
        {
            calls.pop_front();
        }
        let in_minute = calls
            .iter()
            .rev()
            .take_while(|t| now.duration_since(**t) < MINUTE)
            .count();
        let wait = if in_minute >= limits.per_minute as usize {
            Some(MINUTE - now.duration_since(calls[calls.len() - in_minute]))
        } else if calls.len() >= limits.per_hour as usize {
            calls.front().map(|t| HOUR - now.duration_since(*t))
        } else {
            None
        };
        match wait {
            Some(wait) => {
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(ApiError::rate_limited(
                    limits.retry_after.then_some(secs.max(1)),
                ))
            }
            None => {
                calls.push_back(now);
                Ok(())
            }
        }
    }

    pub fn clear(&mut self) {
        self.calls.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_window_rolls() {
        let limits = RateLimitConfig {
            per_minute: 2,
            per_hour: 10,
            retry_after: true,
        };
        let mut limiter = RateLimiter::default();
        let start = Instant::now();
        assert!(limiter.admit("k", &limits, start).is_ok());
        assert!(limiter.admit("k", &limits, start).is_ok());
        let refused = limiter
            .admit("k", &limits, start + Duration::from_secs(1))
            .unwrap_err();
        assert_eq!(refused.status.as_u16(), 429);
        assert_eq!(refused.retry_after, Some(59));
        assert!(limiter.admit("other", &limits, start).is_ok());
        assert!(limiter.admit("k", &limits, start + MINUTE).is_ok());
    }

    #[test]
    fn hour_window_counts_too() {
        let limits = RateLimitConfig {
            per_minute: 100,
            per_hour: 2,
            retry_after: false,
        };
        let mut limiter = RateLimiter::default();
        let start = Instant::now();
        assert!(limiter.admit("k", &limits, start).is_ok());
        assert!(limiter.admit("k", &limits, start + MINUTE).is_ok());
        let refused = limiter.admit("k", &limits, start + MINUTE * 2).unwrap_err();
        assert_eq!(refused.retry_after, None);
        assert!(limiter.admit("k", &limits, start + HOUR).is_ok());
    }
}
