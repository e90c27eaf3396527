//! Aliyun DirectMail. Shape from logto-io/logto `packages/connectors/connector-aliyun-dm/src/types.ts`
//! (commit 10d4c226): `{ accessKeyId, accessKeySecret, regionId?: enum(regionIds),
//! accountName, fromAlias?, templates: [{ usageType, subject, content }] }`; `accountName`
//! is the sender address created in the console. `regionIds` and each region's endpoint are
//! in src/constant.ts of the newer version (`regionConfigs`; 36299eba has neither); a config
//! guard of that version was not stored, so an unknown region stays a warning, not a refusal.

use super::guard::Guard;
use super::{Checked, Kind, codes};
use serde_json::{Map, Value};

/// Logto's `regionIds` and the endpoint it sends each to (src/constant.ts `regionConfigs`).
pub const REGIONS: [(&str, &str); 5] = [
    ("cn-hangzhou", "https://dm.aliyuncs.com/"),
    ("ap-southeast-1", "https://dm.ap-southeast-1.aliyuncs.com/"),
    ("ap-southeast-2", "https://dm.ap-southeast-2.aliyuncs.com/"),
    ("eu-central-1", "https://dm.eu-central-1.aliyuncs.com/"),
    ("us-east-1", "https://dm.us-east-1.aliyuncs.com/"),
];

/// The DirectMail endpoint Logto sends to for a region.
pub fn endpoint_of(region: &str) -> Option<&'static str> {
    REGIONS.iter().find(|(r, _)| *r == region).map(|(_, e)| *e)
}

pub fn check(obj: &Map<String, Value>, g: &mut Guard) -> Checked {
    let root = g.root.clone();
    let key_id = g
        .string(obj, &root, "accessKeyId", true)
        .map(str::to_string);
    let secret = g
        .string(obj, &root, "accessKeySecret", true)
        .map(crate::config::Secret::new);
    let region = g.string(obj, &root, "regionId", false).map(str::to_string);
    let from = g
        .string(obj, &root, "accountName", true)
        .map(str::to_string);
    g.string(obj, &root, "fromAlias", false);
    g.templates(obj, &root, &["subject", "content"]);
    if let Some(r) = region.as_ref().filter(|r| endpoint_of(r).is_none()) {
        let p = g.path("regionId");
        let known: Vec<&str> = REGIONS.iter().map(|(r, _)| *r).collect();
        g.push(&codes::REGION_MISMATCH, &p, format!("regionId `{r}` is not one of Logto's regionIds ({}): Logto refuses it or has no endpoint for it", known.join(", ")));
    }
    if let Some(id) = &key_id {
        // RAM AccessKey ids start with `LTAI` (Alibaba Cloud RAM docs; unverified for STS keys).
        if !id.starts_with("LTAI") {
            let p = g.path("accessKeyId");
            g.push(&codes::KEY_FORMAT, &p, format!("accessKeyId ({} characters) does not start with LTAI like an Alibaba Cloud RAM AccessKey id", id.chars().count()));
        }
    }
    let mut c = Checked::new(Kind::AliyunDm, from, "accountName");
    c.secret = secret;
    c.key_id = key_id.map(crate::config::Secret::new);
    c.region = Some(region.unwrap_or_else(|| "cn-hangzhou".into()));
    c
}
