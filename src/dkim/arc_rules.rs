//! ARC rules that mail-auth's chain validation does not enforce (measured against the
//! ValiMail ARC test suite, tests/arc_suite.rs): each makes the chain fail (RFC 8617 5.2:
//! a structurally invalid chain has cv=fail), whatever the signatures say.
//!
//! - a tag list that does not parse, has an empty tag (`;;`), or names a tag twice (RFC 6376
//!   3.2: the whole tag list is then invalid);
//! - a required tag missing: ARC-Seal i= a= b= d= s= cv=, ARC-Message-Signature i= a= b= bh=
//!   d= h= s= (tag names are case-sensitive: `I=1` is not `i=1`);
//! - an algorithm other than rsa-sha256 or ed25519-sha256 (RFC 8301 3.1: rsa-sha1 must not
//!   be used to verify), a cv= other than none / pass / fail;
//! - an ARC-Message-Signature that signs an ARC-Seal (RFC 8617 4.1.2);
//! - an instance with an ARC-Seal but no ARC-Message-Signature, or the other way round
//!   (RFC 8617 4.1: a set is all three fields).
//!
//! Key sizes are checked where the keys are fetched ([`super::verify_mail::verify_arc`]).

use super::taglist::{self, Tag};
use crate::message::headers;

const SEAL_TAGS: &[&str] = &["i", "a", "b", "d", "s", "cv"];
const SIGNATURE_TAGS: &[&str] = &["i", "a", "b", "bh", "d", "h", "s"];
const ALGORITHMS: &[&str] = &["rsa-sha256", "ed25519-sha256"];
/// At most this many ARC header fields are looked at (RFC 8617 allows 50 instances).
const MAX_FIELDS: usize = 3 * 50;

/// The first rule the message's ARC header fields break, said in a sentence; `None` when
/// they keep them all (or the header does not parse: mail-auth reports that).
pub fn structural_problem(message: &[u8]) -> Option<String> {
    let parsed = headers::parse(message).ok()?;
    let mut seals: Vec<String> = Vec::new();
    let mut signatures: Vec<String> = Vec::new();
    for field in parsed.fields.iter().take(MAX_FIELDS * 4) {
        let (kind, required, instances) = if field.is("ARC-Seal") {
            ("ARC-Seal", SEAL_TAGS, &mut seals)
        } else if field.is("ARC-Message-Signature") {
            ("ARC-Message-Signature", SIGNATURE_TAGS, &mut signatures)
        } else {
            continue;
        };
        // The tokenizer skips empty tags, as DKIM receivers do; RFC 6376 3.2's grammar has
        // none (only one `;` may end the list).
        let segments: Vec<&str> = field.value.split(';').collect();
        if segments[..segments.len() - 1]
            .iter()
            .any(|s| s.trim().is_empty())
        {
            return Some(format!(
                "an {kind} has an empty tag (two semicolons in a row)"
            ));
        }
        let (tags, errors) = taglist::tokenize(&field.value);
        if let Some(e) = errors.first() {
            return Some(format!("an {kind} has a malformed tag list: {}", e.message));
        }
        if let Some(dup) = duplicate(&tags) {
            return Some(format!("an {kind} names the tag {dup}= twice"));
        }
        let get = |name: &str| {
            tags.iter()
                .find(|t| t.name == name)
                .map(|t| t.value.as_str())
        };
        if let Some(missing) = required.iter().find(|t| get(t).is_none()) {
            return Some(format!("an {kind} has no {missing}= tag"));
        }
        let instance = get("i").unwrap_or_default().to_string();
        let algorithm = get("a").unwrap_or_default();
        if !ALGORITHMS.contains(&algorithm) {
            return Some(format!(
                "the {kind} of i={instance} uses a={algorithm}, not rsa-sha256 or ed25519-sha256"
            ));
        }
        if kind == "ARC-Seal" && !["none", "pass", "fail"].contains(&get("cv").unwrap_or_default())
        {
            return Some(format!(
                "the ARC-Seal of i={instance} has an unknown cv= value"
            ));
        }
        if kind == "ARC-Message-Signature"
            && get("h")
                .unwrap_or_default()
                .split(':')
                .any(|h| h.trim().eq_ignore_ascii_case("arc-seal"))
        {
            return Some(format!(
                "the ARC-Message-Signature of i={instance} signs an ARC-Seal (h= lists it)"
            ));
        }
        instances.push(instance);
    }
    if let Some(i) = seals.iter().find(|i| !signatures.contains(i)) {
        return Some(format!(
            "ARC set i={i} has an ARC-Seal but no ARC-Message-Signature"
        ));
    }
    if let Some(i) = signatures.iter().find(|i| !seals.contains(i)) {
        return Some(format!(
            "ARC set i={i} has an ARC-Message-Signature but no ARC-Seal"
        ));
    }
    None
}

/// The first tag name that occurs twice (exactly: names are case-sensitive).
fn duplicate(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .enumerate()
        .find(|(i, t)| tags[..*i].iter().any(|e| e.name == t.name))
        .map(|(_, t)| t.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEAL: &str = "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.org; s=dummy; t=1; b=AAAA";
    const SIG: &str = "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=dummy; h=from:to; bh=AA; b=AAAA";

    fn problem(fields: &[&str]) -> Option<String> {
        let message = format!(
            "{}\r\nFrom: a@example.org\r\n\r\nbody\r\n",
            fields.join("\r\n")
        );
        structural_problem(message.as_bytes())
    }

    #[test]
    fn a_well_formed_set_has_no_problem() {
        assert_eq!(problem(&[SEAL, SIG]), None);
        // One `;` may end a tag list.
        assert_eq!(problem(&[SEAL, &format!("{SIG};")]), None);
        // No ARC at all: nothing to say.
        assert_eq!(problem(&["Subject: hi"]), None);
    }

    #[test]
    fn each_rule_is_named() {
        let cases: &[(&[&str], &str)] = &[
            (
                &[&SEAL.replace("a=rsa-sha256", "a=rsa-sha1"), SIG],
                "a=rsa-sha1",
            ),
            (&[SEAL, &SIG.replace("a=rsa-sha256", "a=na")], "a=na"),
            (&[&SEAL.replace("cv=none", "cv=maybe"), SIG], "unknown cv="),
            (
                &[&SEAL.replace("s=dummy", "s=dummy; s=other"), SIG],
                "s= twice",
            ),
            (&[&SEAL.replace("i=1", "I=1"), SIG], "no i= tag"),
            (
                &[SEAL, &SIG.replace("h=from:to", "h=from:ARC-Seal:to")],
                "signs an ARC-Seal",
            ),
            (&[SEAL, &SIG.replace("bh=AA; ", "")], "no bh= tag"),
            (
                &[&SEAL.replace("d=example.org", "d example.org"), SIG],
                "malformed tag list",
            ),
            (&[&SEAL.replace("s=dummy;", "s=dummy;;"), SIG], "empty tag"),
            (&[SEAL], "no ARC-Message-Signature"),
            (
                &[SEAL, SIG, &SIG.replace("i=1", "i=2")],
                "i=2 has an ARC-Message-Signature but no ARC-Seal",
            ),
        ];
        for (fields, want) in cases {
            let got = problem(fields).unwrap_or_default();
            assert!(got.contains(want), "{fields:?}: {got:?}");
        }
    }
}
