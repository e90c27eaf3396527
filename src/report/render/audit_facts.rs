//! The pre-flight's summary as text, printed before the details: the verdict, the ranked
//! fixes, the alignment prediction and the mailbox providers' rules.

use super::text::printable;
use crate::audit::AuditFacts;
use crate::audit::alignment::Tri;

/// (headline, lines): the headline is `READY` / `READY WITH WARNINGS` / `NOT READY`.
pub fn summary(a: &AuditFacts) -> (String, Vec<String>) {
    let mut lines = Vec::new();
    if let Some(v) = a.smtp_verdict {
        lines.push(format!("SMTP: {}", v.headline()));
    }
    let p = &a.alignment;
    let id = &p.identities;
    lines.push(format!(
        "DMARC prediction: {} — SPF {} (aligned {}), DKIM {} (aligned {}); From {}, envelope {}, DKIM d={}",
        match p.dmarc_pass {
            Tri::Yes => "will pass",
            Tri::No => "will FAIL",
            Tri::CannotTell => "cannot tell",
        },
        p.spf_pass.word(),
        p.spf_aligned.word(),
        p.dkim_pass.word(),
        p.dkim_aligned.word(),
        id.from_domain.as_deref().unwrap_or("?"),
        id.envelope_domain.as_deref().unwrap_or("(chosen by the provider)"),
        id.dkim_domain.as_deref().unwrap_or("?")
    ));
    if let Some(t) = &a.test_mail {
        lines.push(format!("Test passcode mail: {t}"));
    }
    if a.fixes.is_empty() {
        lines.push("Nothing to fix.".into());
    } else {
        lines.push("Fix first:".into());
        for f in &a.fixes {
            lines.push(format!(
                "  {}. [{}] {} — {}",
                f.rank, f.code, f.problem, f.fix
            ));
        }
    }
    let rules: Vec<String> = a
        .mailbox_providers
        .iter()
        .map(|r| {
            format!(
                "  {:<11} {}{}: {} ({})",
                match r.status {
                    Tri::Yes => "pass",
                    Tri::No => "FAIL",
                    Tri::CannotTell => "cannot tell",
                },
                r.rule,
                if r.bulk_only { " [bulk senders]" } else { "" },
                r.providers,
                r.why
            )
        })
        .collect();
    lines.push("Mailbox providers' sender rules (transactional sender):".into());
    lines.extend(rules);
    (
        a.verdict.to_string(),
        lines
            .into_iter()
            .map(|l| printable(&l).into_owned())
            .collect(),
    )
}
