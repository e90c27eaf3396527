//! Aliyun DirectMail. Shape from logto-io/logto `packages/connectors/connector-aliyun-dm/src/types.ts`
//! (commit 10d4c226): `{ accessKeyId, accessKeySecret, regionId?: enum(regionIds),
//! accountName, fromAlias?, templates: [{ usageType, subject, content }] }`; `accountName`
//! is the sender address created in the console. `regionIds` lives in src/constant.ts of a
//! newer version than the one stored (36299eba has no regionIds): the list below is NOT
//! verified, so an unknown region is a warning, not a refusal.

use super::guard::Guard;
use super::{Checked, Kind, codes};
use serde_json::{Map, Value};

/// Regions DirectMail is offered in (unverified; Alibaba Cloud DirectMail docs list
/// cn-hangzhou, ap-southeast-1, ap-southeast-2; eu-central-1 appears in DirectMail's own
/// console records quoted by public setup notes).
const KNOWN_REGIONS: [&str; 4] = [
    "cn-hangzhou",
    "ap-southeast-1",
    "ap-southeast-2",
    "eu-central-1",
];

pub fn check(obj: &Map<String, Value>, g: &mut Guard) -> Checked {
    let root = g.root.clone();
    let key_id = g
        .string(obj, &root, "accessKeyId", true)
        .map(str::to_string);
    g.string(obj, &root, "accessKeySecret", true);
    let region = g.string(obj, &root, "regionId", false).map(str::to_string);
    let from = g
        .string(obj, &root, "accountName", true)
        .map(str::to_string);
    g.string(obj, &root, "fromAlias", false);
    g.templates(obj, &root, &["subject", "content"]);
    if let Some(r) = region
        .as_ref()
        .filter(|r| !KNOWN_REGIONS.contains(&r.as_str()))
    {
        let p = g.path("regionId");
        g.push(&codes::REGION_MISMATCH, &p, format!("regionId `{r}` is not one of {} (list not verified against the connector's regionIds): Logto may refuse it", KNOWN_REGIONS.join(", ")));
    }
    if let Some(id) = &key_id {
        // RAM AccessKey ids start with `LTAI` (Alibaba Cloud RAM docs; unverified for STS keys).
        if !id.starts_with("LTAI") {
            let p = g.path("accessKeyId");
            g.push(&codes::KEY_FORMAT, &p, format!("accessKeyId ({} characters) does not start with LTAI like an Alibaba Cloud RAM AccessKey id", id.chars().count()));
        }
    }
    let mut c = Checked::new(Kind::AliyunDm, from, "accountName");
    c.region = Some(region.unwrap_or_else(|| "cn-hangzhou".into()));
    c
}
