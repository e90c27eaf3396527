//! mailpreflight: tells an operator, before an email connector goes live, whether its
//! mail will send, authenticate and reach the inbox, and what to fix when it won't.
//!
//! Shape: input → identities → checks → findings → report.

pub mod audit;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod connectors;
pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod domain_audit;
pub mod inspect;
pub mod message;
pub mod mx;
pub mod passcode;
pub mod policy_records;
pub mod report;
pub mod sink;
pub mod smtp;
pub mod spf;
