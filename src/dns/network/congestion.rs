//! Congestion control per nameserver: a window of questions in flight that grows while
//! answers come back and is halved on loss (AIMD, as TCP's Reno), so that `--concurrency`
//! is a ceiling, not a burst. A path with ordinary buffers (a resolver's queue, a VPC
//! resolver's packets-per-second cap) drops a burst; the window finds what it carries.
//!
//! A window alone cannot slow a client whose round trips are short (a rate-limiting
//! resolver on the same network answers in 0.1 ms: two in flight is already 20,000 q/s), so
//! heavy loss also sets a pace: sends are spaced to 90% of the rate at which answers came
//! back over the last second or more (rate limits count per second: unbound's
//! `ip-ratelimit`, dnsdist's QPS rules, a VPC resolver's packets per second; a shorter
//! measure sees the whole budget or none of it), at most halving the pace at once, and the
//! pace then rises by 5% a second (AIMD on the rate, as on the window).
//!
//! Within the window, sends are also spread over the round trip (RFC 9002 7.7, Linux's TCP
//! pacing): at twice the window per round trip in slow start, 1.25 times after. A window's
//! worth sent at once overflows a short queue on the path before the window is what the
//! path holds (measured on the bench's 20 ms path with a queue of 100: losses at 140 in
//! flight where 200 fit, and 1,000 domains in 5.9 s paced against 6.7 s unpaced).

use super::rtt::{self, RttEstimator};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Questions in flight to a server before anything is known about it: a domain's first round
/// is ~27 questions (the DKIM selectors at once), and two domains' must fit, or one domain
/// alone takes an extra round trip (measured: 84 ms instead of 64 at 20 ms with 16).
const INITIAL_WINDOW: f64 = 64.0;
/// The window never closes below this.
const MIN_WINDOW: f64 = 2.0;

pub struct Window {
    state: Mutex<State>,
    room: Notify,
    /// The most in flight, whatever the window (the sockets' receive buffers).
    ceiling: f64,
}

struct State {
    cwnd: f64,
    ssthresh: f64,
    in_flight: usize,
    /// What went out and what came back, over the run (see [`super::Counters`]).
    totals: super::Counters,
    /// Tries waiting for room: a release wakes one only when there is one (a wake-up per
    /// answer was measurable at `--concurrency 256` with 0 ms round trips).
    waiting: usize,
    /// The server's measured round trips: kept under the window's lock, so that a try takes
    /// one lock to go out and one to come back.
    rtt: RttEstimator,
    /// When the window was last cut: one cut per round trip, however many tries of that
    /// round trip were lost (TCP's fast recovery does the same).
    last_cut: Option<Instant>,
    /// The window and threshold before the last cut, until a late answer shows that cut was
    /// for a slow server, not a lost question (then they are restored once, as TCP's Eifel
    /// response does, RFC 4015), or the next cut.
    before_cut: Option<(Cut, f64, f64)>,
    /// Cuts so far: names each cut (see [`Cut`]).
    cuts: u64,
    /// Answers and losses since `since` (the start, or the last measure of the pace): the
    /// delivered rate.
    answers: u64,
    lost: u64,
    since: Instant,
    active: bool,
    /// Queries per second at most, once a loss was seen (None: unpaced).
    pace: Option<f64>,
    /// The most answers per second any finished measure saw: the first pace is never below
    /// half of it (a measure taken just after a burst, while a rate limiter still drops
    /// nearly everything, sees a few answers a second; taken as the limit, it slowed a run
    /// to 20 q/s and 25 s instead of 5).
    best_rate: f64,
    /// The earliest time the next query may go out under the pace.
    next_send: Instant,
}

