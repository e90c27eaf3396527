//! A domain's place among the domains audited at once (`--concurrency`). A domain whose
//! lookup lost a try waits for the retransmission (250 ms or more) doing nothing else: it
//! gives its place to the next domain meanwhile, and takes a place again, if one is free,
//! when that lookup is over. Without this a resolver that drops a quarter of the queries (a
//! rate limit) leaves most places held by waiting domains: measured, 200 domains through
//! unbound's `ip-ratelimit: 1000` took 16 s at `--concurrency 32` against 5 s at 128.
//!
//! The place travels with the domain's task (a task-local), so the DNS client finds it
//! without every lookup carrying it; a lookup outside [`Entry::run`] has none and nothing
//! happens.

use std::cell::Cell;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Semaphore;

pub struct Places(Arc<Semaphore>);

struct Place {
    places: Arc<Semaphore>,
    /// The domain's lookups waiting on a retransmission now.
    aside: Cell<usize>,
    /// Whether the domain holds a place (a permit, forgotten and given back by hand).
    held: Cell<bool>,
}

impl Drop for Place {
    /// The domain is over (finished, cancelled or panicked): its place, if it holds one, is
    /// free again.
    fn drop(&mut self) {
        if self.held.get() {
            self.places.add_permits(1);
        }
    }
}

tokio::task_local! {
    static PLACE: Place;
}

async fn take(places: &Semaphore) {
    // The semaphore is never closed, so the permit always comes.
    if let Ok(permit) = places.acquire().await {
        permit.forget();
    }
}

impl Places {
    pub fn new(n: usize) -> Places {
        Places(Arc::new(Semaphore::new(n.max(1))))
    }

    /// Waits for a free place: the caller then starts the domain with [`Entry::run`]. (Taken
    /// before the domain's task is made, so that domains waiting for a place cost nothing.)
    pub async fn enter(&self) -> Entry {
        take(&self.0).await;
        Entry(Place {
            places: self.0.clone(),
            aside: Cell::new(0),
            held: Cell::new(true),
        })
    }

    /// Places free now.
    #[cfg(test)]
    pub fn free(&self) -> usize {
        self.0.available_permits()
    }
}

/// A place taken, not yet used.
pub struct Entry(Place);

impl Entry {
    /// Runs `audit` in this place, holding it while not stepped aside; the place is left
    /// when `audit` ends, however it ends. Not an async fn: that would hold `audit` twice
    /// (its argument and the scope it is moved into), and a domain's audit is ~11 KiB.
    pub fn run<F: Future>(self, audit: F) -> impl Future<Output = F::Output> {
        PLACE.scope(self.0, audit)
    }
}

/// A try of one of the domain's lookups went unanswered: the first such lookup gives the
/// domain's place away. True when the caller owes a [`step_back`].
pub fn step_aside() -> bool {
    PLACE
        .try_with(|p| {
            let before = p.aside.replace(p.aside.get() + 1);
            if before == 0 && p.held.replace(false) {
                p.places.add_permits(1);
            }
        })
        .is_ok()
}

/// The lookup that stepped aside is over: the last one back takes a place again if one is
/// free, and otherwise finishes without one. It never waits for a place: other domains may
/// be waiting for this very lookup (lookups are shared between domains), and they hold the
/// places it would wait for. The domains under way stay bounded by the caller's order buffer.
pub fn step_back() {
    let _ = PLACE.try_with(|p| {
        let left = p.aside.get().saturating_sub(1);
        p.aside.set(left);
        if left == 0
            && !p.held.get()
            && let Ok(permit) = p.places.try_acquire()
        {
            permit.forget();
            p.held.set(true);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiting_domain_gives_its_place_and_takes_one_back() {
        let places = Places::new(1);
        let out = places
            .enter()
            .await
            .run(async {
                assert!(step_aside());
                assert_eq!(places.free(), 1, "a waiting domain holds no place");
                // A second lookup of the same domain waiting too gives nothing more.
                assert!(step_aside());
                assert_eq!(places.free(), 1);
                step_back();
                assert_eq!(places.free(), 1, "one lookup still waits");
                step_back();
                assert_eq!(places.free(), 0, "back in its place");
                7
            })
            .await;
        assert_eq!(out, 7);
        assert_eq!(places.free(), 1, "a finished domain leaves its place");
    }

    #[tokio::test]
    async fn coming_back_never_waits_for_a_place() {
        // The first domain's lookup may be what the domain now in its place waits for
        // (lookups are shared): coming back must not wait, or both wait for ever.
        let places = std::sync::Arc::new(Places::new(1));
        let (gave, gave_rx) = tokio::sync::oneshot::channel::<()>();
        let (back, back_rx) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let places = places.clone();
            tokio::spawn(async move {
                places
                    .enter()
                    .await
                    .run(async {
                        step_aside();
                        gave.send(()).unwrap();
                        back_rx.await.unwrap();
                        // The second domain holds the only place: go on without one.
                        step_back();
                    })
                    .await
            })
        };
        gave_rx.await.unwrap();
        // With one place, the second domain starts only because the first gave it away.
        let second = tokio::time::timeout(std::time::Duration::from_secs(5), places.enter())
            .await
            .expect("the second domain got the place the first gave away");
        second
            .run(async {
                back.send(()).unwrap();
                tokio::time::timeout(std::time::Duration::from_secs(5), first)
                    .await
                    .expect("the first domain finished while the second held the place")
                    .unwrap();
            })
            .await;
        assert_eq!(places.free(), 1, "no place lost, none made");
    }

    #[tokio::test]
    async fn a_cancelled_domain_leaves_its_place() {
        let places = Places::new(1);
        let entry = places.enter().await;
        let audit = entry.run(std::future::pending::<()>());
        // Polled once, then dropped: the lookup's task was cancelled.
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(10), audit)
                .await
                .is_err()
        );
        assert_eq!(places.free(), 1);
        // And an entry never run leaves it too.
        drop(places.enter().await);
        assert_eq!(places.free(), 1);
    }

    #[test]
    fn outside_a_place_nothing_happens() {
        assert!(!step_aside());
        step_back();
    }
}
