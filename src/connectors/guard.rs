//! A small reproduction of the zod checks Logto's connector guards use (`z.object`,
//! `z.string()`, `.optional()`, the templates `refine`), producing findings with the JSON
//! path and line:column. `z.object` strips unknown keys, so they are not errors.

use super::codes;
use crate::config::json_positions::{Positions, element, member};
use crate::config::logto::zod_type;
use crate::report::{Evidence, Finding};
use serde_json::{Map, Value};

/// The usage types the guards require, and the ones Logto's console ships besides: the SMTP
/// connector's lists (the same in every connector's `src/types.ts`).
use crate::config::logto::{OPTIONAL_USAGE_TYPES, REQUIRED_USAGE_TYPES as REQUIRED_USAGE};

pub struct Guard<'a> {
    pub source: &'a str,
    pub positions: &'a Positions,
    /// `$` for a bare config, `$.config` for the Management API's connector object.
    pub root: String,
    pub findings: Vec<Finding>,
}

/// zod's path as Logto prints it: `templates.0.type`.
fn zod_path(path: &str, root: &str) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let rel = rel.trim_start_matches('.');
    rel.replace('[', ".").replace([']', '"'], "")
}

impl<'a> Guard<'a> {
    pub fn new(source: &'a str, positions: &'a Positions, root: &str) -> Self {
        Guard {
            source,
            positions,
            root: root.to_string(),
            findings: Vec::new(),
        }
    }

    pub fn path(&self, key: &str) -> String {
        member(&self.root, key)
    }

    pub fn location(&self, path: &str) -> String {
        format!("{}:{}", self.source, self.positions.nearest(path))
    }

    /// A finding about `path`, located.
    pub fn push(&mut self, code: &'static crate::report::CodeInfo, path: &str, message: String) {
        let location = self.location(path);
        self.findings
            .push(Finding::new(code, path, message).evidence(Evidence::Value {
                label: "location".into(),
                value: location,
            }));
    }

    /// A zod issue: the real connector refuses the config with this text.
    pub fn refuse(&mut self, path: &str, zod_message: &str) {
        let zp = zod_path(path, &self.root);
        self.push(
            &codes::INVALID,
            path,
            format!(
                "the real connector refuses this config: `{zp}: {zod_message}` (Logto's validation)"
            ),
        );
    }

    /// `z.string()` (required) or `z.string().optional()`.
    pub fn string<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &str,
        key: &str,
        required: bool,
    ) -> Option<&'v str> {
        let path = member(parent, key);
        match obj.get(key) {
            Some(Value::String(s)) => Some(s),
            None if !required => None,
            None => {
                self.refuse(&path, "Required");
                None
            }
            Some(other) => {
                self.refuse(
                    &path,
                    &format!("Expected string, received {}", zod_type(other)),
                );
                None
            }
        }
    }

    /// A required array of objects; each element handed to `each` with its path.
    pub fn array_of_objects<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &str,
        key: &str,
    ) -> Option<Vec<(String, &'v Map<String, Value>)>> {
        let path = member(parent, key);
        match obj.get(key) {
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let p = element(&path, i);
                    match item {
                        Value::Object(o) => out.push((p, o)),
                        other => self.refuse(
                            &p,
                            &format!("Expected object, received {}", zod_type(other)),
                        ),
                    }
                }
                Some(out)
            }
            None => {
                self.refuse(&path, "Required");
                None
            }
            Some(other) => {
                self.refuse(
                    &path,
                    &format!("Expected array, received {}", zod_type(other)),
                );
                None
            }
        }
    }

    /// A `templates` array whose elements need `usageType` and these string `fields`, then
    /// the usage-type refine below.
    pub fn templates(&mut self, obj: &Map<String, Value>, root: &str, fields: &[&str]) {
        let templates_path = self.path("templates");
        if let Some(items) = self.array_of_objects(obj, root, "templates") {
            let mut usage = Vec::new();
            for (p, t) in items {
                if let Some(u) = self.string(t, &p, "usageType", true) {
                    usage.push(u.to_string());
                }
                for f in fields {
                    self.string(t, &p, f, true);
                }
            }
            self.required_usage_types(&templates_path, &usage);
        }
    }

    /// The guards' `templates` refine: all of [`REQUIRED_USAGE`] present, with Logto's text.
    /// Then a warning for each console usage type without a template (fails at send time).
    pub fn required_usage_types(&mut self, path: &str, present: &[String]) {
        let missing: Vec<&str> = REQUIRED_USAGE
            .iter()
            .copied()
            .filter(|t| !present.iter().any(|p| p == t))
            .collect();
        if !missing.is_empty() {
            self.refuse(
                path,
                &format!(
                    "Template with UsageType ({}) should be provided!",
                    missing.join(", ")
                ),
            );
        }
        self.flows_without_template(path, present, "template");
    }

    pub fn flows_without_template(&mut self, path: &str, present: &[String], what: &str) {
        let absent: Vec<&str> = OPTIONAL_USAGE_TYPES
            .iter()
            .copied()
            .filter(|t| !REQUIRED_USAGE.contains(t) && !present.iter().any(|p| p == t))
            .collect();
        if !absent.is_empty() {
            self.push(
                &codes::TEMPLATE_UNSUPPORTED,
                path,
                format!(
                    "no {what} for {}: those flows fail with TemplateNotFound when used",
                    absent.join(", ")
                ),
            );
        }
    }
}

/// The domain of an address (`Name <a@b.example>` or `a@b.example`), lowercased; `None`
/// unless it is a valid DNS name (a 500 KB "domain" used to be audited, query by query).
pub fn domain_of(address: &str) -> Option<String> {
    let inner = match (address.rfind('<'), address.rfind('>')) {
        (Some(a), Some(b)) if a < b => &address[a + 1..b],
        _ => address,
    };
    let (local, domain) = inner.trim().rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.');
    if local.is_empty()
        || !domain.contains('.')
        || domain.contains(' ')
        || crate::dns::name::validate_dns_name(domain).is_err()
    {
        return None;
    }
    Some(domain.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zod_paths_and_domains() {
        assert_eq!(zod_path("$.templates[0].type", "$"), "templates.0.type");
        assert_eq!(zod_path("$.config.apiKey", "$.config"), "apiKey");
        assert_eq!(
            domain_of("Logto <noreply@Auth.Example.com>").as_deref(),
            Some("auth.example.com")
        );
        assert_eq!(domain_of("noreply"), None);
        assert_eq!(domain_of("a@b c.example"), None);
        assert_eq!(
            domain_of(&format!("a@auth.example{}", "[".repeat(300))),
            None
        );
    }
}
