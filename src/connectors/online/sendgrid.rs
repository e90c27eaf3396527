//! SendGrid: `GET https://api.sendgrid.com/v3/scopes` with `Authorization: Bearer KEY`,
//! following Twilio SendGrid's API reference "Retrieve a list of scopes for which this user
//! has access" (OpenAPI: twilio/sendgrid-oai spec/json/tsg_scopes_v3.json, operation
//! ListScope): it returns the scopes of the key that calls it. 200 `{"scopes": [...]}`;
//! 401 `{"errors": [{"field": null, "message": "authorization required"}]}`; 403 "access
//! forbidden". The host is the one Logto's connector posts to (connector-sendgrid-email
//! src/constant.ts: `https://api.sendgrid.com/v3/mail/send`), which needs `mail.send`.

use super::{Session, codes, secret_or_note, url};
use crate::audit::alignment::Tri;
use crate::connectors::Checked;
use crate::report::Finding;
use serde::Serialize;

pub const BASE: &str = "https://api.sendgrid.com";
const ACTION: &str = "ListScope";

#[derive(Clone, Debug, Serialize)]
pub struct Facts {
    /// How many scopes the key has.
    pub scope_count: usize,
    /// Whether `mail.send` is among them (Logto's send needs it).
    pub mail_send_scope: bool,
}

pub async fn check(s: &mut Session<'_>, c: &Checked) {
    let Some(key) = secret_or_note(s, c.secret.as_ref(), "apiKey") else {
        return;
    };
    let Some(u) = url(&format!("{BASE}/v3/scopes")) else {
        return;
    };
    let bearer = format!("Bearer {}", key.expose());
    let Some(r) = s
        .get(ACTION, u, |_| vec![("Authorization".into(), bearer)])
        .await
    else {
        return;
    };
    match r.status {
        200 => {
            let Some(v) = s.json(ACTION, &r) else { return };
            let Some(scopes) = v.get("scopes").and_then(|x| x.as_array()) else {
                s.push(Finding::new(
                    &codes::UNEXPECTED_ANSWER,
                    s.subject.clone(),
                    "ListScope answered 200 without a `scopes` array: nothing learnt",
                ));
                return;
            };
            let mail_send = scopes.iter().any(|x| x.as_str() == Some("mail.send"));
            s.facts.credentials_valid = Tri::Yes;
            s.facts.sendgrid = Some(Facts {
                scope_count: scopes.len(),
                mail_send_scope: mail_send,
            });
            if mail_send {
                s.facts.sending_ready = Tri::CannotTell;
                s.cannot_tell(format!(
                    "the key may send (it has mail.send); whether {} is a verified sender or in an authenticated domain (Sender Authentication) is not checked: this call reads only the key's scopes",
                    c.from_address.as_deref().unwrap_or("fromEmail")
                ));
            } else {
                s.facts.sending_ready = Tri::No;
                s.push(Finding::new(
                    &codes::LACKS_SEND_SCOPE,
                    s.subject.clone(),
                    format!(
                        "the API key is valid but none of its {} scopes is mail.send: SendGrid refuses every send with 403",
                        scopes.len()
                    ),
                ).remediation("In SendGrid's console (Settings > API Keys), give the key Mail Send access, or create a Restricted Access key with Mail Send: Full Access."));
            }
        }
        401 => {
            s.facts.credentials_valid = Tri::No;
            s.facts.sending_ready = Tri::No;
            let said = s.provider_message(&r.body).unwrap_or_default();
            s.push(
                Finding::new(
                    &codes::KEY_INVALID,
                    s.subject.clone(),
                    format!("SendGrid refused the API key (401 {said}): it is unknown, revoked or mistyped, so Logto's sends fail with 401"),
                )
                .evidence(super::status_evidence(&r)),
            );
        }
        403 => {
            let said = s.provider_message(&r.body).unwrap_or_default();
            s.push(
                Finding::new(
                    &codes::ACCESS_DENIED,
                    s.subject.clone(),
                    format!("SendGrid answered ListScope with 403 ({said}): the key cannot read its own scopes, so whether it has mail.send is unknown"),
                )
                .evidence(super::status_evidence(&r)),
            );
        }
        _ => s.unexpected(ACTION, &r),
    }
}
