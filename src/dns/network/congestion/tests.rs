use super::*;

/// A try lost, on a server whose round trip is `round_trip`.
async fn lose(w: &Window, round_trip: Duration) {
    let mut permit = w.acquire(0, false).await;
    permit.round_trip = round_trip;
    permit.lost();
}

#[tokio::test]
async fn the_window_grows_with_answers_and_halves_on_loss() {
    let w = Window::new(1024);
    assert_eq!(w.size(), INITIAL_WINDOW);
    for _ in 0..16 {
        w.acquire(0, false).await.answered();
    }
    let grown = INITIAL_WINDOW + 16.0;
    assert_eq!(w.size(), grown, "slow start: +1 per answer");
    lose(&w, Duration::from_secs(1)).await;
    let half = grown / 2.0;
    assert_eq!(w.size(), half);
    // A second loss within the same round trip does not cut again.
    lose(&w, Duration::from_secs(1)).await;
    assert_eq!(w.size(), half);
    // Above the threshold: +1/cwnd per answer.
    w.acquire(0, false).await.answered();
    assert!(
        (w.size() - (half + 1.0 / half)).abs() < 1e-9,
        "{}",
        w.size()
    );
    // Never below the floor.
    for _ in 0..10 {
        lose(&w, Duration::ZERO).await;
    }
    assert_eq!(w.size(), MIN_WINDOW);
}

#[tokio::test]
async fn no_more_than_the_window_is_in_flight() {
    let w = std::sync::Arc::new(Window::new(4));
    let mut held: Vec<_> = (0..4)
        .map(|_| w.try_acquire(0, false, Instant::now()).expect("room"))
        .collect();
    // Full: the next waits until one is settled.
    assert!(
        w.try_acquire(0, false, Instant::now()).is_none(),
        "a fifth question found room"
    );
    let next = tokio::time::timeout(Duration::from_millis(50), w.acquire(0, false)).await;
    assert!(
        next.is_err(),
        "a fifth question went out with a window of 4"
    );
    // A waiter already waiting is woken by a release (the gave-up one above is no
    // longer counted, and does not swallow the wake-up).
    let waiting = {
        let w = w.clone();
        tokio::spawn(async move { w.acquire(0, false).await.answered() })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    held.pop().unwrap().answered();
    tokio::time::timeout(Duration::from_millis(500), waiting)
        .await
        .expect("the waiter was not woken by the release")
        .unwrap();
    drop(held);
    // Room again (within a round trip: the window's pacing may space it).
    tokio::time::timeout(Duration::from_millis(500), w.acquire(0, false))
        .await
        .expect("no room after every place was given back");
}

/// A try given up whose answer came late was not lost: the cut its timeout made is
/// undone (once), and its round trip is learnt.
#[tokio::test(start_paused = true)]
async fn a_cut_for_a_late_answer_is_undone() {
    let w = Window::new(1024);
    for _ in 0..16 {
        w.acquire(0, false).await.answered();
    }
    let grown = w.size();
    let slow = w.acquire(0, false).await;
    let sent = slow.sent();
    tokio::time::advance(Duration::from_secs(1)).await;
    let made = slow.lost();
    assert!(made.is_some());
    assert_eq!(w.size(), grown / 2.0);
    tokio::time::advance(Duration::from_millis(600)).await;
    w.late_answer(sent, made);
    assert_eq!(w.size(), grown, "the cut was not undone");
    assert!(w.rto() >= Duration::from_millis(1600), "{:?}", w.rto());
    // A real loss after that cuts again: a late answer to the old try (its own cut undone
    // already) undoes nothing now.
    tokio::time::advance(Duration::from_secs(2)).await;
    lose(&w, Duration::ZERO).await;
    let cut = w.size();
    assert_eq!(cut, grown / 2.0);
    tokio::time::advance(Duration::from_millis(1)).await;
    w.late_answer(sent, made);
    assert_eq!(w.size(), cut);
    // Nor does a late try whose loss made no cut (absorbed in another's).
    w.late_answer(Instant::now(), None);
    assert_eq!(w.size(), cut);
}

/// After a burst, a rate limiter drops nearly everything for a while: the measure taken
/// then must not set a pace far below what the server answered before (measured: one
/// run in six paced at 20 q/s and took 25–31 s instead of 5).
#[tokio::test(start_paused = true)]
async fn the_first_pace_is_not_set_by_a_burst_s_aftermath() {
    let w = Window::new(1024);
    let ms = Duration::from_millis(1);
    // A second of answers at 1,000/s, the measure ended by a loss.
    for _ in 0..1000 {
        w.acquire(0, false).await.answered();
        tokio::time::advance(ms).await;
    }
    lose(&w, Duration::ZERO).await;
    assert_eq!(w.pace(), None, "one loss in a thousand is no rate limit");
    // Then nearly everything is dropped: the window closes...
    for _ in 0..25 {
        tokio::time::advance(ms).await;
        lose(&w, Duration::ZERO).await;
    }
    assert_eq!(w.size(), MIN_WINDOW);
    for _ in 0..3 {
        w.acquire(0, false).await.answered();
    }
    // ...and a measure of ~3 answers a second ends heavy with loss: a pace, but from
    // what the server answered before, not from those 3.
    tokio::time::advance(Duration::from_secs(1)).await;
    lose(&w, Duration::ZERO).await;
    let pace = w.pace().expect("heavy loss at a small window sets a pace");
    assert!(pace >= 450.0, "paced at {pace} q/s after answering 1,000/s");
    // Tries that give up while waiting for their send slot give their place back.
    assert_eq!(w.in_flight(), 0);
    let sent_before = w.totals().sent;
    for _ in 0..4 {
        let gave_up = tokio::time::timeout(Duration::from_micros(100), w.acquire(0, false));
        let _ = gave_up.await;
    }
    assert_eq!(
        w.in_flight(),
        0,
        "a try that gave up in the pace's wait kept its place"
    );
    // The first one's slot was now: it went out; the three after it never did.
    assert_eq!(
        w.totals().sent,
        sent_before + 1,
        "tries that never went out were counted as sent"
    );
}

/// Once a round trip is known, a window's worth does not go out at once: tries are
/// spread over the round trip, a millisecond's worth at a time.
#[tokio::test(start_paused = true)]
async fn the_window_is_paced_over_the_round_trip() {
    let w = Window::new(1024);
    // Before any round trip is known, the initial window goes out at once.
    let first: Vec<_> = (0..INITIAL_WINDOW as usize)
        .map(|_| {
            w.try_acquire(0, false, Instant::now())
                .expect("initial window")
        })
        .collect();
    tokio::time::advance(Duration::from_millis(10)).await;
    let grown = INITIAL_WINDOW + first.len() as f64;
    first.into_iter().for_each(Permit::answered);
    assert_eq!(w.size(), grown);
    // Slow start, 10 ms round trips: 2 × 128 per 10 ms, one every ~39 µs.
    let start = Instant::now();
    let mut at_once = Vec::new();
    while let Some(p) = w.try_acquire(0, false, start) {
        at_once.push(p);
    }
    assert!(
        (20..=40).contains(&at_once.len()),
        "{} of a window of {grown} went out at once",
        at_once.len()
    );
    // The next waits for its slot (tokio's next millisecond tick after it), and its
    // round trip is timed from when it went out.
    let next = w.acquire(0, false).await;
    let waited = next.sent().duration_since(start);
    assert!(
        waited > PACING_SLACK && waited <= Duration::from_millis(2),
        "waited {waited:?}"
    );
    assert_eq!(w.in_flight(), at_once.len() + 1);
}