/// The slowest pace a loss can set (a resolver that answers nothing must not stall the run
/// forever: the budget and the retries decide then).
const MIN_PACE: f64 = 20.0;
/// The share of tries lost over a measure above which the server is taken to be
/// rate-limiting (random loss on a path is rarely this high).
const HEAVY_LOSS: f64 = 0.25;
/// The shortest time the delivered rate is measured over before it sets a pace.
const PACE_MEASURE: Duration = Duration::from_secs(1);
/// A measure this old without a loss is started afresh (the rate it saw is history).
const PACE_MEASURE_STALE: Duration = Duration::from_secs(3);
/// A window this small still losing heavily is sending too fast for a rate limit (its
/// round trips are short), so a pace is set.
const PACED_WINDOW: f64 = 8.0;
/// The window's own pacing, in windows per smoothed round trip: in slow start (where the
/// window doubles per round trip, so the pace must allow it) and after.
const SLOW_START_PACING: f64 = 2.0;
const AVOIDANCE_PACING: f64 = 1.25;
/// A send slot this close is taken at once: tokio's timer ticks in milliseconds, and a
/// burst of a millisecond's worth is what a pacer of that granularity sends anyway.
const PACING_SLACK: Duration = Duration::from_millis(1);

/// What a granted try needs to know, read under the lock that granted it.
struct Grant {
    /// Room for another waiter too, and one waiting.
    more: bool,
    /// Under a pace: when this try may go out.
    slot: Option<Instant>,
    wait: Duration,
    round_trip: Duration,
}

impl State {
    /// The window's pacing rate, in queries per second (None before a round trip is known:
    /// the first window goes out at once, as TCP's initial window does).
    fn window_rate(&self) -> Option<f64> {
        let srtt = self.rtt.srtt()?.as_secs_f64().max(1e-6);
        let gain = if self.cwnd < self.ssthresh {
            SLOW_START_PACING
        } else {
            AVOIDANCE_PACING
        };
        Some(gain * self.cwnd / srtt)
    }

    /// Room for one more try (the `attempt`th of its lookup, 0-based; `again` when the
    /// lookup sent one before) at `now`: take it. `may_wait`: the caller can wait for a send
    /// slot (otherwise a try whose slot is not yet due is not granted, and nothing changes).
    fn grant(&mut self, attempt: u32, again: bool, may_wait: bool, now: Instant) -> Option<Grant> {
        if !self.active {
            // The delivered rate is measured from the first question, not from when the
            // client was made.
            self.active = true;
            self.since = Instant::now();
        }
        if (self.in_flight as f64) >= self.cwnd.floor().max(1.0) {
            return None;
        }
        // Under a rate limit's pace every try waits for its slot; under the window's own, a
        // slot within the slack is taken at once.
        let (rate, slack) = match self.pace {
            Some(pace) => (Some(pace), Duration::ZERO),
            None => (self.window_rate(), PACING_SLACK),
        };
        let slot = match rate {
            Some(rate) => {
                let at = self.next_send.max(now);
                let due = at > now + slack;
                if due && !may_wait {
                    return None;
                }
                self.next_send = at + Duration::from_secs_f64(1.0 / rate);
                due.then_some(at)
            }
            None => None,
        };
        self.in_flight += 1;
        // Counted among the waiting itself until it returns (see [`Waiter`]).
        let more = (self.in_flight as f64) < self.cwnd.floor() && self.waiting > 1;
        if slot.is_none() {
            // A paced try is counted when its slot comes (a caller may give up before).
            self.count_sent(again);
        }
        Some(Grant {
            more,
            slot,
            wait: self.rtt.backoff(attempt),
            round_trip: self.rtt.srtt().unwrap_or(rtt::MIN_RTO),
        })
    }

    fn count_sent(&mut self, again: bool) {
        self.totals.sent += 1;
        self.totals.retransmissions += u64::from(again);
    }

    /// A measure ends at `now`: keep its answered rate if it is the best yet.
    fn note_rate(&mut self, now: Instant) {
        let elapsed = now.duration_since(self.since).as_secs_f64();
        if elapsed > 0.0 {
            self.best_rate = self.best_rate.max(self.answers as f64 / elapsed);
        }
    }
}

