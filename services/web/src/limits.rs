//! Rate limits per client address on what anyone may ask without signing in:
//! the petition lookups (so that codes cannot be tried by the thousand) and
//! the registrations. A refused request gets 429 with Retry-After.

use std::{net::IpAddr, num::NonZeroU32, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock as _, clock::DefaultClock};

use crate::settings::WebSettings;

/// Addresses remembered before the limiter forgets those whose budget refilled.
const REMEMBERED: usize = 10_000;

pub struct Limits {
    lookups: DefaultKeyedRateLimiter<IpAddr>,
    registrations: DefaultKeyedRateLimiter<IpAddr>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

fn check(limiter: &DefaultKeyedRateLimiter<IpAddr>, client: IpAddr) -> Result<(), Duration> {
    if limiter.len() > REMEMBERED {
        limiter.retain_recent();
    }
    limiter.check_key(&client).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

impl Limits {
    pub fn new(settings: &WebSettings) -> Self {
        Self {
            lookups: RateLimiter::keyed(per_minute(settings.lookups_per_minute)),
            registrations: RateLimiter::keyed(per_minute(settings.registrations_per_minute)),
        }
    }

    pub fn lookup(&self, client: IpAddr) -> Result<(), Duration> {
        check(&self.lookups, client)
    }

    pub fn registration(&self, client: IpAddr) -> Result<(), Duration> {
        check(&self.registrations, client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_budget_waits_and_another_client_does_not() {
        let settings = WebSettings { lookups_per_minute: 3, ..WebSettings::default() };
        let limits = Limits::new(&settings);
        let (one, two) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limits.lookup(one).is_ok());
        }
        let wait = limits.lookup(one).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(20), "{wait:?}");
        assert!(limits.lookup(two).is_ok());
    }
}
