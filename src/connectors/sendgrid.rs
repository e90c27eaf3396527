//! SendGrid (API). Shape from logto-io/logto `packages/connectors/connector-sendgrid-email/src/types.ts`
//! (commit f03e3874): `{ apiKey, fromEmail, fromName?, templates: [{ usageType, type:
//! "text/plain"|"text/html", subject, content }] }` — note `type`, not the SMTP connector's
//! `contentType`. DNS needs from providers.md: `s1`/`s2._domainkey` CNAMEs to
//! `sN.domainkey.uNNNN.wlNNN.sendgrid.net`; the envelope is on an `emNNNN` subdomain.

use super::guard::Guard;
use super::{Checked, Kind, codes};
use serde_json::{Map, Value};

pub fn check(obj: &Map<String, Value>, g: &mut Guard) -> Checked {
    let root = g.root.clone();
    let api_key = g.string(obj, &root, "apiKey", true).map(str::to_string);
    let from = g.string(obj, &root, "fromEmail", true).map(str::to_string);
    g.string(obj, &root, "fromName", false);
    let templates_path = g.path("templates");
    if let Some(items) = g.array_of_objects(obj, &root, "templates") {
        let mut usage = Vec::new();
        for (p, t) in items {
            if let Some(u) = g.string(t, &p, "usageType", true) {
                usage.push(u.to_string());
            }
            let type_path = crate::config::json_positions::member(&p, "type");
            match t.get("type") {
                Some(Value::String(s)) if s == "text/plain" || s == "text/html" => {}
                Some(Value::String(s)) => g.refuse(
                    &type_path,
                    &format!(
                        "Invalid enum value. Expected 'text/plain' | 'text/html', received '{s}'"
                    ),
                ),
                None if t.contains_key("contentType") => {
                    g.refuse(&type_path, "Required");
                    let last = g.findings.len() - 1;
                    g.findings[last].remediation = "SendGrid's templates name the content type `type`, not `contentType` (that is the SMTP connector's key)".into();
                }
                None => g.refuse(&type_path, "Required"),
                Some(other) => g.refuse(
                    &type_path,
                    &format!(
                        "Expected 'text/plain' | 'text/html', received {}",
                        crate::config::logto::zod_type(other)
                    ),
                ),
            }
            g.string(t, &p, "subject", true);
            g.string(t, &p, "content", true);
        }
        g.required_usage_types(&templates_path, &usage);
    }
    if let Some(key) = &api_key {
        // SendGrid API keys are `SG.<22>.<43>` (SendGrid docs, "API keys"; the lengths are
        // from observed keys, not verified against a spec). The value itself is never printed.
        let parts: Vec<&str> = key.split('.').collect();
        if parts.len() != 3 || parts[0] != "SG" || parts[1].is_empty() || parts[2].is_empty() {
            let p = g.path("apiKey");
            g.push(
                &codes::KEY_FORMAT,
                &p,
                format!(
                    "apiKey ({} characters) does not have SendGrid's `SG.xxx.yyy` form",
                    key.chars().count()
                ),
            );
        }
    }
    let mut c = Checked::new(Kind::SendGrid, from, "fromEmail");
    c.secret = api_key.map(crate::config::Secret::new);
    c
}
