//! One question to the nameservers: congestion window, retransmission timer, server
//! rotation and the TCP retry of a truncated answer.

use super::{Network, QUEUE_BOUND, rcode_name};
use crate::dns::places;
use crate::dns::types::Outcome;
use crate::dns::wire::Response;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RecordType;
use std::time::Duration;
use tokio::time::Instant;

impl Network {
    /// One question to the servers, within `deadline` (the lookup's whole budget): each try
    /// waits for room in the server's congestion window and for an answer no longer than the
    /// server's retransmission timeout (measured round trips, doubled per try); the last try
    /// gets whatever budget is left. Tries rotate over the servers, at most `attempts` rounds.
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
        let mut tries = 0u32;
        let mut deadline = deadline;
        let mut queued = Duration::ZERO;
        'attempts: for attempt in 0..self.attempts {
            let mut answered = 0;
            for server in &self.servers {
                let now = Instant::now();
                if now >= deadline {
                    break 'attempts;
                }
                let again = tries > 0;
                // Time spent waiting for room in the window is the tool's own queue, not the
                // server's slowness: it does not count against the budget (bounded apart).
                let permit = match server.window.try_acquire(attempt as u32, again, now) {
                    Some(permit) => permit,
                    None => {
                        let room = QUEUE_BOUND.saturating_sub(queued);
                        let waiting = server.window.acquire(attempt as u32, again);
                        let Ok(permit) = tokio::time::timeout(room, waiting).await else {
                            break 'attempts;
                        };
                        let waited = permit.sent().saturating_duration_since(now);
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
                tries += 1;
                let message =
                    match tokio::time::timeout_at(until, server.ask_udp(name, qtype)).await {
                        Ok(Ok(message)) => {
                            permit.answered();
                            message
                        }
                        Ok(Err(e)) => {
                            drop(permit);
                            last_error = Some(e);
                            continue;
                        }
                        Err(_) => {
                            permit.lost();
                            if !*aside {
                                *aside = places::step_aside();
                            }
                            continue;
                        }
                    };
                // Truncated: the same question over TCP, with the budget left.
                let message = if message.truncated {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match tokio::time::timeout(left, server.ask_tcp(name, qtype)).await {
                        Ok(Ok(message)) => message,
                        Ok(Err(e)) => {
                            last_error = Some(e);
                            continue;
                        }
                        Err(_) => break 'attempts,
                    }
                } else {
                    message
                };
                match message.response_code {
                    ResponseCode::NoError | ResponseCode::NXDomain => return Ok(message),
                    _ => {
                        answered += 1;
                        failure.get_or_insert(message);
                    }
                }
            }
            // Every server answered, with an error rcode: asking again will not change it.
            if answered == self.servers.len() {
                break;
            }
        }
        if let Some(message) = failure {
            return Err(Outcome::ServerFailure {
                rcode: rcode_name(message.response_code),
            });
        }
        Err(match last_error {
            Some(message) => Outcome::Error { message },
            None => Outcome::Timeout,
        })
    }
}
