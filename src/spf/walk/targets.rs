//! Where a term points: its domain-spec expanded with the walk's macro context, and the
//! names of the next records asked for before they are needed (prefetch).

use super::{MAX_DEPTH, MAX_NODES, MAX_TERM_QUERIES, Walker};
use crate::dns::RType;
use crate::report::Finding;
use crate::spf::codes::*;
use crate::spf::macros::{MacroContext, MacroString, truncate_domain};
use crate::spf::parse::{Mechanism, SpfRecord};
use crate::spf::record::{RecordLookup, select_record};

impl Walker<'_> {
    /// The name a term queries: its domain-spec expanded (or the current domain). `None`
    /// when it has macros and no sending IP was given (a note is raised), or when the
    /// expansion is not a usable name.
    pub(super) fn target(
        &mut self,
        spec: Option<&MacroString>,
        domain: &str,
        term: &str,
    ) -> Option<String> {
        match self.expand_target(spec, domain) {
            Target::Name(name) => Some(name),
            Target::Invalid => None,
            Target::NeedsSender => {
                self.push(Finding::new(
                    &SPF_MACRO_NOT_FOLLOWED,
                    domain.to_string(),
                    format!(
                        "{term} in the record of {domain} depends on the sender; not followed (its lookup is counted). Give --sending-ip to expand it"
                    ),
                ));
                None
            }
        }
    }

    /// The name a term points at, without side effects.
    pub(super) fn expand_target(&self, spec: Option<&MacroString>, domain: &str) -> Target {
        let Some(spec) = spec else {
            return Target::Name(domain.to_string());
        };
        if let Some(literal) = spec.literal() {
            return Target::Name(truncate_domain(&literal).to_ascii_lowercase());
        }
        let Some(ip) = self.ip else {
            return Target::NeedsSender;
        };
        let ctx = MacroContext {
            sender: &self.sender,
            domain,
            ip,
            helo: &self.helo,
            validated: None,
            receiver: "unknown",
            timestamp: 0,
        };
        let name = truncate_domain(&spec.expand(&ctx)).to_ascii_lowercase();
        match crate::dns::name::validate_dns_name(&name) {
            Ok(()) => Target::Name(name),
            Err(_) => Target::Invalid,
        }
    }

    /// Ask, all at once, every question this record's terms will need, then the same for
    /// the records those answers bring (breadth first), so that the walk costs one round
    /// trip per level of the tree rather than one per term. Answers land in the memo; the
    /// terms are then judged in order exactly as before. Bounded by the same budgets.
    pub(super) async fn prefetch(&mut self, record: &SpfRecord, domain: &str) {
        let mut level: Vec<(SpfRecord, String)> = vec![(record.clone(), domain.to_string())];
        let mut term_budget = MAX_TERM_QUERIES.saturating_sub(self.term_queries);
        let mut record_budget = MAX_NODES.saturating_sub(self.nodes);
        for _ in 0..MAX_DEPTH {
            let mut wanted: Vec<(String, RType)> = Vec::new();
            for (record, domain) in &level {
                self.wanted_by(
                    record,
                    domain,
                    &mut term_budget,
                    &mut record_budget,
                    &mut wanted,
                );
            }
            wanted.retain(|key| !self.memo.contains_key(key));
            wanted.sort();
            wanted.dedup();
            if wanted.is_empty() {
                return;
            }
            let dns = self.dns;
            let answers = futures::future::join_all(
                wanted.iter().map(|(name, rtype)| dns.query(name, *rtype)),
            )
            .await;
            level.clear();
            for (key, answer) in wanted.into_iter().zip(answers) {
                if key.1 == RType::TXT
                    && let RecordLookup::Found { parsed: Ok(r), .. } = select_record(answer.clone())
                {
                    level.push((r, key.0.clone()));
                }
                self.memo.insert(key, answer);
            }
        }
    }

    /// The questions one record's terms lead to.
    fn wanted_by(
        &self,
        record: &SpfRecord,
        domain: &str,
        term_budget: &mut usize,
        record_budget: &mut usize,
        wanted: &mut Vec<(String, RType)>,
    ) {
        let mut want = |target: Target, types: &[RType]| {
            if let Target::Name(name) = target {
                wanted.extend(types.iter().map(|t| (name.clone(), *t)));
            }
        };
        for (_, _, mechanism) in record.directives() {
            match mechanism {
                Mechanism::A { domain: spec, .. } if *term_budget > 0 => {
                    *term_budget -= 1;
                    want(
                        self.expand_target(spec.as_ref(), domain),
                        &[RType::A, RType::AAAA],
                    );
                }
                Mechanism::Exists(spec) if *term_budget > 0 => {
                    *term_budget -= 1;
                    want(self.expand_target(Some(spec), domain), &[RType::A]);
                }
                Mechanism::Mx { domain: spec, .. } if *term_budget > 0 => {
                    *term_budget -= 1;
                    want(self.expand_target(spec.as_ref(), domain), &[RType::MX]);
                }
                Mechanism::Include(spec) if *record_budget > 0 => {
                    *record_budget -= 1;
                    want(self.expand_target(Some(spec), domain), &[RType::TXT]);
                }
                _ => {}
            }
        }
        if let Some((_, spec)) = record.redirect()
            && record.all().is_none()
            && *record_budget > 0
        {
            *record_budget -= 1;
            want(self.expand_target(Some(spec), domain), &[RType::TXT]);
        }
    }
}

/// Where a term points.
pub(super) enum Target {
    Name(String),
    /// A macro that needs the sender (no --sending-ip given).
    NeedsSender,
    /// Expands to a name DNS cannot carry.
    Invalid,
}
