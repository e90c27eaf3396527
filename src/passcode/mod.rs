//! The test passcode mail: Logto's template rendering, the message nodemailer would build,
//! and the checks on the templates.

pub mod build;
pub mod codes;
pub mod compose;
pub mod lint;
pub mod plan;
pub mod render;

use crate::dkim::verify_mail::SignatureCheck;
use serde::Serialize;

/// What `send` built, signed and verified: the report's record of the test mail.
#[derive(Clone, Debug, Serialize)]
pub struct MessageFacts {
    pub usage_type: String,
    /// The test passcode rendered into the mail (a throwaway value, not a secret).
    pub code: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub content_type: String,
    pub bytes: usize,
    /// Placeholders of the template, as written.
    pub placeholders: Vec<String>,
    pub dkim: Option<SigningFacts>,
    /// Why the message is not signed, when it is not.
    pub unsigned_reason: Option<String>,
    /// `--dry-run --out FILE`: where the message was written.
    pub written_to: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SigningFacts {
    pub domain: String,
    pub selector: String,
    pub algorithm: &'static str,
    pub key_bits: Option<u32>,
    /// `--dkim-key` or `config dkim option`.
    pub key_source: &'static str,
    /// The TXT record that must be published at `<selector>._domainkey.<domain>`.
    pub public_record: String,
    pub aligned_with_from: bool,
    /// The signature verified against DNS before anything was sent.
    pub verification: Vec<SignatureCheck>,
}
