//! What to send, to whom, signed how: the test mail's plan, validated once by the command
//! line (`cli::send_settings`) and carried out by [`super::compose`].

use std::path::PathBuf;

/// Where the signing key comes from.
pub enum KeyChoice {
    /// `--dkim-key FILE --dkim-selector S [--dkim-domain D]` (PEM text, a secret).
    Flags {
        pem: crate::config::Secret,
        selector: String,
        domain: Option<String>,
    },
    /// The config's `dkim: {domainName, keySelector, privateKey}`, as nodemailer uses it.
    Config {
        pem: Option<crate::config::Secret>,
        selector: Option<String>,
        domain: Option<String>,
    },
    None,
}

/// What to send, to whom, signed how: shared by `send` and `audit --to`.
pub struct SendPlan {
    pub to: String,
    pub usage: String,
    pub code: String,
    pub test_marker: bool,
    pub key: KeyChoice,
    /// `--dry-run --out FILE`: write instead of sending.
    pub out: Option<PathBuf>,
    /// Deliver to `to` (when `out` is not set). `false`: build, sign and verify only.
    pub deliver: bool,
}
