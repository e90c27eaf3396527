//! One question to the nameservers: congestion window, retransmission timer, server
//! rotation and the TCP retry of a truncated answer.

use super::{Network, QUEUE_BOUND, rcode_name};
use crate::dns::places;
use crate::dns::types::Outcome;
use crate::dns::wire::Response;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RecordType;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;
use tokio::time::Instant;

impl Network {
    /// One question to the servers, within `deadline` (the lookup's whole budget): each try
    /// waits for room in the server's congestion window and for an answer no longer than the
    /// server's retransmission timeout (measured round trips, doubled per try); the last try
    /// gets whatever budget is left. Tries rotate over the servers, at most `attempts` rounds.
    /// A try given up stays pending: its answer, late, is taken while a later try waits (a
    /// server slower than the timer's guess is slow, not losing questions).
    /// A server answering with an error rcode (SERVFAIL, REFUSED…) passes the question to the
    /// next server; that rcode is the outcome when no server does better.
    pub(super) async fn exchange(
        &self,
        name: &str,
        qtype: RecordType,
        deadline: Instant,
    ) -> Result<Response, Outcome> {
        let mut aside = false;
        let result = self.tries(name, qtype, deadline, &mut aside).await;
        if aside {
            places::step_back();
        }
        result
    }

    /// The tries of [`Network::exchange`]; `aside` is set when a lost try gave the domain's
    /// place away while this lookup waits for its retransmission.
    async fn tries(
        &self,
        name: &str,
        qtype: RecordType,
        deadline: Instant,
        aside: &mut bool,
    ) -> Result<Response, Outcome> {
        if let Some(why) = &self.unreachable {
            return Err(Outcome::Error {
                message: why.clone(),
            });
        }
        let mut failure: Option<Response> = None;
        let mut last_error: Option<String> = None;
        // Tries given up but still pending: a slow server's answer to any of them is taken
        // (at most `attempts` × servers).
        let mut late: Vec<Late<'_>> = Vec::new();
        let mut sent_any = false;
        let mut lost_any = false;
        let mut queue_full: Option<&super::Server> = None;
        let mut deadline = deadline;
        let mut queued = Duration::ZERO;
        'attempts: for attempt in 0..self.attempts {
            let mut answered = 0;
            for server in &self.servers {
                let now = Instant::now();
                if now >= deadline {
                    break 'attempts;
                }
                // A retransmission: an earlier try got no answer in time (not a server that
                // answered SERVFAIL, passing the question on).
                let again = lost_any;
                // Time spent waiting for room in the window is the tool's own queue, not the
                // server's slowness: it does not count against the budget (bounded apart).
                let permit = match server.window.try_acquire(attempt as u32, again, now) {
                    Some(permit) => permit,
                    None => {
                        let room = QUEUE_BOUND.saturating_sub(queued);
                        // Boxed, as the other rare paths (a socket slot waited for, a late
                        // answer, a TCP retry): inline, their state sat in every lookup's
                        // future, which the cache boxes once per question (2.4 KiB, not 1.3;
                        // `tests::a_lookup_s_future_stays_small`).
                        let mut waiting = Box::pin(tokio::time::timeout(
                            room,
                            server.window.acquire(attempt as u32, again),
                        ));
                        // Time in a late answer's TCP retry is the server's, not the queue's.
                        let mut settling = Duration::ZERO;
                        let granted = loop {
                            match first(waiting.as_mut(), &mut late).await {
                                Ok(granted) => break granted.ok(),
                                Err(answer) => {
                                    let asked = (name, qtype, deadline);
                                    let began = Instant::now();
                                    let ended =
                                        take_late(answer, asked, &mut failure, &mut last_error)
                                            .await;
                                    settling += began.elapsed();
                                    match ended {
                                        Some(Ended::Answer(message)) => return Ok(message),
                                        Some(Ended::OutOfTime) => break 'attempts,
                                        // This lookup's turn may still do better.
                                        None => {}
                                    }
                                }
                            }
                        };
                        let Some(permit) = granted else {
                            queue_full = Some(server);
                            break 'attempts;
                        };
                        let waited = permit
                            .sent()
                            .saturating_duration_since(now)
                            .saturating_sub(settling);
                        queued += waited;
                        deadline += waited;
                        permit
                    }
                };
                let last = attempt + 1 == self.attempts
                    && std::ptr::eq(server, self.servers.last().unwrap_or(server));
                // The last try gets whatever budget is left.
                let until = if last {
                    deadline
                } else {
                    deadline.min(permit.sent() + permit.wait)
                };
                // A socket slot is rarely waited for (the window's ceiling is the slots');
                // a try that got none in time never went out.
                let sent = match server.send_udp_now(name, qtype) {
                    Some(sent) => Ok(sent),
                    // Boxed: the waits' state is large and rarely needed.
                    None => {
                        Box::pin(tokio::time::timeout_at(until, server.send_udp(name, qtype))).await
                    }
                };
                let mut asked = match sent {
                    Ok(Ok(asked)) => asked,
                    Ok(Err(e)) => {
                        permit.not_sent();
                        last_error = Some(e);
                        continue;
                    }
                    Err(_) => {
                        permit.not_sent();
                        continue;
                    }
                };
                sent_any = true;
                let got = {
                    let overdue = tokio::time::sleep_until(until);
                    tokio::pin!(overdue);
                    let answer = std::future::poll_fn(|cx| match asked.poll_answer(cx) {
                        Poll::Ready(answer) => Poll::Ready(Some(answer)),
                        Poll::Pending => overdue.as_mut().poll(cx).map(|()| None),
                    });
                    tokio::pin!(answer);
                    loop {
                        match first(answer.as_mut(), &mut late).await {
                            Ok(Some(answer)) => break Got::Answer(answer),
                            Ok(None) => break Got::Overdue,
                            // An earlier try's answer, late: this try is no longer needed if
                            // it ends the lookup (else this try may still do better).
                            Err(answer) => {
                                let asked = (name, qtype, deadline);
                                let ended =
                                    take_late(answer, asked, &mut failure, &mut last_error).await;
                                if let Some(ended) = ended {
                                    break Got::Late(ended);
                                }
                            }
                        }
                    }
                };
                match got {
                    Got::Answer(Ok(message)) => {
                        permit.answered();
                        let asked = (name, qtype, deadline);
                        match settle(server, asked, message, &mut failure, &mut last_error).await {
                            Settled::Answer(message) => return Ok(message),
                            // An error rcode passes the question to the next server.
                            Settled::Failed => answered += 1,
                            Settled::TcpError => {}
                            Settled::OutOfTime => break 'attempts,
                        }
                    }
                    Got::Answer(Err(e)) => {
                        drop(permit);
                        last_error = Some(e);
                    }
                    Got::Overdue => {
                        let sent = permit.sent();
                        let cut = permit.lost();
                        lost_any = true;
                        asked.stop_holding_a_slot();
                        late.push(Late {
                            server,
                            asked,
                            sent,
                            cut,
                        });
                        if !*aside {
                            *aside = places::step_aside();
                        }
                    }
                    // This try, still unanswered, is no longer needed (dropped: forgotten).
                    Got::Late(Ended::Answer(message)) => return Ok(message),
                    Got::Late(Ended::OutOfTime) => break 'attempts,
                }
            }
            // Every server answered, with an error rcode: asking again will not change it.
            if answered == self.servers.len() {
                break;
            }
        }
        // The last try may have ended early (a send error): an earlier try's late answer may
        // still come within the budget. (Not after an error rcode: the server said what it
        // knows, and waiting out the budget would only delay that.)
        if failure.is_none() && !late.is_empty() {
            let rest = tokio::time::sleep_until(deadline);
            tokio::pin!(rest);
            while !late.is_empty() {
                let Err(answer) = first(rest.as_mut(), &mut late).await else {
                    break;
                };
                let asked = (name, qtype, deadline);
                match take_late(answer, asked, &mut failure, &mut last_error).await {
                    Some(Ended::Answer(message)) => return Ok(message),
                    Some(Ended::OutOfTime) => break,
                    None => {}
                }
            }
        }
        if let Some(message) = failure {
            return Err(Outcome::ServerFailure {
                rcode: rcode_name(message.response_code),
            });
        }
        if let Some(message) = last_error {
            return Err(Outcome::Error { message });
        }
        // Not one try went out: the tool's own queue was full, the server was never asked.
        if let (false, Some(server)) = (sent_any, queue_full) {
            return Err(Outcome::Error {
                message: format!(
                    "not asked: no room for {} s in the window of questions to {} (its earlier \
                     questions went unanswered)",
                    QUEUE_BOUND.as_secs(),
                    server.addr
                ),
            });
        }
        Err(Outcome::Timeout)
    }
}

