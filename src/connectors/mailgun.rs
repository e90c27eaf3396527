//! Mailgun. Shape from logto-io/logto `packages/connectors/connector-mailgun/src/types.ts`
//! (commit 521b3a5c) and `src/index.ts` (commit 4587dd25): `{ endpoint?: url ending in
//! ".mailgun.net", domain, apiKey, from, deliveries: record<SignIn|Register|ForgotPassword|
//! Generic, {html, text?, subject?, replyTo?} | {template, variables?, subject?, replyTo?}> }`.
//! It POSTs to `new URL('/v3/<domain>/messages', endpoint ?? 'https://api.mailgun.net')`;
//! a type without a delivery falls back to `Generic`; other types are `TemplateNotSupported`.

use super::guard::Guard;
use super::{Checked, Kind, codes};
use crate::config::json_positions::member;
use serde_json::{Map, Value};

const SUPPORTED: [&str; 4] = ["SignIn", "Register", "ForgotPassword", "Generic"];

pub fn check(obj: &Map<String, Value>, g: &mut Guard) -> Checked {
    let root = g.root.clone();
    let endpoint = g.string(obj, &root, "endpoint", false).map(str::to_string);
    let domain = g.string(obj, &root, "domain", true).map(str::to_string);
    let api_key = g.string(obj, &root, "apiKey", true).map(str::to_string);
    let from = g.string(obj, &root, "from", true).map(str::to_string);
    if let Some(e) = &endpoint {
        let p = g.path("endpoint");
        let url_ok = e.starts_with("https://") || e.starts_with("http://");
        if !url_ok {
            g.refuse(&p, "Invalid url");
        }
        // zod's endsWith is on the whole string: `https://api.eu.mailgun.net/` fails.
        if !e.ends_with(".mailgun.net") {
            g.refuse(&p, "Invalid input: must end with \".mailgun.net\"");
        }
    }
    let dpath = g.path("deliveries");
    let mut present = Vec::new();
    match obj.get("deliveries") {
        Some(Value::Object(d)) => {
            for (k, v) in d {
                let p = member(&dpath, k);
                if !SUPPORTED.contains(&k.as_str()) {
                    g.refuse(&p, &format!("Invalid enum value. Expected 'SignIn' | 'Register' | 'ForgotPassword' | 'Generic', received '{k}'"));
                    continue;
                }
                present.push(k.clone());
                let ok = match v {
                    Value::Object(o) => {
                        let html = matches!(o.get("html"), Some(Value::String(_)));
                        let tpl = matches!(o.get("template"), Some(Value::String(_)));
                        html || tpl
                    }
                    _ => false,
                };
                if !ok {
                    g.refuse(&p, "Invalid input");
                    let last = g.findings.len() - 1;
                    g.findings[last].remediation =
                        "Each delivery needs `html` (raw mail) or `template` (a Mailgun template name)"
                            .into();
                }
            }
        }
        None => g.refuse(&dpath, "Required"),
        Some(other) => g.refuse(
            &dpath,
            &format!(
                "Expected object, received {}",
                crate::config::logto::zod_type(other)
            ),
        ),
    }
    if !present.iter().any(|p| p == "Generic") {
        let missing: Vec<&str> = SUPPORTED
            .iter()
            .copied()
            .filter(|t| !present.iter().any(|p| p == t))
            .collect();
        if !missing.is_empty() {
            g.push(
                &codes::TEMPLATE_UNSUPPORTED,
                &dpath,
                format!(
                    "no delivery for {} and no Generic to fall back to: those flows fail with TemplateNotFound",
                    missing.join(", ")
                ),
            );
        }
    }
    g.push(
        &codes::TEMPLATE_UNSUPPORTED,
        &dpath,
        "the Mailgun connector supports only SignIn, Register, ForgotPassword and Generic: OrganizationInvitation, MfaVerification, BindMfa, BindNewIdentifier and UserPermissionValidation fail with TemplateNotSupported".into(),
    );
    if let Some(key) = &api_key {
        // Mailgun's public validation key starts with `pubkey-` (Mailgun docs, "API keys");
        // sending needs the private key. Other formats (`key-…`, `<hex>-<hex>-<hex>`) pass.
        if key.starts_with("pubkey-") {
            let p = g.path("apiKey");
            g.push(
                &codes::KEY_FORMAT,
                &p,
                "apiKey is Mailgun's public validation key (`pubkey-…`); sending needs the private API key or a domain sending key".into(),
            );
        }
    }
    let mut c = Checked::new(Kind::Mailgun, from, "from");
    c.secret = api_key.map(crate::config::Secret::new);
    c.sending_domain = domain
        .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|d| crate::dns::name::validate_dns_name(d).is_ok());
    c.api_endpoint = Some(endpoint.unwrap_or_else(|| "https://api.mailgun.net".into()));
    c.region = Some(
        if c.api_endpoint
            .as_deref()
            .is_some_and(|e| e.contains(".eu."))
        {
            "eu".into()
        } else {
            "us".into()
        },
    );
    c
}
