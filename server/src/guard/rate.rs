//! Per-address token buckets (governor's keyed GCRA) on the actions that cost
//! the server: creating rooms, joining, sending messages, opening sockets.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::client_key;
use crate::config::Config;
use crate::error::Error;

/// Something a client address does that counts against one of its rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Join,
    Message,
    Upgrade,
}

impl Action {
    fn what(self) -> &'static str {
        match self {
            Self::Create => "rooms created",
            Self::Join => "joins",
            Self::Message => "messages",
            Self::Upgrade => "sockets opened",
        }
    }
}

type Limiter = DefaultKeyedRateLimiter<IpAddr>;

/// The rates of every client address; `None` where the configuration
/// turned a rate off.
pub struct Rates {
    create: Option<Limiter>,
    join: Option<Limiter>,
    message: Option<Limiter>,
    upgrade: Option<Limiter>,
    clock: DefaultClock,
}

fn per_minute(n: u32) -> Option<Limiter> {
    NonZeroU32::new(n).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl Rates {
    pub fn new(config: &Config) -> Self {
        let message = NonZeroU32::new(config.rate_messages_per_second).map(|n| {
            let burst = n.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            RateLimiter::keyed(Quota::per_second(n).allow_burst(burst))
        });
        Self {
            create: per_minute(config.rate_create_per_minute),
            join: per_minute(config.rate_join_per_minute),
            message,
            upgrade: per_minute(config.rate_upgrades_per_minute),
            clock: DefaultClock::default(),
        }
    }

    fn limiter(&self, action: Action) -> Option<&Limiter> {
        match action {
            Action::Create => self.create.as_ref(),
            Action::Join => self.join.as_ref(),
            Action::Message => self.message.as_ref(),
            Action::Upgrade => self.upgrade.as_ref(),
        }
    }

    /// Takes one token of `action` from `ip`'s bucket, or says how long to wait.
    pub fn check(&self, action: Action, ip: IpAddr) -> Result<(), Error> {
        let Some(limiter) = self.limiter(action) else {
            return Ok(());
        };
        limiter.check_key(&client_key(ip)).map_err(|not_until| {
            Error::rate_limited(action.what(), not_until.wait_time_from(self.clock.now()))
        })
    }

    /// Forgets addresses whose buckets have refilled, so memory follows the
    /// number of recent clients rather than every address ever seen.
    pub fn forget_idle(&self) {
        for limiter in [&self.create, &self.join, &self.message, &self.upgrade]
            .into_iter()
            .flatten()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Addresses currently remembered, over all rates (for tests).
    pub fn remembered(&self) -> usize {
        [&self.create, &self.join, &self.message, &self.upgrade]
            .into_iter()
            .flatten()
            .map(|l| l.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use private_chat_protocol::ErrorCode;

    #[test]
    fn a_bucket_empties_per_address_and_says_when_to_come_back() {
        let config = Config {
            rate_create_per_minute: 3,
            ..Config::default()
        };
        let rates = Rates::new(&config);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            rates.check(Action::Create, a).unwrap();
        }
        let e = rates.check(Action::Create, a).unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited);
        let wait = e.retry_after.unwrap();
        assert!(wait.as_secs() <= 20 && !wait.is_zero(), "{wait:?}");
        // Another address, and another action of the same address, are untouched.
        rates.check(Action::Create, b).unwrap();
        rates.check(Action::Join, a).unwrap();
    }

    #[test]
    fn zero_turns_a_rate_off() {
        let rates = Rates::new(&Config::default().without_rate_limits());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..1_000 {
            rates.check(Action::Message, a).unwrap();
        }
        assert_eq!(rates.remembered(), 0);
    }
}