/// A try given up (no answer before its retransmission timeout) whose answer is still taken.
struct Late<'a> {
    server: &'a super::Server,
    asked: super::Asked,
    sent: Instant,
    /// The window's cut its timeout made, if it made one.
    cut: Option<super::congestion::Cut>,
}

/// `work`'s output, unless an answer to one of the `late` tries comes first: then that answer
/// and the server it came from (its try removed from `late`, its round trip sampled).
async fn first<'a, F: Future>(
    work: F,
    late: &mut Vec<Late<'a>>,
) -> Result<F::Output, (&'a super::Server, Result<Response, String>)> {
    tokio::pin!(work);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        let ready = late
            .iter_mut()
            .enumerate()
            .find_map(|(i, l)| match l.asked.poll_answer(cx) {
                Poll::Ready(answer) => Some((i, answer)),
                Poll::Pending => None,
            });
        match ready {
            Some((i, answer)) => {
                let l = late.swap_remove(i);
                if answer.is_ok() {
                    l.server.window.late_answer(l.sent, l.cut);
                }
                Poll::Ready(Err((l.server, answer)))
            }
            None => Poll::Pending,
        }
    })
    .await
}

/// How a try's wait ended.
enum Got {
    /// Its own answer (or why it could not be read).
    Answer(Result<Response, String>),
    /// No answer before its retransmission timeout.
    Overdue,
    /// An earlier try's answer, late, that ends the lookup.
    Late(Ended),
}