impl Window {
    pub fn new(ceiling: usize) -> Window {
        let ceiling = (ceiling as f64).max(MIN_WINDOW);
        Window {
            state: Mutex::new(State {
                cwnd: INITIAL_WINDOW.min(ceiling),
                ssthresh: ceiling,
                in_flight: 0,
                waiting: 0,
                totals: super::Counters::default(),
                rtt: RttEstimator::default(),
                last_cut: None,
                before_cut: None,
                cuts: 0,
                answers: 0,
                lost: 0,
                since: Instant::now(),
                active: false,
                pace: None,
                best_rate: 0.0,
                next_send: Instant::now(),
            }),
            room: Notify::new(),
            ceiling,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("dns window lock")
    }

    /// Room `now`, unpaced, for the `attempt`th try of a lookup (`again`: not its first
    /// try): the common case, without a waiter or a timer. None: call [`Window::acquire`].
    /// (`now` from the caller: a clock read per try fewer.)
    pub fn try_acquire(&self, attempt: u32, again: bool, now: Instant) -> Option<Permit<'_>> {
        let grant = {
            let mut s = self.lock();
            if s.pace.is_some() || s.waiting > 0 {
                // Under a pace, or behind others waiting: in turn.
                return None;
            }
            s.grant(attempt, again, false, now)?
        };
        Some(self.permit(grant, again, now))
    }

    /// An answer to a try given up as lost (sent at `sent`) came after all: each try has its
    /// own message ID, so its round trip is known exactly and the timer learns how slow the
    /// server is. Its loss was no loss: if its timeout made the last cut (`made`, from
    /// [`Permit::lost`]), the cut is undone (RFC 4015 keys on the segment that timed out: a
    /// late answer to some other try says nothing about the losses that made a later cut),
    /// and it does not count towards a rate limit's pace. (Measured: 100 domains behind a
    /// resolver answering in 1.6 s took 95 s with the cut kept, the window regaining one
    /// question per round trip.)
    pub fn late_answer(&self, sent: Instant, made: Option<Cut>) {
        let now = Instant::now();
        let mut s = self.lock();
        s.rtt.sample(now.duration_since(sent));
        s.totals.late += 1;
        s.lost = s.lost.saturating_sub(1);
        s.answers += 1;
        if let (Some(made), Some((last, cwnd, ssthresh))) = (made, s.before_cut)
            && made == last
        {
            s.before_cut = None;
            s.cwnd = s.cwnd.max(cwnd);
            s.ssthresh = s.ssthresh.max(ssthresh);
        }
    }

    /// What went out and came back so far.
    pub fn totals(&self) -> super::Counters {
        self.lock().totals
    }

    /// Waits for room in the window. The permit must be settled with [`Permit::answered`]
    /// or [`Permit::lost`]; dropped unsettled (a cancelled lookup), it only frees its place.
    pub async fn acquire(&self, attempt: u32, again: bool) -> Permit<'_> {
        let waiter = Waiter::new(self);
        loop {
            // Registered before the state is read: a release in between is not missed.
            let notified = self.room.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // The guard stays in this block: nothing is awaited while it is held.
            let now = Instant::now();
            let granted = self.lock().grant(attempt, again, true, now);
            if let Some(grant) = granted {
                drop(waiter);
                let slot = grant.slot;
                // The permit before the pace's wait: a caller that gives up during it (its
                // queue bound) drops the permit, which frees the place it took.
                let mut permit = self.permit(grant, again, now);
                if let Some(at) = slot {
                    tokio::time::sleep_until(at).await;
                    permit.sent = Instant::now();
                    self.lock().count_sent(again);
                }
                return permit;
            }
            notified.await;
        }
    }

    fn permit(&self, grant: Grant, again: bool, sent: Instant) -> Permit<'_> {
        if grant.more {
            // Pass the baton: another waiter may fit too.
            self.room.notify_one();
        }
        Permit {
            window: self,
            settled: false,
            again,
            sent,
            wait: grant.wait,
            round_trip: grant.round_trip,
        }
    }

    /// The window now.
    #[cfg(test)]
    pub fn size(&self) -> f64 {
        self.lock().cwnd
    }

    /// The retransmission timeout now.
    #[cfg(test)]
    pub fn rto(&self) -> Duration {
        self.lock().rtt.rto()
    }

    /// The pace now, if any.
    #[cfg(test)]
    fn pace(&self) -> Option<f64> {
        self.lock().pace
    }

    /// Tries holding a place now.
    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    fn release(&self, change: impl FnOnce(&mut State)) {
        let waiting = {
            let mut s = self.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            change(&mut s);
            s.waiting
        };
        if waiting > 0 {
            self.room.notify_one();
        }
    }
}

/// A try counted among the waiting while it waits (however its wait ends: granted, or
/// dropped by the caller's timeout).
struct Waiter<'a>(&'a Window);

