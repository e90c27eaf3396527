//! The HTTP email connector. Shape from logto-io/logto
//! `packages/connectors/connector-http-email/src/types.ts` (commit e174e7b0):
//! `{ endpoint: string, authorization?: string }`. `src/index.ts` (commit 4ed9d719) POSTs
//! `{ to, type, payload, ...(ip && { ip }) }` as JSON with headers `Authorization` and
//! `Content-Type: application/json`; a non-2xx answer throws (got's HTTPError).

use super::guard::Guard;
use super::{Checked, Kind, codes};
use serde_json::{Map, Value};

pub fn check(obj: &Map<String, Value>, g: &mut Guard) -> Checked {
    let root = g.root.clone();
    let endpoint = g.string(obj, &root, "endpoint", true).map(str::to_string);
    let authorization = g
        .string(obj, &root, "authorization", false)
        .map(str::to_string);
    let mut c = Checked::new(Kind::HttpEmail, None, "endpoint");
    if let Some(e) = &endpoint {
        let p = g.path("endpoint");
        match super::http_probe::Url::parse(e) {
            Ok(u) => {
                if !u.https && !u.is_loopback() {
                    g.push(
                        &codes::HTTP_PLAINTEXT,
                        &p,
                        format!("endpoint {} is plain http to {}", u.display(), u.host),
                    );
                }
                c.http = Some((u, authorization));
            }
            Err(why) => g.push(
                &codes::HTTP_ENDPOINT_INVALID,
                &p,
                format!("endpoint is not an absolute http(s) URL: {why}"),
            ),
        }
    }
    c.api_endpoint = endpoint;
    c
}