/// How a late answer ended the lookup.
enum Ended {
    /// NOERROR or NXDOMAIN.
    Answer(Response),
    /// Truncated, and its TCP retry ran out of budget.
    OutOfTime,
}

/// A late answer to an earlier try (from [`first`]): it ends the lookup, or it is kept (an
/// error rcode in `failure`, a malformed answer or a failed TCP retry in `last_error`) and the
/// lookup goes on waiting. Boxed: a rare path, whose state would otherwise sit in every
/// lookup's future (see [`Network::tries`]).
fn take_late<'a>(
    (from, answer): (&'a super::Server, Result<Response, String>),
    asked: (&'a str, RecordType, Instant),
    failure: &'a mut Option<Response>,
    last_error: &'a mut Option<String>,
) -> Pin<Box<impl Future<Output = Option<Ended>> + 'a>> {
    Box::pin(async move {
        let message = match answer {
            Ok(message) => message,
            Err(e) => {
                *last_error = Some(e);
                return None;
            }
        };
        match settle(from, asked, message, failure, last_error).await {
            Settled::Answer(message) => Some(Ended::Answer(message)),
            Settled::OutOfTime => Some(Ended::OutOfTime),
            Settled::Failed | Settled::TcpError => None,
        }
    })
}

/// What became of an answer.
enum Settled {
    /// NOERROR or NXDOMAIN: the lookup's answer.
    Answer(Response),
    /// An error rcode (kept in the tries' `failure` when it is the first).
    Failed,
    /// A truncated answer whose TCP retry failed (kept in `last_error`).
    TcpError,
    /// A truncated answer whose TCP retry ran out of budget.
    OutOfTime,
}

/// An answer from `server` to `name`/`qtype`: a truncated one is asked again over TCP, within
/// `deadline`.
async fn settle(
    server: &super::Server,
    (name, qtype, deadline): (&str, RecordType, Instant),
    message: Response,
    failure: &mut Option<Response>,
    last_error: &mut Option<String>,
) -> Settled {
    let message = if message.truncated {
        let left = deadline.saturating_duration_since(Instant::now());
        // Boxed: a TCP exchange is ~640 bytes of future state, rarely needed, and inline it
        // sat in every lookup's future (boxed by the cache, one allocation per question).
        match tokio::time::timeout(left, Box::pin(server.ask_tcp(name, qtype))).await {
            Ok(Ok(message)) => message,
            Ok(Err(e)) => {
                *last_error = Some(e);
                return Settled::TcpError;
            }
            Err(_) => return Settled::OutOfTime,
        }
    } else {
        message
    };
    match message.response_code {
        ResponseCode::NoError | ResponseCode::NXDomain => Settled::Answer(message),
        _ => {
            failure.get_or_insert(message);
            Settled::Failed
        }
    }
}
