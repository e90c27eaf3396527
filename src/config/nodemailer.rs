//! What nodemailer will do with a connector config: the rules of knowledge/nodemailer.md
//! as pure functions, for the SMTP probe to follow step by step and for the report to explain.
//! Nothing here touches the network.

use super::model::{AuthKind, ConnectorConfig, PortSetting};
use super::services::{WellKnownService, well_known};
use serde::Serialize;
use std::net::IpAddr;
use std::time::Duration;

pub const DEFAULT_CONNECTION_TIMEOUT: Duration = Duration::from_millis(120_000);
pub const DEFAULT_GREETING_TIMEOUT: Duration = Duration::from_millis(30_000);
pub const DEFAULT_SOCKET_TIMEOUT: Duration = Duration::from_millis(600_000);
pub const DEFAULT_DNS_TIMEOUT: Duration = Duration::from_millis(30_000);
/// nodemailer's default host when none is given.
pub const DEFAULT_HOST: &str = "localhost";

/// JavaScript's `Number(x)` for the port as written; `None` stands for NaN.
pub fn js_number(port: &PortSetting) -> Option<f64> {
    match port {
        PortSetting::Absent | PortSetting::Other => None,
        PortSetting::Number(n) => Some(*n),
        PortSetting::Text(s) => {
            let t = s.trim();
            if t.is_empty() {
                Some(0.0)
            } else if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                u64::from_str_radix(hex, 16).ok().map(|v| v as f64)
            } else if t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
                t.parse::<f64>().ok()
            } else {
                None
            }
        }
    }
}

/// `Number(port) || (secure ? 465 : 587)`; `None` when the result is not a usable TCP port.
pub fn effective_port(port: &PortSetting, secure: bool) -> Option<u16> {
    match js_number(port) {
        Some(n) if n != 0.0 => {
            (n.fract() == 0.0 && (1.0..=65535.0).contains(&n)).then_some(n as u16)
        }
        _ => Some(if secure { 465 } else { 587 }),
    }
}

