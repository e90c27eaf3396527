//! Judging the answer for one selector (pure): which records are keys, how they were split,
//! and what is wrong with each key.

use super::DkimKeyFact;
use super::codes::*;
use super::der::DerError;
use super::parse::{self, Parsed, ProblemKind};
use crate::dns::{Answer, Rdata, codes::failure_finding};
use crate::report::{Evidence, Finding, Severity};

/// What one selector's lookup showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// At least one key record (possibly revoked or broken).
    Found,
    /// NXDOMAIN, NODATA, or only TXT records that are not keys (a wildcard's SPF record).
    Absent,
    /// The lookup failed: unknown.
    Failed,
}

pub struct SelectorResult {
    pub state: State,
    pub findings: Vec<Finding>,
    pub keys: Vec<DkimKeyFact>,
}

/// How a broken split was recognised, and the record as it was probably meant.
struct Repair {
    why: String,
    parsed: Parsed,
}

pub fn assess_selector(selector: &str, answer: &Answer, asked_by_user: bool) -> SelectorResult {
    let name = answer.name.clone();
    let mut out = SelectorResult {
        state: State::Absent,
        findings: Vec::new(),
        keys: Vec::new(),
    };
    if let Some(f) = failure_finding(answer, &format!("the DKIM key for selector {selector}")) {
        out.state = State::Failed;
        out.findings.push(f);
        return out;
    }
    let records: Vec<(&Vec<Vec<u8>>, String)> = answer
        .records
        .iter()
        .filter_map(|r| match r {
            Rdata::Txt { strings } => Some((strings, r.txt_joined().unwrap_or_default())),
            _ => None,
        })
        .collect();
    let (keys, others): (Vec<_>, Vec<_>) = records
        .iter()
        .partition(|(_, text)| parse::looks_like_key(text));
    if keys.is_empty() {
        return out;
    }
    out.state = State::Found;
    if keys.len() > 1 {
        out.findings.push(
            Finding::new(
                &DKIM_MULTIPLE_RECORDS,
                name.clone(),
                format!("{name} has {} key records: verifiers may use either", keys.len()),
            )
            .remediation(format!(
                "Delete all but the current key at {name}; publish a new key under a new selector instead of beside the old one."
            ))
            .evidence(answer.evidence()),
        );
    }
    let other_texts: Vec<&str> = others.iter().map(|(_, t)| t.as_str()).collect();
    for (strings, text) in &keys {
        let parsed = parse::parse(text);
        let repair = if parsed.has(ProblemKind::KeyData) {
            diagnose_split(strings, text, &parsed, &other_texts)
        } else {
            None
        };
        let evidence = |span| Evidence::Record {
            name: name.clone(),
            text: text.clone(),
            span,
        };
        let effective = match &repair {
            Some(r) => {
                out.findings.push(
                    Finding::new(
                        &DKIM_BROKEN_STRING_SPLIT,
                        name.clone(),
                        format!("{name}: the key does not decode because {}", r.why),
                    )
                    .evidence(answer.evidence()),
                );
                &r.parsed
            }
            None => &parsed,
        };
        for p in &effective.problems {
            if repair.is_some() && p.kind == ProblemKind::KeyData {
                continue; // explained by the split finding
            }
            let code = match p.kind {
                ProblemKind::Syntax => &DKIM_SYNTAX_ERROR,
                ProblemKind::UnknownKeyType => &DKIM_UNKNOWN_KEY_TYPE,
                ProblemKind::KeyData => &DKIM_INVALID_KEY_DATA,
                ProblemKind::Sha1Only => &DKIM_SHA1_ONLY,
                ProblemKind::NotForEmail => &DKIM_NOT_FOR_EMAIL,
            };
            out.findings.push(
                Finding::new(
                    code,
                    name.clone(),
                    format!("{name}: {} (at byte {})", p.message, p.span.0),
                )
                .evidence(evidence(Some(p.span))),
            );
        }
        let rec = &effective.record;
        if rec.revoked {
            let mut f = Finding::new(
                &DKIM_KEY_REVOKED,
                name.clone(),
                format!("{name} has an empty p=: selector {selector} is revoked"),
            )
            .evidence(evidence(None));
            if asked_by_user {
                f = f
                    .severity(Severity::Warning)
                    .remediation(format!(
                        "You asked about selector {selector}: if your sender signs with it, publish its public key in p= at {name}."
                    ));
            }
            out.findings.push(f);
        }
        if let (Some(bits), "rsa") = (rec.bits, rec.key_type.as_str()) {
            if bits < 2048 {
                let sev = if bits < 1024 {
                    Severity::Error
                } else {
                    Severity::Note
                };
                out.findings.push(
                    Finding::new(
                        &DKIM_KEY_TOO_SHORT,
                        name.clone(),
                        if bits < 1024 {
                            format!("{name}: the RSA key is {bits} bits; verifiers reject keys under 1024 bits (RFC 8301)")
                        } else {
                            format!("{name}: the RSA key is {bits} bits; accepted, but 2048 is recommended")
                        },
                    )
                    .severity(sev)
                    .evidence(Evidence::Value {
                        label: "RSA key size (bits)".into(),
                        value: bits.to_string(),
                    }),
                );
            } else if bits > 4096 {
                out.findings.push(
                    Finding::new(
                        &DKIM_KEY_TOO_LONG,
                        name.clone(),
                        format!("{name}: the RSA key is {bits} bits; verifiers must handle only up to 4096"),
                    )
                    .evidence(Evidence::Value {
                        label: "RSA key size (bits)".into(),
                        value: bits.to_string(),
                    }),
                );
            }
        }
        if rec.testing {
            out.findings.push(
                Finding::new(
                    &DKIM_TESTING_MODE,
                    name.clone(),
                    format!("{name} has t=y: the domain is marked as testing DKIM"),
                )
                .evidence(evidence(
                    super::taglist::get(&rec.tags, "t").map(|t| (t.name_span.0, t.value_span.1)),
                )),
            );
        }
        out.keys.push(DkimKeyFact {
            selector: selector.to_string(),
            name: name.clone(),
            cnames: answer.cnames.clone(),
            key_type: rec.key_type.clone(),
            bits: rec.bits,
            revoked: rec.revoked,
            testing: rec.testing,
            strict: rec.strict,
            hashes: rec.hashes.clone(),
            provider: super::selectors::provider_of(selector).map(str::to_string),
        });
    }
    out
}

