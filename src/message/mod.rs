//! Received messages: the pure parsers behind `inspect MESSAGE.eml` (a support person's view
//! of a message that landed in spam). Everything here is bytes or text in, values out: no
//! DNS, no clock (callers pass `now`), and bounded so that a hostile message cannot make it
//! loop or allocate without limit.

pub mod auth_results;
pub mod date;
pub mod dkim_signature;
pub mod headers;
pub mod lex;
pub mod received;

#[cfg(test)]
mod auth_results_tests;
#[cfg(test)]
mod received_tests;
#[cfg(test)]
mod tests;
