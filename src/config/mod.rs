//! The Logto SMTP connector config: reading it (file or stdin, bare or as the Management
//! API's connector object), Logto's own validation reproduced, the checks beyond it, the
//! prediction of what nodemailer will do with it, and the providers table.
//!
//! Entry points: [`read_input`] (I/O, bounded) then [`parse`] (pure). Secrets never print:
//! see [`secret::Secret`].

pub mod address;
pub mod beyond;
pub mod codes;
pub mod json_positions;
pub mod logto;
mod logto_auth;
pub mod model;
pub mod nodemailer;
pub mod providers;
pub mod secret;
pub mod services;

pub use logto::SecretOverrides;
pub use model::ConnectorConfig;
pub use secret::Secret;

use crate::report::{CodeInfo, Evidence, Finding};
use json_positions::{MAX_BYTES, Position, Positions};
use serde_json::Value;
use std::fmt;
use std::io::Read;

/// The connector id of Logto's SMTP connector (`connectorId` in the Management API).
pub const SMTP_CONNECTOR_ID: &str = "simple-mail-transfer-protocol";

/// The config could not be read at all (exit code 2): names the file and, where known,
/// line and column. Never contains a secret (serde_json's messages quote no input).
#[derive(Debug, PartialEq, Eq)]
pub struct InputError {
    pub source: String,
    pub position: Option<Position>,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(
                f,
                "{}:{}:{}: {}",
                self.source, p.line, p.column, self.message
            ),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for InputError {}

fn input_error(source: &str, position: Option<Position>, message: impl Into<String>) -> InputError {
    InputError {
        source: source.to_string(),
        position,
        message: message.into(),
    }
}

/// A parsed config and everything found about it without touching the network.
#[derive(Debug)]
pub struct Loaded {
    pub config: ConnectorConfig,
    pub findings: Vec<Finding>,
    pub positions: Positions,
}

impl Loaded {
    /// The `location` evidence value (`file:line:column`) for a JSON path, for findings
    /// raised later (e.g. the probe's `config-password-unused`).
    pub fn location(&self, path: &str) -> String {
        format!("{}:{}", self.config.source, self.positions.nearest(path))
    }

    /// A finding about `path` with its location attached.
    pub fn finding(
        &self,
        code: &'static CodeInfo,
        path: &str,
        message: impl Into<String>,
    ) -> Finding {
        Finding::new(code, path, message).evidence(Evidence::Value {
            label: "location".into(),
            value: self.location(path),
        })
    }
}

impl Loaded {
    /// The probe's hook for `config-password-unused`: a password (or OAuth2 secret) is set but
    /// the server never asked for it (`AuthChoice::SkippedNotAdvertised`). `why` says what the
    /// probe saw, e.g. "the EHLO after STARTTLS on smtp.example.com:587 offers no AUTH".
    /// `None` when the config has no credentials (nothing unused).
    pub fn password_unused(&self, why: &str) -> Option<Finding> {
        if !self.config.auth.has_credentials() {
            return None;
        }
        let auth = self.config.path_of("auth");
        let key = if self.config.auth.is_oauth2() {
            "user"
        } else {
            "pass"
        };
        let path = json_positions::member(&auth, key);
        let path = if self.positions.get(&path).is_some() {
            path
        } else {
            auth
        };
        Some(self.finding(
            &codes::PASSWORD_UNUSED,
            &path,
            format!("{why}: nodemailer skips AUTH and sends without logging in, so a wrong password would go unnoticed"),
        ))
    }
}

/// Collects findings, each with its `location` evidence.
pub(crate) struct Ctx<'a> {
    pub source: &'a str,
    pub positions: &'a Positions,
    pub findings: Vec<Finding>,
}

impl Ctx<'_> {
    pub fn push(
        &mut self,
        code: &'static CodeInfo,
        path: &str,
        message: impl Into<String>,
    ) -> &mut Finding {
        let location = format!("{}:{}", self.source, self.positions.nearest(path));
        self.findings
            .push(Finding::new(code, path, message).evidence(Evidence::Value {
                label: "location".into(),
                value: location,
            }));
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }
}

