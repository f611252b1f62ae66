//! Tokens already verified, kept until they expire but at most five minutes:
//! a tablet or the web sends the same token with every request, and checking
//! its signature again costs more CPU than the rest of a small read. Kept by
//! the whole token, so only the very token that verified is ever let through;
//! bounded, so a flood of distinct tokens costs a little memory and no more.

use std::time::Duration;

use quick_cache::sync::Cache;

use super::Caller;

/// Enough for every caller of a busy province at once (about 2 MB when full).
const CAPACITY: usize = 4096;

/// How long a verified token is trusted without a look at its signature: the
/// leeway the token library already gives an expiry, so a key that an identity
/// provider withdraws is honoured as soon as it was before.
const AT_MOST: Duration = Duration::from_secs(300);

pub(super) struct Verified {
    cache: Cache<String, Kept>,
}

#[derive(Clone)]
struct Kept {
    caller: Caller,
    /// Unix seconds after which the token is verified again.
    until: u64,
}

impl Verified {
    pub fn new() -> Self {
        Self { cache: Cache::new(CAPACITY) }
    }

    /// The caller `token` named when it verified, while it is still kept.
    pub fn get(&self, token: &str) -> Option<Caller> {
        let kept = self.cache.get(token)?;
        (jsonwebtoken::get_current_timestamp() < kept.until).then_some(kept.caller)
    }

    /// Keeps `token`, verified, which expires at `expires` (Unix seconds).
    pub fn keep(&self, token: &str, caller: &Caller, expires: u64) {
        let until = expires.min(jsonwebtoken::get_current_timestamp() + AT_MOST.as_secs());
        self.cache.insert(token.to_owned(), Kept { caller: caller.clone(), until });
    }
}

#[cfg(test)]
mod tests {
    use doithoai_units::UnitCode;

    use super::*;
    use crate::Role;

    fn caller() -> Caller {
        Caller {
            subject: "secretary-11950".into(),
            unit: UnitCode::parse("11950").unwrap(),
            roles: vec![Role::Secretary],
            organization: None,
            at_root: false,
            peer: None,
        }
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    #[test]
    fn a_token_is_kept_until_it_expires_and_no_longer() {
        let verified = Verified::new();
        verified.keep("token-a", &caller(), now() + 60);
        verified.keep("token-b", &caller(), now() - 1);
        assert_eq!(verified.get("token-a").map(|c| c.subject), Some("secretary-11950".into()));
        assert!(verified.get("token-b").is_none(), "an expired token is verified again, and refused");
    }

    #[test]
    fn only_the_very_token_that_verified_is_kept() {
        let verified = Verified::new();
        verified.keep("token-a", &caller(), now() + 60);
        assert!(verified.get("token-A").is_none());
        assert!(verified.get("token-").is_none());
    }

    #[test]
    fn a_long_lived_token_is_verified_again_after_five_minutes() {
        let verified = Verified::new();
        verified.keep("token-a", &caller(), now() + 8 * 3600);
        let kept = verified.cache.get("token-a").unwrap();
        assert!(kept.until <= now() + AT_MOST.as_secs(), "kept until {}", kept.until);
    }
}
