//! Postmark: `GET https://api.postmarkapp.com/server` with `X-Postmark-Server-Token` and
//! `Accept: application/json`, following Postmark's Server API reference ("Get the server":
//! server-level privileges, the token Logto's connector sends with). 200 is the server's
//! settings (`Name`, `DeliveryType` `Live` or `Sandbox` — a Sandbox server accepts mail and
//! delivers none —, and its `ApiTokens`, which are never kept); 401 with `{"ErrorCode": 10,
//! "Message": …}` is a missing or wrong token (an account token is refused here too).
//! Sender signatures and domains need the account token, so whether `fromEmail` may send is
//! not readable with the server token.

use super::{Session, codes, secret_or_note, status_evidence, url};
use crate::audit::alignment::Tri;
use crate::connectors::Checked;
use crate::report::Finding;
use serde::Serialize;
use serde_json::Value;

pub const BASE: &str = "https://api.postmarkapp.com";
const ACTION: &str = "GetServer";

#[derive(Clone, Debug, Serialize)]
pub struct Facts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// `Live` or `Sandbox`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_type: Option<String>,
}

pub async fn check(s: &mut Session<'_>, c: &Checked) {
    let Some(token) = secret_or_note(s, c.secret.as_ref(), "serverToken") else {
        return;
    };
    let Some(u) = url(&format!("{BASE}/server")) else {
        return;
    };
    let header = token.expose().to_string();
    let Some(r) = s
        .get(ACTION, u, |_| {
            vec![("X-Postmark-Server-Token".into(), header)]
        })
        .await
    else {
        return;
    };
    match r.status {
        200 => {
            let Some(v) = s.json(ACTION, &r) else { return };
            // Only the name and delivery type are kept: the body also lists the server's tokens.
            let name = v.get("Name").and_then(Value::as_str).map(|n| s.scrub(n));
            let delivery = v
                .get("DeliveryType")
                .and_then(Value::as_str)
                .map(str::to_string);
            s.facts.credentials_valid = Tri::Yes;
            if delivery.as_deref() == Some("Sandbox") {
                s.facts.sending_ready = Tri::No;
                s.push(Finding::new(
                    &codes::SANDBOX,
                    s.subject.clone(),
                    format!(
                        "the server token belongs to Postmark server {:?}, a Sandbox server: it accepts Logto's mail and delivers none",
                        name.as_deref().unwrap_or("?")
                    ),
                ).remediation("Use the server token of a Live server (a server's delivery type cannot be changed: create a Live one)."));
            } else {
                s.cannot_tell(format!(
                    "the server token is valid (server {:?}, delivery type {}); whether {} has a confirmed sender signature or domain needs Postmark's account token, so it is not checked",
                    name.as_deref().unwrap_or("?"),
                    delivery.as_deref().unwrap_or("not reported"),
                    c.from_address.as_deref().unwrap_or("fromEmail")
                ));
            }
            s.facts.postmark = Some(Facts {
                server_name: name,
                delivery_type: delivery,
            });
        }
        401 => {
            s.facts.credentials_valid = Tri::No;
            s.facts.sending_ready = Tri::No;
            let said = s.provider_message(&r.body).unwrap_or_default();
            s.push(Finding::new(
                &codes::KEY_INVALID,
                s.subject.clone(),
                format!("Postmark refused the server token (401: {said}): it is wrong, revoked, or an account token, so Logto's sends fail"),
            ).evidence(status_evidence(&r)).remediation("Copy the Server API token from the server's API Tokens tab in Postmark (not the account token)."));
        }
        _ => s.unexpected(ACTION, &r),
    }
}
