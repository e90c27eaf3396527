//! Postmark. Shape from logto-io/logto `packages/connectors/connector-postmark/src/types.ts`
//! (commit 960fc583): `{ serverToken, fromEmail, templates: [{ usageType, templateAlias }] }`
//! (templates live in Postmark, named by alias).

use super::guard::Guard;
use super::{Checked, Kind, codes};
use serde_json::{Map, Value};

pub fn check(obj: &Map<String, Value>, g: &mut Guard) -> Checked {
    let root = g.root.clone();
    let token = g
        .string(obj, &root, "serverToken", true)
        .map(str::to_string);
    let from = g.string(obj, &root, "fromEmail", true).map(str::to_string);
    g.templates(obj, &root, &["templateAlias"]);
    if let Some(t) = &token {
        // Postmark server tokens are UUIDs (Postmark docs, "API tokens"; the account token is
        // a UUID too, so a wrong kind of token cannot be told from its form).
        let uuid = t.len() == 36
            && t.char_indices().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            });
        if !uuid {
            let p = g.path("serverToken");
            g.push(
                &codes::KEY_FORMAT,
                &p,
                format!(
                    "serverToken ({} characters) is not a UUID like Postmark's server API tokens",
                    t.chars().count()
                ),
            );
        }
    }
    let mut c = Checked::new(Kind::Postmark, from, "fromEmail");
    c.secret = token.map(crate::config::Secret::new);
    c
}
