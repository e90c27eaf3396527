//! The SMTP side: what nodemailer will do with a connector config, checked against the real
//! server. Driven by hand on tokio + rustls (lettre hides the banner, the EHLO list, the TLS
//! facts and why a handshake failed, all of which the audit needs).

pub mod codes;
pub mod facts;
pub mod host_address;
pub mod probe;
pub mod reply;
pub mod session;
pub mod tls;
pub mod transcript;
pub mod trust;

pub use facts::{Prediction, SmtpFacts, Verdict};
pub use probe::{ProbeInput, ProbeResult};