/// A nodemailer timeout: a falsy value (absent, 0) means the default; Node's timers turn
/// anything below 1 ms or above 2^31-1 ms into 1 ms.
pub fn effective_timeout(configured_ms: Option<f64>, default: Duration) -> Duration {
    match configured_ms {
        None => default,
        Some(v) if v == 0.0 || v.is_nan() => default,
        Some(v) if !(1.0..=2_147_483_647.0).contains(&v) => Duration::from_millis(1),
        Some(v) => Duration::from_millis(v as u64),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartTlsPolicy {
    /// Implicit TLS: the connection is already encrypted.
    NotApplicable,
    /// `ignoreTLS`: never upgrades, even when offered.
    Never,
    /// Upgrades when the EHLO advertises STARTTLS, else continues in plaintext.
    IfAdvertised,
    /// `requireTLS`: sends STARTTLS even when not advertised; a non-2xx reply is an error.
    Always,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum EhloName {
    Configured(String),
    /// The OS hostname if it contains a dot, else `[127.0.0.1]` (see [`default_ehlo_name`]).
    Default,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PlannedAuth {
    /// No credentials: nodemailer never sends AUTH.
    None,
    /// user/pass (Logto's `type: "login"`, which does NOT force AUTH LOGIN).
    Password {
        user: Option<String>,
        has_password: bool,
    },
    OAuth2 {
        user: Option<String>,
    },
}

/// Serialised in milliseconds, as the config writes them.
#[derive(Clone, Debug, Serialize)]
pub struct EffectiveTimeouts {
    #[serde(rename = "connection_ms", serialize_with = "as_millis")]
    pub connection: Duration,
    #[serde(rename = "greeting_ms", serialize_with = "as_millis")]
    pub greeting: Duration,
    #[serde(rename = "socket_ms", serialize_with = "as_millis")]
    pub socket: Duration,
    #[serde(rename = "dns_ms", serialize_with = "as_millis")]
    pub dns: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// Everything nodemailer decides before the first byte, from the config alone.
#[derive(Clone, Debug, Serialize)]
pub struct ConnectionPlan {
    pub host: String,
    /// `None`: `Number(port)` is not a usable port (e.g. 70000, 1.5): the connection fails.
    pub port: Option<u16>,
    pub implicit_tls: bool,
    pub starttls: StartTlsPolicy,
    /// SNI sent in the ClientHello; `None` for an IP host without servername.
    pub sni: Option<String>,
    /// The name (or IP) the certificate is checked against.
    pub verify_name: String,
    pub verify_is_ip: bool,
    pub verify_certificates: bool,
    pub custom_ca: bool,
    pub tls_min_version: Option<String>,
    pub ehlo_name: EhloName,
    pub timeouts: EffectiveTimeouts,
    pub auth: PlannedAuth,
    /// `authMethod` / `auth.method` (upper-cased), or the service's, forcing the mechanism.
    pub forced_auth_method: Option<String>,
    pub force_auth: bool,
    /// The well-known service that overrode host/port/secure, if any.
    pub service: Option<&'static str>,
    /// Why each decision was taken, in words for the report.
    pub reasons: Vec<String>,
}

impl ConnectionPlan {
    pub fn from_config(c: &ConnectorConfig) -> ConnectionPlan {
        let mut reasons = Vec::new();
        let svc: Option<&'static WellKnownService> =
            c.nodemailer.service.as_deref().and_then(well_known);
        // nodemailer assigns the service's values over the options: they win.
        let mut host = c.host.clone();
        let mut port = c.port.clone();
        let mut secure = c.secure;
        let mut require_tls = c.require_tls.unwrap_or(false);
        let mut ignore_tls = c.ignore_tls.unwrap_or(false);
        let mut method = c.nodemailer.auth_method.clone();
        if let Some(s) = svc {
            if let Some(h) = s.host {
                host = Some(h.to_string());
            }
            if let Some(p) = s.port {
                port = PortSetting::Number(f64::from(p));
            }
            if s.secure.is_some() {
                secure = s.secure;
            }
            if let Some(r) = s.require_tls {
                require_tls = r;
            }
            if let Some(i) = s.ignore_tls {
                ignore_tls = i;
            }
            if let Some(m) = s.auth_method {
                method = Some(m.to_string());
            }
            reasons.push(format!(
                "service \"{}\" sets the connection values (nodemailer's well-known services)",
                s.name
            ));
        }
        let host = host.unwrap_or_else(|| DEFAULT_HOST.to_string());
        let secure_flag = secure.unwrap_or(false);
        let port = effective_port(&port, secure_flag);
        let implicit_tls = secure_flag || (secure.is_none() && port == Some(465));
        if secure.is_none() && port == Some(465) {
            reasons.push(
                "port 465 with secure absent: nodemailer switches to implicit TLS itself".into(),
            );
        } else if secure == Some(false) && port == Some(465) {
            reasons.push(
                "secure: false on port 465 turns off nodemailer's own switch to implicit TLS"
                    .into(),
            );
        }
        let starttls = if implicit_tls {
            StartTlsPolicy::NotApplicable
        } else if ignore_tls {
            StartTlsPolicy::Never
        } else if require_tls {
            StartTlsPolicy::Always
        } else {
            StartTlsPolicy::IfAdvertised
        };
        let host_ip = host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_ok();
        let servername = c.tls.servername.clone().or_else(|| c.servername.clone());
        let sni = servername
            .clone()
            .or_else(|| (!host_ip).then(|| host.clone()));
        let verify_name = servername.unwrap_or_else(|| host.clone());
        let verify_is_ip = verify_name.parse::<IpAddr>().is_ok();
        let auth = match c.auth.kind {
            AuthKind::Absent | AuthKind::Empty => PlannedAuth::None,
            _ if c.auth.is_oauth2() => PlannedAuth::OAuth2 {
                user: c.auth.user.clone(),
            },
            _ if c.auth.user.is_none() && c.auth.secret.as_ref().is_none_or(|s| s.is_empty()) => {
                PlannedAuth::None
            }
            _ => PlannedAuth::Password {
                user: c.auth.user.clone(),
                has_password: c.auth.secret.as_ref().is_some_and(|s| !s.is_empty()),
            },
        };
        ConnectionPlan {
            host,
            port,
            implicit_tls,
            starttls,
            sni,
            verify_name,
            verify_is_ip,
            verify_certificates: c.tls.reject_unauthorized != Some(false),
            custom_ca: c.tls.ca_certificates > 0,
            tls_min_version: c.tls.min_version.clone(),
            ehlo_name: c
                .name
                .clone()
                .map_or(EhloName::Default, EhloName::Configured),
            timeouts: EffectiveTimeouts {
                connection: effective_timeout(c.timeouts.connection_ms, DEFAULT_CONNECTION_TIMEOUT),
                greeting: effective_timeout(c.timeouts.greeting_ms, DEFAULT_GREETING_TIMEOUT),
                socket: effective_timeout(c.timeouts.socket_ms, DEFAULT_SOCKET_TIMEOUT),
                dns: effective_timeout(c.timeouts.dns_ms, DEFAULT_DNS_TIMEOUT),
            },
            auth,
            forced_auth_method: method.map(|m| m.trim().to_ascii_uppercase()),
            force_auth: c.nodemailer.force_auth.unwrap_or(false),
            service: svc.map(|s| s.name),
            reasons,
        }
    }

    /// Whether nodemailer sends STARTTLS after an EHLO that did (or did not) advertise it.
    pub fn sends_starttls(&self, advertised: bool) -> bool {
        match self.starttls {
            StartTlsPolicy::NotApplicable | StartTlsPolicy::Never => false,
            StartTlsPolicy::IfAdvertised => advertised,
            StartTlsPolicy::Always => true,
        }
    }
}

/// nodemailer's default EHLO name for a given OS hostname.
pub fn default_ehlo_name(os_hostname: &str) -> String {
    if os_hostname.contains('.') {
        os_hostname.to_string()
    } else {
        "[127.0.0.1]".to_string()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Mechanism {
    #[serde(rename = "PLAIN")]
    Plain,
    #[serde(rename = "LOGIN")]
    Login,
    #[serde(rename = "CRAM-MD5")]
    CramMd5,
    #[serde(rename = "XOAUTH2")]
    XOAuth2,
}

impl Mechanism {
    /// nodemailer's preference order.
    pub const PREFERENCE: [Mechanism; 4] = [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
        Mechanism::XOAuth2,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::XOAuth2 => "XOAUTH2",
        }
    }

    fn from_name(name: &str) -> Option<Mechanism> {
        Mechanism::PREFERENCE
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AuthChoice {
    /// No credentials configured: no AUTH, as intended.
    NotConfigured,
    /// Credentials configured, but the last EHLO does not offer AUTH (and no forceAuth):
    /// nodemailer sends without logging in, silently (`config-password-unused`).
    SkippedNotAdvertised,
    /// nodemailer fails before any AUTH command: `Missing credentials for "<mechanism>"`.
    MissingCredentials { mechanism: String },
    /// `authMethod` names a mechanism nodemailer does not implement.
    UnknownForcedMethod { method: String },
    Use {
        mechanism: Mechanism,
        /// The server did not list it (forced, or nodemailer's PLAIN fallback when the
        /// server offers only mechanisms it lacks, e.g. NTLM: expect `504 5.5.4`).
        offered: bool,
    },
}

/// The mechanisms of the `AUTH x y` / `AUTH=x y` lines of an EHLO reply (upper-cased).
pub fn advertised_mechanisms(ehlo_lines: &[String]) -> Option<Vec<String>> {
    let mut found = None::<Vec<String>>;
    for line in ehlo_lines.iter().take(256) {
        // Accept both the bare keyword line and a full reply line ("250-AUTH PLAIN").
        let text = line.trim();
        let text = text
            .get(4..)
            .filter(|_| {
                text.len() > 4
                    && text
                        .as_bytes()
                        .get(..3)
                        .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
            })
            .unwrap_or(text);
        let upper = text.to_ascii_uppercase();
        let rest = upper
            .strip_prefix("AUTH")
            .filter(|r| r.is_empty() || r.starts_with([' ', '=']));
        if let Some(rest) = rest {
            let list = found.get_or_insert_with(Vec::new);
            for m in rest.trim_start_matches('=').split_whitespace().take(64) {
                if !list.iter().any(|x| x == m) {
                    list.push(m.to_string());
                }
            }
        }
    }
    found
}

/// What nodemailer does about AUTH after the last EHLO (the one after STARTTLS, if any).
pub fn choose_auth_mechanism(plan: &ConnectionPlan, last_ehlo_lines: &[String]) -> AuthChoice {
    if plan.auth == PlannedAuth::None {
        return AuthChoice::NotConfigured;
    }
    let offered = advertised_mechanisms(last_ehlo_lines);
    if offered.is_none() && !plan.force_auth {
        return AuthChoice::SkippedNotAdvertised;
    }
    let offered = offered.unwrap_or_default();
    let is_offered = |m: Mechanism| offered.iter().any(|o| o == m.name());
    let mechanism =
        if matches!(plan.auth, PlannedAuth::OAuth2 { .. }) && plan.forced_auth_method.is_none() {
            Mechanism::XOAuth2
        } else if let Some(forced) = &plan.forced_auth_method {
            match Mechanism::from_name(forced) {
                Some(m) => m,
                None => {
                    return AuthChoice::UnknownForcedMethod {
                        method: forced.clone(),
                    };
                }
            }
        } else {
            Mechanism::PREFERENCE
                .into_iter()
                .find(|m| is_offered(*m))
                .unwrap_or(Mechanism::Plain)
        };
    if let PlannedAuth::Password { user, has_password } = &plan.auth
        && mechanism != Mechanism::XOAuth2
        && (user.is_none() || !has_password)
    {
        return AuthChoice::MissingCredentials {
            mechanism: mechanism.name().to_string(),
        };
    }
    AuthChoice::Use {
        mechanism,
        offered: is_offered(mechanism),
    }
}

/// The texts nodemailer (via Logto) shows the operator, as `error.message`. Match on these
/// to tell a prediction came true; OpenSSL's texts are matched on the phrase only.
pub mod messages {
    /// `secure: true` on a STARTTLS port (OpenSSL text, matched on this phrase only).
    pub const WRONG_VERSION_NUMBER: &str = "wrong version number";
    /// `secure: false` on an implicit-TLS port, after greetingTimeout (or a slow banner).
    pub const GREETING_NEVER_RECEIVED: &str = "Greeting never received";
    pub const CONNECTION_TIMEOUT: &str = "Connection timeout";
    /// socketTimeout (idle).
    pub const SOCKET_TIMEOUT: &str = "Timeout";
    pub const UNABLE_TO_VERIFY_FIRST_CERTIFICATE: &str = "unable to verify the first certificate";
    pub const SELF_SIGNED_CERTIFICATE: &str = "self-signed certificate";
    pub const CERTIFICATE_EXPIRED: &str = "certificate has expired";
    pub const ALTNAMES_MISMATCH_PREFIX: &str = "Hostname/IP does not match certificate's altnames";
    pub const TLS_DISCONNECTED: &str =
        "Client network socket disconnected before secure TLS connection was established";

    pub fn connection_refused(ip: &str, port: u16) -> String {
        format!("connect ECONNREFUSED {ip}:{port}")
    }
    pub fn connect_timed_out(ip: &str, port: u16) -> String {
        format!("connect ETIMEDOUT {ip}:{port}")
    }
    /// `requireTLS` and the server refuses or lacks STARTTLS, e.g. `454 TLS not available`.
    pub fn starttls_failed(reply: &str) -> String {
        format!("Error upgrading connection with STARTTLS: {reply}")
    }
    pub fn invalid_login(reply: &str) -> String {
        format!("Invalid login: {reply}")
    }
    pub fn missing_credentials(mechanism: &str) -> String {
        format!("Missing credentials for \"{mechanism}\"")
    }
    pub fn mail_command_failed(reply: &str) -> String {
        format!("Mail command failed: {reply}")
    }
    /// nodemailer's `_formatError` appends `: <response>` to a message that already quotes
    /// the response, so these read doubled: `Invalid greeting. response=554 …: 554 …`
    /// (as in nodemailer issue #1508).
    pub fn invalid_greeting(reply: &str) -> String {
        format!("Invalid greeting. response={reply}: {reply}")
    }
    /// EHLO refused, then HELO refused (the HELO fallback of `_actionEHLO`).
    pub fn invalid_helo(reply: &str) -> String {
        format!("Invalid HELO. response={reply}: {reply}")
    }
    /// EHLO refused with requireTLS set: nodemailer does not fall back to HELO.
    pub fn ehlo_failed_require_tls(reply: &str) -> String {
        format!(
            "EHLO failed but HELO does not support required STARTTLS. response={reply}: {reply}"
        )
    }
    /// A reply with no command waiting for it (`_processResponse`), e.g. a line pipelined
    /// after STARTTLS's 220. An empty line gives no `: …` part.
    pub fn unexpected_response(line: &str) -> String {
        if line.is_empty() {
            "Unexpected Response".to_string()
        } else {
            format!("Unexpected Response: {line}")
        }
    }
    pub fn all_recipients_rejected(reply: &str) -> String {
        format!("Can't send mail - all recipients were rejected: {reply}")
    }
    pub fn altnames_mismatch_host(host: &str, altnames: &str) -> String {
        format!(
            "{ALTNAMES_MISMATCH_PREFIX}: Host: {host}. is not in the cert's altnames: {altnames}"
        )
    }
}
