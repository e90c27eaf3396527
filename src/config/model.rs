//! The connector config as the tool understands it: typed, with the values nodemailer
//! will act on. Built by [`super::logto`] even when Logto would refuse the config (so that
//! the probe can still show what nodemailer would do); `logto_accepts` says which it is.

use super::secret::{Secret, SecretSource};
use serde::Serialize;

/// `port` as written. nodemailer applies `Number(port) || default`, so a string still
/// connects somewhere, although Logto refuses it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum PortSetting {
    Absent,
    Number(f64),
    Text(String),
    /// Another JSON type (bool, object…): nodemailer's `Number(x)` gives NaN or 0 → default.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    /// No `auth` key (Logto refuses the config).
    Absent,
    /// `auth: {}`: no AUTH at all, and dropped by the console on save.
    Empty,
    Login,
    OAuth2ServiceKey,
    OAuth2Token,
    /// Matches none of Logto's shapes; user/pass are still read for the probe.
    Unrecognised,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct OAuth2 {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub refresh_token: Option<Secret>,
    pub access_token: Option<Secret>,
    pub expires: Option<f64>,
    pub access_url: Option<String>,
    pub service_client: Option<String>,
    pub private_key: Option<Secret>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Auth {
    pub kind: AuthKind,
    /// `auth.type` as written (`login`, `OAuth2`…), if any.
    pub type_name: Option<String>,
    pub user: Option<String>,
    /// The login password (`auth.pass`, or the `--pass-env` variable, which wins).
    pub secret: Option<Secret>,
    pub secret_source: Option<SecretSource>,
    pub oauth2: Option<OAuth2>,
}

impl Auth {
    /// nodemailer logs in only when it has credentials: XOAUTH2 for oauth2 types, else user/pass.
    pub fn is_oauth2(&self) -> bool {
        matches!(
            self.kind,
            AuthKind::OAuth2ServiceKey | AuthKind::OAuth2Token
        ) || self
            .type_name
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("oauth2"))
    }

    /// Whether nodemailer has something to authenticate with (it skips AUTH otherwise).
    pub fn has_credentials(&self) -> bool {
        match self.kind {
            AuthKind::Absent | AuthKind::Empty => false,
            _ => self.user.is_some() || self.secret.is_some(),
        }
    }
}

/// Node TLS options nodemailer passes to `tls.connect` (for implicit TLS and STARTTLS).
#[derive(Clone, Debug, Default, Serialize)]
pub struct TlsOptions {
    /// `false` disables certificate verification; absent = Node's default (verify).
    pub reject_unauthorized: Option<bool>,
    /// Number of PEM certificates found in `tls.ca` (0 when absent).
    pub ca_certificates: usize,
    /// The `tls.ca` PEM texts as written (public certificates, not secrets), for the probe's
    /// verifier; not serialised, the count above is enough for the report.
    #[serde(skip)]
    pub ca_pem: Vec<String>,
    pub min_version: Option<String>,
    pub max_version: Option<String>,
    pub servername: Option<String>,
    pub ciphers: Option<String>,
    /// Other keys inside `tls` (names only: values may hold key material).
    pub other_keys: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Timeouts {
    pub connection_ms: Option<f64>,
    pub greeting_ms: Option<f64>,
    pub socket_ms: Option<f64>,
    pub dns_ms: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Template {
    pub usage_type: Option<String>,
    pub content_type: Option<String>,
    pub subject: Option<String>,
    pub content: Option<String>,
    /// JSON path of this template, for findings raised later (e.g. by the template checks).
    pub path: String,
}

/// nodemailer's `dkim` option (`{domainName, keySelector, privateKey}`), signing every message.
#[derive(Clone, Debug, Serialize)]
pub struct DkimOption {
    pub domain_name: Option<String>,
    pub key_selector: Option<String>,
    pub private_key: Option<Secret>,
    /// `dkim.keys: [...]` given instead of a single key.
    pub keys: usize,
}

/// Keys Logto's form does not show, which nodemailer nonetheless acts on.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NodemailerExtras {
    pub service: Option<String>,
    /// `authMethod` (top level) or `auth.method`: forces the AUTH mechanism.
    pub auth_method: Option<String>,
    pub force_auth: Option<bool>,
    pub pool: Option<bool>,
    pub dkim: Option<DkimOption>,
    /// Every nodemailer-only key present (names), for the report.
    pub keys: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConnectorConfig {
    /// File name, or `<stdin>`.
    pub source: String,
    /// `$` for a bare config, `$.config` for the Management API's connector object.
    pub base_path: String,
    /// The Management API object's `connectorId`/`id`, when that shape was given.
    pub connector_id: Option<String>,
    pub host: Option<String>,
    pub port: PortSetting,
    /// `None` = key absent, which nodemailer treats differently from `false` (port 465 rule).
    pub secure: Option<bool>,
    pub require_tls: Option<bool>,
    pub ignore_tls: Option<bool>,
    pub tls: TlsOptions,
    pub servername: Option<String>,
    /// EHLO argument.
    pub name: Option<String>,
    pub local_address: Option<String>,
    pub timeouts: Timeouts,
    pub auth: Auth,
    pub from_email: Option<String>,
    pub reply_to: Option<String>,
    pub templates: Vec<Template>,
    pub custom_headers: Vec<(String, Vec<String>)>,
    pub logger: Option<bool>,
    pub debug: Option<bool>,
    pub nodemailer: NodemailerExtras,
    /// Keys neither Logto nor nodemailer knows (names only).
    pub unknown_keys: Vec<String>,
    /// No finding from Logto's own validation: the real connector accepts this config.
    pub logto_accepts: bool,
}

impl ConnectorConfig {
    /// JSON path of a top-level key of the config (`$.port` or `$.config.port`).
    pub fn path_of(&self, key: &str) -> String {
        super::json_positions::member(&self.base_path, key)
    }
}