impl<'a> Waiter<'a> {
    fn new(window: &'a Window) -> Waiter<'a> {
        window.lock().waiting += 1;
        Waiter(window)
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.waiting = s.waiting.saturating_sub(1);
    }
}

/// One cut of the window (which one: a late answer undoes only the cut its own try made).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cut(u64);

pub struct Permit<'a> {
    window: &'a Window,
    settled: bool,
    /// Counted as a retransmission (see [`Permit::not_sent`]).
    again: bool,
    /// When the try went out: its round trip, and a loss of a try sent before the last cut
    /// belongs to the congestion that cut answered (TCP's recovery point), and does not
    /// cut again.
    sent: Instant,
    /// How long this try waits for its answer (the retransmission timeout, backed off).
    pub wait: Duration,
    /// The server's smoothed round trip when the try went out.
    pub round_trip: Duration,
}

impl Permit<'_> {
    /// When the try goes out.
    pub fn sent(&self) -> Instant {
        self.sent
    }

    /// An answer came back: its round trip is measured; slow start below the threshold (+1
    /// per answer, doubling per round trip), then +1 per window of answers.
    pub fn answered(mut self) {
        self.settled = true;
        let ceiling = self.window.ceiling;
        let now = Instant::now();
        let round_trip = now.duration_since(self.sent);
        self.window.release(|s| {
            s.rtt.sample(round_trip);
            s.cwnd += if s.cwnd < s.ssthresh {
                1.0
            } else {
                1.0 / s.cwnd
            };
            s.cwnd = s.cwnd.min(ceiling);
            s.answers += 1;
            if let Some(pace) = &mut s.pace {
                // +1 q/s per 20 answers: ~5% a second, probing up to the limit again.
                *pace += 0.05;
            }
            if s.answers % 64 == 0 && now.duration_since(s.since) >= PACE_MEASURE_STALE {
                s.note_rate(now);
                s.answers = 0;
                s.lost = 0;
                s.since = now;
            }
        });
    }

    /// The try never went out after all (no socket slot in time, or the send failed): its
    /// place is freed and it is not counted as sent.
    pub fn not_sent(mut self) {
        self.settled = true;
        let again = u64::from(self.again);
        self.window.release(|s| {
            s.totals.sent = s.totals.sent.saturating_sub(1);
            s.totals.retransmissions = s.totals.retransmissions.saturating_sub(again);
        });
    }

    /// No answer in time: halve the window, once per congestion event (tries sent after
    /// the last cut), and at most once per round trip. The cut this loss made, if it made one.
    pub fn lost(mut self) -> Option<Cut> {
        self.settled = true;
        let sent = self.sent;
        let round_trip = self.round_trip;
        let mut made = None;
        self.window.release(|s| {
            s.lost += 1;
            s.totals.lost += 1;
            let now = Instant::now();
            if s.last_cut
                .is_none_or(|t| sent > t && now.duration_since(t) >= round_trip)
            {
                s.cuts += 1;
                let cut = Cut(s.cuts);
                s.before_cut = Some((cut, s.cwnd, s.ssthresh));
                s.ssthresh = (s.cwnd / 2.0).max(MIN_WINDOW);
                s.cwnd = s.ssthresh;
                s.last_cut = Some(now);
                made = Some(cut);
            }
            // Heavy loss over a second or more is a rate being exceeded (a limiter drops
            // most of what is over it), not a lossy path: pace at 90% of what was delivered.
            let elapsed = now.duration_since(s.since);
            if elapsed >= PACE_MEASURE {
                let share = s.lost as f64 / (s.lost + s.answers).max(1) as f64;
                // Only a small window can be too fast on its own: a large one overshooting
                // in slow start is cut, not paced.
                if s.cwnd <= PACED_WINDOW && s.lost + s.answers >= 20 && share > HEAVY_LOSS {
                    let delivered = s.answers as f64 / elapsed.as_secs_f64() * 0.9;
                    let floor = s.pace.unwrap_or(s.best_rate).max(2.0 * MIN_PACE) / 2.0;
                    s.pace = Some(delivered.max(floor));
                }
                s.note_rate(now);
                s.answers = 0;
                s.lost = 0;
                s.since = now;
            }
        });
        made
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.window.release(|_| {});
        }
    }
}

#[cfg(test)]
mod tests;
