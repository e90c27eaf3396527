//! Amazon SES. Shape from logto-io/logto `packages/connectors/connector-aws-ses/src/types.ts`
//! (commit 570a4ea9): `{ accessKeyId, accessKeySecret, region, emailAddress?,
//! emailAddressIdentityArn?, templates: [{ usageType, subject, content }],
//! feedbackForwardingEmailAddress?, feedbackForwardingEmailAddressIdentityArn?,
//! configurationSetName? }`. `emailAddress` is the From address: src/utils.ts (commit
//! 23a40d96) sends `SendEmailCommand({ FromEmailAddress: config.emailAddress, … })` through
//! an `SESv2Client({ credentials, region })`.

use super::guard::Guard;
use super::{Checked, Kind, codes};
use serde_json::{Map, Value};

/// `us-east-1`, `eu-west-2`, `us-gov-west-1`, `ap-southeast-3`…
pub fn region_looks_valid(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    let n = parts.len();
    (3..=4).contains(&n)
        && parts[0].len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts[n - 1].bytes().all(|b| b.is_ascii_digit())
}

pub fn check(obj: &Map<String, Value>, g: &mut Guard) -> Checked {
    let root = g.root.clone();
    let key_id = g
        .string(obj, &root, "accessKeyId", true)
        .map(str::to_string);
    let secret = g
        .string(obj, &root, "accessKeySecret", true)
        .map(crate::config::Secret::new);
    let region = g.string(obj, &root, "region", true).map(str::to_string);
    let from = g
        .string(obj, &root, "emailAddress", false)
        .map(str::to_string);
    let arn = g
        .string(obj, &root, "emailAddressIdentityArn", false)
        .map(str::to_string);
    for k in [
        "feedbackForwardingEmailAddress",
        "feedbackForwardingEmailAddressIdentityArn",
        "configurationSetName",
    ] {
        g.string(obj, &root, k, false);
    }
    g.templates(obj, &root, &["subject", "content"]);
    if let Some(id) = &key_id {
        // AWS access key ids: 20 characters, `AKIA` long-term, `ASIA` temporary (AWS IAM
        // docs, "Understanding unique ID prefixes"). A temporary key needs a session token,
        // which this connector has no field for.
        let p = g.path("accessKeyId");
        let well_formed = id.len() == 20
            && id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if id.starts_with("ASIA") {
            g.push(&codes::KEY_FORMAT, &p, "accessKeyId is a temporary key (ASIA…): it needs a session token, which the SES connector cannot pass, so SES refuses it".into());
        } else if !(well_formed && id.starts_with("AKIA")) {
            g.push(&codes::KEY_FORMAT, &p, format!("accessKeyId ({} characters) does not look like an IAM access key id (AKIA + 16 upper-case letters or digits)", id.chars().count()));
        }
    }
    if let Some(r) = &region {
        if !region_looks_valid(r) {
            let p = g.path("region");
            g.push(&codes::REGION_MISMATCH, &p, format!("region `{r}` is not an AWS region name (like us-east-1): the SDK cannot reach SES"));
        }
        if let Some(a) = &arn {
            // arn:aws:ses:<region>:<account>:identity/<identity>
            let parts: Vec<&str> = a.splitn(6, ':').collect();
            if parts.len() == 6 && parts[2] == "ses" && parts[3] != r {
                let p = g.path("emailAddressIdentityArn");
                g.push(&codes::REGION_MISMATCH, &p, format!("the identity ARN is in region {} but region is {r}: SES identities are per region, so SES refuses the send", parts[3]));
            }
        }
    }
    let mut c = Checked::new(Kind::AwsSes, from, "emailAddress");
    c.region = region;
    c.secret = secret;
    c.key_id = key_id.map(crate::config::Secret::new);
    c.identity_arn = arn;
    c
}

#[cfg(test)]
mod tests {
    #[test]
    fn regions() {
        for ok in ["us-east-1", "eu-west-2", "us-gov-west-1", "ap-southeast-3"] {
            assert!(super::region_looks_valid(ok), "{ok}");
        }
        for bad in ["us-east", "US-EAST-1", "useast1", "eu-west-2a", ""] {
            assert!(!super::region_looks_valid(bad), "{bad}");
        }
    }
}
