//! Retransmission timing from measured round trips (RFC 6298's estimator): a smoothed RTT
//! and its variance per server, so a question is asked again when its answer is overdue for
//! this server, not after a fixed 5 s.

use std::time::Duration;

/// Before any answer was timed (RFC 6298 2.1 says 1 s).
const INITIAL_RTO: Duration = Duration::from_secs(1);
/// The floor: a resolver that recurses for a cache miss takes tens to hundreds of ms more
/// than for a hit, and asking again too early only adds load (RFC 6298 says 1 s for TCP;
/// DNS stubs use a few hundred ms). Measured lower (BENCHMARKS.md, "The retransmission
/// floor"): 100–150 ms recovered a lossy path's losses 5–8% sooner, but behind a resolver whose
/// misses took 150 ms and hits microseconds the timer followed the hits and asked the misses
/// again (137–243 needless tries per 1,000 domains); 250 ms asked none.
pub const MIN_RTO: Duration = Duration::from_millis(250);
/// The ceiling of one wait (before the per-lookup backoff, which the lookup's budget bounds).
const MAX_RTO: Duration = Duration::from_secs(3);
/// The longest wait of a retransmitted try.
const MAX_BACKOFF: Duration = Duration::from_millis(1500);
/// RFC 6298's clock granularity term G.
const GRANULARITY: f64 = 0.001;

#[derive(Clone, Copy, Debug, Default)]
pub struct RttEstimator {
    /// Smoothed RTT and RTT variation, in seconds (None before the first sample).
    srtt: Option<(f64, f64)>,
}

impl RttEstimator {
    /// One measured round trip (each try has its own message ID, so an answer always belongs
    /// to the try it is timed against: Karn's ambiguity does not arise).
    pub fn sample(&mut self, rtt: Duration) {
        let r = rtt.as_secs_f64();
        self.srtt = Some(match self.srtt {
            None => (r, r / 2.0),
            Some((srtt, rttvar)) => {
                let rttvar = 0.75 * rttvar + 0.25 * (srtt - r).abs();
                (0.875 * srtt + 0.125 * r, rttvar)
            }
        });
    }

    pub fn srtt(&self) -> Option<Duration> {
        self.srtt.map(|(s, _)| Duration::from_secs_f64(s))
    }

    /// The retransmission timeout for a first try; try `n` (0-based) waits `rto · 2ⁿ`.
    pub fn rto(&self) -> Duration {
        let rto = match self.srtt {
            None => INITIAL_RTO,
            Some((srtt, rttvar)) => Duration::from_secs_f64(srtt + (4.0 * rttvar).max(GRANULARITY)),
        };
        rto.clamp(MIN_RTO, MAX_RTO)
    }

    /// The wait for try `n` (exponential backoff, RFC 6298 5.5), capped at
    /// [`MAX_BACKOFF`] (or the RTO itself when that is longer): within a 5 s budget a lossy
    /// path still gets five or six tries, not three.
    pub fn backoff(&self, n: u32) -> Duration {
        let rto = self.rto();
        rto.saturating_mul(1 << n.min(6)).min(MAX_BACKOFF.max(rto))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_follows_the_measured_round_trips() {
        let mut e = RttEstimator::default();
        assert_eq!(e.rto(), INITIAL_RTO);
        // A steady 20 ms path: the floor applies.
        for _ in 0..20 {
            e.sample(Duration::from_millis(20));
        }
        assert_eq!(e.rto(), MIN_RTO);
        assert!(e.srtt().unwrap().abs_diff(Duration::from_millis(20)) < Duration::from_millis(1));
        // A slow, jittery resolver (300 ms ± 200 ms): the variance widens the wait.
        let mut slow = RttEstimator::default();
        for i in 0..40 {
            slow.sample(Duration::from_millis(if i % 2 == 0 { 100 } else { 500 }));
        }
        assert!(slow.rto() > Duration::from_millis(900), "{:?}", slow.rto());
        assert!(slow.rto() <= MAX_RTO);
        // Backoff doubles per try.
        assert_eq!(e.backoff(0), MIN_RTO);
        assert_eq!(e.backoff(2), MIN_RTO * 4);
        assert_eq!(e.backoff(5), MAX_BACKOFF);
        assert_eq!(slow.backoff(3), MAX_BACKOFF.max(slow.rto()));
    }
}
