//! Macro expansion for the evaluator (RFC 7208 7): domain-specs, the validated `%{p}`
//! name, and the explanation string of `exp=`.

use super::{Evaluator, MX_HOST_LIMIT, askable, reverse_name};
use crate::dns::{Outcome, RType, Rdata};
use crate::spf::macros::{MacroContext, MacroString, truncate_domain};
use crate::spf::parse::SpfRecord;

impl Evaluator<'_> {
    /// The target of a/mx/ptr: the expanded domain-spec, or the current domain.
    pub(super) async fn target(&mut self, spec: Option<&MacroString>, domain: &str) -> String {
        match spec {
            Some(spec) => self.expand_domain(spec, domain).await,
            None => domain.to_string(),
        }
    }

    pub(super) async fn expand_domain(&mut self, spec: &MacroString, domain: &str) -> String {
        truncate_domain(&self.expand(spec, domain).await).to_ascii_lowercase()
    }

    pub(super) async fn expand(&mut self, spec: &MacroString, domain: &str) -> String {
        let validated = if spec.uses_letter('p') {
            let (names, _) = self.validated_names().await;
            pick_validated(&names, domain)
        } else {
            None
        };
        let ctx = MacroContext {
            sender: &self.sender,
            domain,
            ip: self.ip,
            helo: &self.helo,
            validated: validated.as_deref(),
            receiver: "unknown",
            timestamp: self.timestamp,
        };
        spec.expand(&ctx)
    }

    /// 5.5: PTR names of the client whose A/AAAA records include the client; at most 10
    /// names are checked. A failed PTR lookup gives no names (the mechanism just does not match).
    pub(super) async fn validated_names(&mut self) -> (Vec<String>, bool) {
        if let Some(v) = &self.validated {
            return v.clone();
        }
        let answer = self.dns.query(&reverse_name(self.ip), RType::PTR).await;
        let void = answer.outcome.is_void();
        let mut names = Vec::new();
        let targets: Vec<String> = answer
            .records
            .iter()
            .filter_map(|r| match r {
                Rdata::Ptr { target } => Some(target.clone()),
                _ => None,
            })
            .take(MX_HOST_LIMIT)
            .collect();
        for name in targets {
            if !askable(&name) {
                continue;
            }
            let addresses = self.dns.query(&name, self.address_type()).await;
            if addresses.ips().contains(&self.ip) {
                names.push(name);
            }
        }
        self.validated = Some((names, void));
        self.validated.clone().unwrap_or_default()
    }

    /// 6.2: the explanation of a fail, from this record's exp=; `None` on any problem.
    pub(super) async fn explain(&mut self, domain: &str, record: &SpfRecord) -> Option<String> {
        let (_, spec) = record.exp()?;
        let target = self.expand_domain(spec, domain).await;
        if !askable(&target) {
            return None;
        }
        let answer = self.dns.query(&target, RType::TXT).await;
        let texts = answer.txt_joined();
        if answer.outcome != Outcome::Records || texts.len() != 1 {
            return None;
        }
        let text = texts.into_iter().next()?;
        if !text.is_ascii() {
            return None;
        }
        let ms = MacroString::parse(&text, true).ok()?;
        Some(self.expand(&ms, domain).await)
    }
}

/// For `%{p}`: the name equal to the domain, else one below it, else any (7.3 / 5.5).
pub(super) fn pick_validated(names: &[String], domain: &str) -> Option<String> {
    names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(domain))
        .or_else(|| {
            names
                .iter()
                .find(|n| crate::dns::name::is_subdomain_of(n, domain))
        })
        .or_else(|| names.first())
        .cloned()
}