/// The key does not decode: was the record split wrongly? Tries the faults seen in practice.
fn diagnose_split(
    strings: &[Vec<u8>],
    text: &str,
    parsed: &Parsed,
    others: &[&str],
) -> Option<Repair> {
    let decodes = |p: &Parsed| !p.has(ProblemKind::KeyData);
    // 1. Zone-file quoting pasted into a DNS panel: `p=MIIB..." "...AQAB` in one string.
    if text.contains('"') {
        let cleaned: String = text.replace("\" \"", "").replace('"', "");
        let p = parse::parse(&cleaned);
        if decodes(&p) {
            return Some(Repair {
                why: "the record contains quote characters (zone-file quoting pasted into the value); without them the key is valid".into(),
                parsed: p,
            });
        }
    }
    // 2. Spread over several TXT records instead of several strings of one record.
    for o in others {
        for joined in [format!("{text}{o}"), format!("{o}{text}")] {
            let p = parse::parse(&joined);
            if decodes(&p) {
                return Some(Repair {
                    why: "the key is spread over separate TXT records; verifiers read one record, so it must be one record of several strings".into(),
                    parsed: p,
                });
            }
        }
    }
    // 3. Cut at a string boundary: the last string is exactly 255 bytes and the key ends early
    //    (DER shorter than its lengths say, or base64 cut mid-quantum).
    let cut = parsed.problems.iter().any(|p| {
        p.kind == ProblemKind::KeyData
            && (p.der == Some(DerError::Truncated) || p.message.contains("base64"))
    });
    if cut && strings.last().is_some_and(|s| s.len() == 255) {
        return Some(Repair {
            why: "the record ends at a 255-byte string boundary and the key is truncated: the rest of the key was not published".into(),
            parsed: parsed.clone(),
        });
    }
    None
}