/// Reads a config from `path`, or from stdin when `path` is `-`; at most [`MAX_BYTES`].
/// Returns the display name (`<stdin>` or the path) and the bytes.
pub fn read_input(path: &str) -> Result<(String, Vec<u8>), InputError> {
    let (name, reader): (String, Box<dyn Read>) = if path == "-" {
        ("<stdin>".to_string(), Box::new(std::io::stdin().lock()))
    } else {
        let file = std::fs::File::open(path)
            .map_err(|e| input_error(path, None, format!("cannot open: {e}")))?;
        (path.to_string(), Box::new(file))
    };
    let mut bytes = Vec::new();
    reader
        .take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| input_error(&name, None, format!("cannot read: {e}")))?;
    if bytes.len() > MAX_BYTES {
        return Err(input_error(
            &name,
            None,
            format!("larger than {MAX_BYTES} bytes; a connector config is a few KiB"),
        ));
    }
    Ok((name, bytes))
}

/// Parses and checks a config (pure). `source` names it in messages and locations.
/// Accepts the bare config object or the Management API's connector object
/// (`{"id", "connectorId", "config": {...}, ...}`).
pub fn parse(
    source: &str,
    bytes: &[u8],
    overrides: &SecretOverrides,
) -> Result<Loaded, InputError> {
    if bytes.len() > MAX_BYTES {
        return Err(input_error(
            source,
            None,
            format!("larger than {MAX_BYTES} bytes; a connector config is a few KiB"),
        ));
    }
    // Editors on Windows write a BOM; JSON forbids it, but the operator meant the text after it.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(before.get(line_start..).unwrap_or_default())
            .chars()
            .count()
            + 1;
        input_error(source, Some(Position { line, column }), "not UTF-8 text")
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        input_error(
            source,
            // serde_json counts columns from 0 at the end of input; editors count from 1.
            Some(Position {
                line: e.line().max(1),
                column: e.column().max(1),
            }),
            format!("malformed JSON: {}", strip_position(&e.to_string())),
        )
    })?;
    let positions = json_positions::scan(text).map_err(|e| match e {
        json_positions::ScanError::TooDeep { position } => input_error(
            source,
            Some(position),
            format!("nested deeper than {} levels", json_positions::MAX_DEPTH),
        ),
        json_positions::ScanError::Unexpected { position, what } => input_error(
            source,
            Some(position),
            format!("malformed JSON: unexpected {what}"),
        ),
    })?;
    let Value::Object(root) = &value else {
        return Err(input_error(
            source,
            Some(Position { line: 1, column: 1 }),
            format!(
                "expected a JSON object (the connector config), found {}",
                logto::zod_type(&value)
            ),
        ));
    };

    // The Management API shape: the config sits under "config", next to "connectorId".
    let api_inner = if root.contains_key("host")
        || !(root.contains_key("connectorId") || root.contains_key("id"))
    {
        None
    } else {
        root.get("config").and_then(Value::as_object)
    };
    let (config_obj, base, connector_id) = match api_inner {
        Some(inner) => {
            if let Some(id) = root.get("connectorId").and_then(Value::as_str)
                && id != SMTP_CONNECTOR_ID
            {
                return Err(input_error(
                    source,
                    positions.get("$.connectorId"),
                    format!(
                        "this is the config of connector \"{id}\", not Logto's SMTP connector ({SMTP_CONNECTOR_ID})"
                    ),
                ));
            }
            let connector_id = root
                .get("connectorId")
                .or_else(|| root.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string);
            (inner, "$.config", connector_id)
        }
        None => (root, "$", None),
    };

    let mut ctx = Ctx {
        source,
        positions: &positions,
        findings: Vec::new(),
    };
    for (path, _) in positions.duplicates() {
        ctx.push(
            &codes::DUPLICATE_KEY,
            path,
            format!("{path} appears more than once; JSON.parse keeps the last value, so the earlier ones are ignored"),
        );
    }
    let mut config = logto::validate(&mut ctx, config_obj, base, overrides);
    config.connector_id = connector_id;
    beyond::check(&mut ctx, &config, config_obj);
    providers::check(&mut ctx, &config);
    let findings = ctx.findings;
    Ok(Loaded {
        config,
        findings,
        positions,
    })
}

/// serde_json's Display appends " at line L column C"; the position is shown separately.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| message.get(..i).unwrap_or(message))
}

/// Resolves `--pass-env NAME`: the variable must exist (an unset variable is an input error,
/// not a silent empty password). `lookup` is `std::env::var` in the binary, a map in tests.
pub fn pass_from_env(
    name: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Secret, InputError> {
    match lookup(name) {
        Some(v) => Ok(Secret::new(v)),
        None => Err(input_error(
            &format!("--pass-env {name}"),
            None,
            format!("environment variable {name} is not set"),
        )),
    }
}
