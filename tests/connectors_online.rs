//! `audit --online` through the binary: a real HTTP server on loopback plays each provider's
//! API (the documented answers: 200 with realistic JSON, 401, 403, 404, 5xx, slow), reached
//! through `--api-base`; DNS comes from fixtures/connectors/online.zone under `--offline`.
//! Each scenario asserts the exact requests the provider received (method, path, auth header
//! form, no body) and the findings its answer gives; the coverage test at the end requires
//! every `connector-api-*` code to be raised by one scenario and absent from another. No
//! output may contain a credential of the config.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailpreflight::connectors::online;

/// A request as the server received it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    /// Lower-cased names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
    chunked: bool,
}

fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type", "application/json".into())],
        body: body.to_string(),
        delay: Duration::ZERO,
        chunked: false,
    }
}

type Route = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// A thread-per-connection HTTP/1.1 server on 127.0.0.1 that records every request.
struct Api {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Api {
    fn start(route: Route) -> Api {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { return };
                let (route, log) = (route.clone(), log.clone());
                std::thread::spawn(move || {
                    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
                    let Some(req) = read_request(&mut s) else {
                        return;
                    };
                    log.lock().unwrap().push(req.clone());
                    let r = route(&req);
                    std::thread::sleep(r.delay);
                    let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", r.status);
                    for (k, v) in &r.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    let body = if r.chunked {
                        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
                        let mid = r.body.len() / 2;
                        let (a, b) = r.body.split_at(mid);
                        format!("{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n", a.len(), b.len())
                    } else {
                        head.push_str(&format!("Content-Length: {}\r\n\r\n", r.body.len()));
                        r.body.clone()
                    };
                    s.write_all(head.as_bytes()).ok();
                    s.write_all(body.as_bytes()).ok();
                });
            }
        });
        Api { addr, seen }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_request(s: &mut std::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}

fn fixture(name: &str) -> String {
    format!("{}/fixtures/connectors/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Every credential in the fixture configs: none may appear in any output.
const SECRETS: &[&str] = &[
    "SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "key-0123456789abcdef0123456789abcdef",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAIOSFODNN7EXAMPLE",
    "11111111-2222-4333-8444-555555555555",
    "LTAI5tEXAMPLEKEYID000000",
    "aliyunSecretEXAMPLE0000000000",
];

struct Run {
    json: serde_json::Value,
    exit: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn codes(&self) -> BTreeSet<String> {
        self.json["targets"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    }
    fn finding(&self, code: &str) -> &serde_json::Value {
        self.json["targets"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {}", self.json["targets"][0]["findings"]))
    }
    fn api(&self) -> &serde_json::Value {
        &self.json["audit"]["connector"]["api"]
    }
}

fn audit(config: &str, extra: &[&str]) -> Run {
    let zone = fixture("online.zone");
    let cfg = fixture(config);
    let mut args = vec![
        "audit",
        "--config",
        &cfg,
        "--offline",
        "--zone",
        &zone,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = common::run(&args);
    let stdout = common::stdout(&out);
    let stderr = common::stderr(&out);
    for s in SECRETS {
        assert!(
            !stdout.contains(s) && !stderr.contains(s),
            "a credential ({s:.6}…) is in the output of {config}"
        );
    }
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    Run {
        json,
        exit: out.status.code(),
        stdout,
        stderr,
    }
}

fn online(config: &str, api: &Api, extra: &[&str]) -> Run {
    let base = api.base();
    let mut args = vec![
        "--online",
        "--api-base",
        base.as_str(),
        "--api-timeout",
        "2s",
    ];
    args.extend_from_slice(extra);
    audit(config, &args)
}

/// Every request is a GET with no body, JSON accepted.
fn assert_read_only(seen: &[Seen]) {
    assert!(!seen.is_empty(), "no request reached the API");
    for r in seen {
        assert_eq!(r.method, "GET", "{r:?}");
        assert!(r.body.is_empty(), "{r:?}");
        assert_eq!(r.header("content-length"), None, "{r:?}");
        assert_eq!(r.header("accept"), Some("application/json"));
    }
}

// ---------------------------------------------------------------- scenarios

struct Scenario {
    name: &'static str,
    config: &'static str,
    route: Route,
    expect: &'static [&'static str],
    absent: &'static [&'static str],
    /// Checks the requests and the report beyond the codes.
    check: fn(&[Seen], &Run),
}

fn fixed(r: Reply) -> Route {
    Arc::new(move |_| r.clone())
}

fn by_path(routes: Vec<(&'static str, Reply)>) -> Route {
    Arc::new(move |req| {
        routes
            .iter()
            .find(|(p, _)| req.path() == *p)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| reply(599, r#"{"message":"unexpected path in test"}"#))
    })
}

fn no_check(_: &[Seen], _: &Run) {}

const MAILGUN_ACTIVE: &str = r#"{
  "domain": {"created_at": "Tue, 14 Jul 2015 19:13:04 GMT", "id": "55a55f40803267158aa113e8",
    "is_disabled": false, "name": "mg.example.com", "require_tls": false, "skip_verification": false,
    "smtp_login": "postmaster@mg.example.com", "spam_action": "disabled", "state": "active",
    "type": "custom", "web_prefix": "email", "web_scheme": "https", "wildcard": false},
  "receiving_dns_records": [{"cached": [], "priority": "10", "record_type": "MX", "valid": "valid", "value": "mxa.eu.mailgun.org"}],
  "sending_dns_records": [
    {"cached": ["v=spf1 include:mailgun.org ~all"], "name": "mg.example.com", "record_type": "TXT", "valid": "valid", "value": "v=spf1 include:mailgun.org ~all"},
    {"cached": [], "name": "k1._domainkey.mg.example.com", "record_type": "TXT", "valid": "invalid", "value": "k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"},
    {"cached": [], "name": "email.mg.example.com", "record_type": "CNAME", "valid": "valid", "value": "eu.mailgun.org"}
  ]
}"#;

const SES_ACCOUNT_PRODUCTION: &str = r#"{"DedicatedIpAutoWarmupEnabled": false,
  "EnforcementStatus": "HEALTHY", "ProductionAccessEnabled": true, "SendingEnabled": true,
  "SendQuota": {"Max24HourSend": 50000.0, "MaxSendRate": 14.0, "SentLast24Hours": 12.0},
  "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}}"#;

const SES_IDENTITY_VERIFIED: &str = r#"{"IdentityType": "DOMAIN", "FeedbackForwardingStatus": true,
  "VerifiedForSendingStatus": true, "VerificationStatus": "SUCCESS",
  "DkimAttributes": {"SigningEnabled": true, "Status": "SUCCESS",
    "Tokens": ["abcdefgh1234", "ijklmnop5678", "qrstuvwx9012"], "SigningAttributesOrigin": "AWS_SES"},
  "MailFromAttributes": {"MailFromDomain": "mail.auth.example.com", "MailFromDomainStatus": "SUCCESS", "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"},
  "Policies": {}, "Tags": []}"#;

fn ses_error(status: u16, kind: &str, message: &str) -> Reply {
    let mut r = reply(status, &format!(r#"{{"message":"{message}"}}"#));
    r.headers.push((
        "x-amzn-ErrorType",
        format!("{kind}:http://internal.amazon.com/coral/com.amazon.coral.service/"),
    ));
    r
}

fn aliyun_summary(user_status: i64, addresses: i64) -> Reply {
    reply(
        200,
        &format!(
            r#"{{"EnableTimes":0,"SmsSign":0,"MonthQuota":60000,"Receivers":0,"DayuStatus":0,"DailyQuota":2000,
            "SmsRecord":0,"Tags":0,"Templates":1,"MailAddresses":{addresses},"RequestId":"82B295BB-7E69-491F-9896-ECEAFF09E1A4",
            "QuotaLevel":2,"MaxQuotaLevel":10,"Domains":1,"UserStatus":{user_status},"SmsTemplates":0,
            "RemainFreeQuota":1910,"DailyRemainFreeQuota":100,"IpChannelType":"normal"}}"#
        ),
    )
}

fn check_sendgrid_request(seen: &[Seen], run: &Run) {
    assert_read_only(seen);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "/v3/scopes");
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {}", SECRETS[0]).as_str())
    );
    let call = &run.api()["calls"][0];
    assert_eq!(call["action"], "ListScope");
    assert_eq!(call["method"], "GET");
    assert_eq!(call["status"], 200);
    assert!(call["url"].as_str().unwrap().ends_with("/v3/scopes"));
    assert_eq!(run.api()["credentials_valid"], "yes");
}

fn check_mailgun_request(seen: &[Seen], run: &Run) {
    use base64::Engine;
    assert_read_only(seen);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "/v4/domains/mg.example.com");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("api:{}", SECRETS[1]));
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    let _ = run;
}

fn check_mailgun_active(seen: &[Seen], run: &Run) {
    check_mailgun_request(seen, run);
    let mg = &run.api()["mailgun"];
    assert_eq!(mg["state"], "active");
    assert_eq!(mg["domain_type"], "custom");
    assert_eq!(mg["sending_dns_records"].as_array().unwrap().len(), 3);
    assert_eq!(mg["sending_dns_records"][1]["valid"], "invalid");
    let f = run.finding("connector-api-dns-record-invalid");
    assert_eq!(f["subject"], "k1._domainkey.mg.example.com");
    assert!(
        f["evidence"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("k=rsa; p=MIGf")
    );
    assert_eq!(run.api()["sending_ready"], "yes");
}

fn check_mailgun_404(seen: &[Seen], run: &Run) {
    check_mailgun_request(seen, run);
    let m = run.finding("connector-api-domain-not-found")["message"]
        .as_str()
        .unwrap()
        .to_string();
    // The config points at the EU endpoint: the other region is suggested.
    assert!(
        m.contains("EU region") && m.contains("https://api.mailgun.net"),
        "{m}"
    );
    assert_eq!(
        run.finding("connector-api-domain-not-found")["severity"],
        "error"
    );
}

fn check_postmark(seen: &[Seen], run: &Run) {
    assert_read_only(seen);
    assert_eq!(seen[0].target, "/server");
    assert_eq!(seen[0].header("x-postmark-server-token"), Some(SECRETS[4]));
    assert_eq!(seen[0].header("authorization"), None);
    // The 200 body lists the server's tokens (the config's among them): never echoed.
    assert_eq!(run.api()["postmark"]["server_name"], "Production Server");
}

/// The SigV4 Authorization header's structure, and its signature recomputed over what the
/// server received (host, path, X-Amz-Date) with the config's secret.
fn assert_sigv4(r: &Seen) {
    let date = r.header("x-amz-date").expect("X-Amz-Date");
    assert_eq!(date.len(), 16);
    assert!(date.as_bytes()[8] == b'T' && date.ends_with('Z'), "{date}");
    let auth = r.header("authorization").expect("Authorization");
    let prefix = format!(
        "AWS4-HMAC-SHA256 Credential={}/{}/eu-west-1/ses/aws4_request, SignedHeaders=host;x-amz-date, Signature=",
        SECRETS[3],
        &date[..8]
    );
    assert!(auth.starts_with(&prefix), "{auth}");
    let sig = &auth[prefix.len()..];
    assert!(
        sig.len() == 64 && sig.bytes().all(|b| b.is_ascii_hexdigit()),
        "{sig}"
    );
    let host = r.header("host").unwrap();
    let expect = online::sigv4::authorization(&online::sigv4::Input {
        method: "GET",
        host,
        path: r.path(),
        query: "",
        amz_date: date,
        region: "eu-west-1",
        service: "ses",
        key_id: SECRETS[3],
        secret: SECRETS[2],
    });
    assert_eq!(auth, expect);
}

fn check_ses_ok(seen: &[Seen], run: &Run) {
    assert_read_only(seen);
    let paths: Vec<&str> = seen.iter().map(Seen::path).collect();
    assert_eq!(
        paths,
        ["/v2/email/account", "/v2/email/identities/auth.example.com"]
    );
    seen.iter().for_each(assert_sigv4);
    let ses = &run.api()["ses"];
    assert_eq!(ses["region"], "eu-west-1");
    assert_eq!(ses["production_access_enabled"], true);
    assert_eq!(ses["max_24_hour_send"], 50000.0);
    assert_eq!(ses["identities"][0]["verified_for_sending"], true);
    assert_eq!(ses["identities"][0]["dkim_status"], "SUCCESS");
    assert_eq!(run.api()["sending_ready"], "yes");
    assert_eq!(run.api()["credentials_valid"], "yes");
}

fn check_ses_key_unknown(seen: &[Seen], run: &Run) {
    // A refused key ends the check: no identity is asked.
    assert_eq!(seen.len(), 1);
    assert_sigv4(&seen[0]);
    assert_eq!(run.api()["credentials_valid"], "no");
    let m = run.finding("connector-api-key-invalid")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(m.contains("UnrecognizedClientException"), "{m}");
}

fn check_ses_not_found(seen: &[Seen], run: &Run) {
    let paths: Vec<&str> = seen.iter().map(Seen::path).collect();
    assert_eq!(
        paths,
        [
            "/v2/email/account",
            "/v2/email/identities/auth.example.com",
            "/v2/email/identities/noreply%40auth.example.com"
        ]
    );
    seen.iter().for_each(assert_sigv4);
    let ids = run.api()["ses"]["identities"].as_array().unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|i| i["found"] == false));
}

fn check_aliyun(seen: &[Seen], run: &Run) {
    assert_read_only(seen);
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(r.path(), "/");
    let query = r.target.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = query
        .split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_string(), decode(v))
        })
        .collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("Action"), Some("DescAccountSummary"));
    assert_eq!(get("AccessKeyId"), Some(SECRETS[5]));
    assert_eq!(get("RegionId"), Some("ap-southeast-1"));
    assert_eq!(get("SignatureMethod"), Some("HMAC-SHA1"));
    assert_eq!(get("SignatureVersion"), Some("1.0"));
    assert_eq!(get("Version"), Some("2015-11-23"));
    assert_eq!(get("Format"), Some("JSON"));
    assert!(get("Timestamp").unwrap().ends_with('Z'));
    assert!(get("SignatureNonce").unwrap().len() >= 16);
    // The signature, recomputed over the other parameters with the config's secret.
    let others: Vec<(&str, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "Signature")
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let (_, sig) = online::aliyun::sign(&others, "GET", SECRETS[6]);
    assert_eq!(get("Signature"), Some(sig.as_str()));
    let _ = run;
}

fn check_aliyun_ok(seen: &[Seen], run: &Run) {
    check_aliyun(seen, run);
    let a = &run.api()["aliyun"];
    assert_eq!(a["user_status"], 0);
    assert_eq!(a["daily_quota"], 2000);
    assert_eq!(a["mail_addresses"], 2);
    assert_eq!(run.api()["credentials_valid"], "yes");
}

fn decode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 3 <= b.len() {
            out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn check_slow(seen: &[Seen], run: &Run) {
    assert_eq!(seen.len(), 1);
    let m = run.finding("connector-api-unreachable")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(m.contains("within 2000 ms"), "{m}");
    assert!(
        run.api()["calls"][0]["error"]
            .as_str()
            .unwrap()
            .contains("within")
    );
    // A warning: no answer is not proof that Logto cannot reach the API.
    assert_eq!(
        run.finding("connector-api-unreachable")["severity"],
        "warning"
    );
}

fn scenarios() -> Vec<Scenario> {
    let scopes = |s: &str| reply(200, &format!(r#"{{"scopes": [{s}]}}"#));
    let mut chunked = scopes(r#""mail.send", "alerts.create", "alerts.read""#);
    chunked.chunked = true;
    let mut slow = scopes(r#""mail.send""#);
    slow.delay = Duration::from_secs(4);
    let postmark_server = |delivery: &str| {
        reply(
            200,
            &format!(
                r#"{{"ID": 112412, "Name": "Production Server",
          "ApiTokens": ["11111111-2222-4333-8444-555555555555"], "Color": "blue",
          "SmtpApiActivated": true, "RawEmailEnabled": false, "DeliveryType": "{delivery}",
          "ServerLink": "https://account.postmarkapp.com/servers/112412/streams",
          "InboundAddress": "61d363165df897131e3fd15@inbound.postmarkapp.com", "InboundHookUrl": "",
          "BounceHookUrl": "", "OpenHookUrl": "", "DeliveryHookUrl": "", "PostFirstOpenOnly": false,
          "InboundDomain": "", "InboundHash": "61d363165df897131e3fd15", "InboundSpamThreshold": 0,
          "TrackOpens": false, "TrackLinks": "None", "IncludeBounceContentInHook": true,
          "ClickHookUrl": "", "EnableSmtpApiErrorHooks": false}}"#
            ),
        )
    };
    let mailgun = |state: &str, kind: &str, disabled: bool| {
        reply(
            200,
            &MAILGUN_ACTIVE
                .replace(r#""state": "active""#, &format!(r#""state": "{state}""#))
                .replace(r#""type": "custom""#, &format!(r#""type": "{kind}""#))
                .replace(
                    r#""is_disabled": false"#,
                    &format!(r#""is_disabled": {disabled}"#),
                ),
        )
    };
    let account = |production: bool, enabled: bool, status: &str, sent: f64| {
        reply(
            200,
            &SES_ACCOUNT_PRODUCTION
                .replace(
                    r#""ProductionAccessEnabled": true"#,
                    &format!(r#""ProductionAccessEnabled": {production}"#),
                )
                .replace(
                    r#""SendingEnabled": true"#,
                    &format!(r#""SendingEnabled": {enabled}"#),
                )
                .replace("HEALTHY", status)
                .replace(
                    r#""SentLast24Hours": 12.0"#,
                    &format!(r#""SentLast24Hours": {sent}"#),
                ),
        )
    };
    let identity_pending = reply(
        200,
        &SES_IDENTITY_VERIFIED
            .replace(
                r#""VerifiedForSendingStatus": true, "VerificationStatus": "SUCCESS""#,
                r#""VerifiedForSendingStatus": false, "VerificationStatus": "PENDING""#,
            )
            .replace(r#""Status": "SUCCESS""#, r#""Status": "PENDING""#)
            .replace(
                r#""MailFromDomainStatus": "SUCCESS""#,
                r#""MailFromDomainStatus": "FAILED""#,
            ),
    );
    let not_found = ses_error(404, "NotFoundException", "Email identity does not exist.");
    let aliyun_error = |status: u16, code: &str, msg: &str| {
        reply(
            status,
            &format!(
                r#"{{"RequestId":"5E9D7D4F-1E1B-4C2E-9A3B-0F2E2A1D3C4B","HostId":"dm.ap-southeast-1.aliyuncs.com","Code":"{code}","Message":"{msg}","Recommend":"https://api.aliyun.com/troubleshoot?q={code}"}}"#
            ),
        )
    };
    vec![
        Scenario {
            name: "sendgrid: key with mail.send (chunked answer)",
            config: "sendgrid-valid.json",
            route: fixed(chunked),
            expect: &["connector-api-cannot-tell"],
            absent: &[
                "connector-api-key-invalid",
                "connector-api-key-lacks-send-scope",
                "connector-api-unexpected-answer",
                "connector-api-unreachable",
                "connector-online-not-applicable",
            ],
            check: |seen, run| {
                check_sendgrid_request(seen, run);
                assert_eq!(run.api()["sendgrid"]["mail_send_scope"], true);
                assert_eq!(run.api()["sendgrid"]["scope_count"], 3);
            },
        },
        Scenario {
            name: "sendgrid: key without mail.send",
            config: "sendgrid-valid.json",
            route: fixed(scopes(r#""alerts.read", "stats.read""#)),
            expect: &["connector-api-key-lacks-send-scope"],
            absent: &["connector-api-key-invalid", "connector-api-access-denied"],
            check: |seen, run| {
                check_sendgrid_request(seen, run);
                assert_eq!(run.api()["sending_ready"], "no");
                assert_eq!(
                    run.finding("connector-api-key-lacks-send-scope")["severity"],
                    "error"
                );
            },
        },
        Scenario {
            name: "sendgrid: 401",
            config: "sendgrid-valid.json",
            route: fixed(reply(
                401,
                r#"{"errors":[{"field":null,"message":"authorization required"}]}"#,
            )),
            expect: &["connector-api-key-invalid"],
            absent: &[
                "connector-api-key-lacks-send-scope",
                "connector-api-cannot-tell",
            ],
            check: |_, run| {
                assert_eq!(run.api()["credentials_valid"], "no");
                let m = run.finding("connector-api-key-invalid")["message"]
                    .as_str()
                    .unwrap();
                assert!(m.contains("authorization required"), "{m}");
                assert_eq!(
                    run.finding("connector-api-key-invalid")["severity"],
                    "error"
                );
            },
        },
        Scenario {
            name: "sendgrid: 403",
            config: "sendgrid-valid.json",
            route: fixed(reply(
                403,
                r#"{"errors":[{"message":"access forbidden","field":"null"}]}"#,
            )),
            expect: &["connector-api-access-denied"],
            absent: &["connector-api-key-invalid"],
            check: |_, run| assert_eq!(run.api()["credentials_valid"], "cannot-tell"),
        },
        Scenario {
            name: "sendgrid: 500",
            config: "sendgrid-valid.json",
            route: fixed(reply(
                500,
                r#"{"errors":[{"field":null,"message":"internal error"}]}"#,
            )),
            expect: &["connector-api-unexpected-answer"],
            absent: &["connector-api-key-invalid", "connector-api-unreachable"],
            check: |_, run| {
                let m = run.finding("connector-api-unexpected-answer")["message"]
                    .as_str()
                    .unwrap();
                assert!(
                    m.contains("500") && m.contains("server error") && m.contains("internal error"),
                    "{m}"
                );
            },
        },
        Scenario {
            name: "sendgrid: 200 that is not JSON",
            config: "sendgrid-valid.json",
            route: fixed(reply(200, "<html>captive portal</html>")),
            expect: &["connector-api-unexpected-answer"],
            absent: &["connector-api-key-invalid"],
            check: |_, run| assert_eq!(run.api()["credentials_valid"], "cannot-tell"),
        },
        Scenario {
            name: "sendgrid: slower than --api-timeout",
            config: "sendgrid-valid.json",
            route: fixed(slow),
            expect: &["connector-api-unreachable"],
            absent: &[
                "connector-api-unexpected-answer",
                "connector-api-key-invalid",
            ],
            check: check_slow,
        },
        Scenario {
            name: "mailgun: active domain, one DKIM record invalid",
            config: "mailgun-valid.json",
            route: fixed(reply(200, MAILGUN_ACTIVE)),
            expect: &["connector-api-dns-record-invalid"],
            absent: &[
                "connector-api-domain-unverified",
                "connector-api-sandbox",
                "connector-api-sending-disabled",
                "connector-api-domain-not-found",
                "connector-api-access-denied",
            ],
            check: check_mailgun_active,
        },
        Scenario {
            name: "mailgun: unverified sandbox domain",
            config: "mailgun-valid.json",
            route: fixed(mailgun("unverified", "sandbox", false)),
            expect: &["connector-api-domain-unverified", "connector-api-sandbox"],
            absent: &["connector-api-sending-disabled"],
            check: |seen, run| {
                check_mailgun_request(seen, run);
                assert_eq!(run.api()["sending_ready"], "no");
            },
        },
        Scenario {
            name: "mailgun: disabled domain",
            config: "mailgun-valid.json",
            route: fixed(mailgun("disabled", "custom", true)),
            expect: &["connector-api-sending-disabled"],
            absent: &["connector-api-domain-unverified", "connector-api-sandbox"],
            check: check_mailgun_request,
        },
        Scenario {
            name: "mailgun: 404 (other region)",
            config: "mailgun-valid.json",
            route: fixed(reply(404, r#"{"message":"Domain not found"}"#)),
            expect: &["connector-api-domain-not-found"],
            absent: &["connector-api-key-invalid", "connector-api-access-denied"],
            check: check_mailgun_404,
        },
        Scenario {
            name: "mailgun: 401 (wrong key, or a domain sending key)",
            config: "mailgun-valid.json",
            route: fixed(Reply {
                headers: vec![],
                ..reply(401, "Forbidden")
            }),
            expect: &["connector-api-access-denied"],
            absent: &[
                "connector-api-key-invalid",
                "connector-api-domain-not-found",
            ],
            check: |seen, run| {
                check_mailgun_request(seen, run);
                let m = run.finding("connector-api-access-denied")["message"]
                    .as_str()
                    .unwrap();
                assert!(
                    m.contains("domain sending key") && m.contains("Forbidden"),
                    "{m}"
                );
            },
        },
        Scenario {
            name: "postmark: live server",
            config: "postmark-online.json",
            route: fixed(postmark_server("Live")),
            expect: &["connector-api-cannot-tell"],
            absent: &["connector-api-sandbox", "connector-api-key-invalid"],
            check: |seen, run| {
                check_postmark(seen, run);
                assert_eq!(run.api()["postmark"]["delivery_type"], "Live");
                assert_eq!(run.api()["credentials_valid"], "yes");
            },
        },
        Scenario {
            name: "postmark: sandbox server",
            config: "postmark-online.json",
            route: fixed(postmark_server("Sandbox")),
            expect: &["connector-api-sandbox"],
            absent: &["connector-api-key-invalid"],
            check: check_postmark,
        },
        Scenario {
            name: "postmark: 401",
            config: "postmark-online.json",
            route: fixed(reply(
                401,
                r#"{"ErrorCode":10,"Message":"The Server Token you provided in the X-Postmark-Server-Token request header was invalid. Please verify that you are using a valid token."}"#,
            )),
            expect: &["connector-api-key-invalid"],
            absent: &["connector-api-sandbox", "connector-api-cannot-tell"],
            check: |seen, _| {
                assert_eq!(seen[0].header("x-postmark-server-token"), Some(SECRETS[4]))
            },
        },
        Scenario {
            name: "ses: production account, verified domain",
            config: "aws-ses-valid.json",
            route: by_path(vec![
                ("/v2/email/account", reply(200, SES_ACCOUNT_PRODUCTION)),
                (
                    "/v2/email/identities/auth.example.com",
                    reply(200, SES_IDENTITY_VERIFIED),
                ),
            ]),
            expect: &[],
            absent: &[
                "connector-api-sandbox",
                "connector-api-domain-unverified",
                "connector-api-dns-record-invalid",
                "connector-api-quota-exhausted",
                "connector-api-account-at-risk",
                "connector-api-sending-disabled",
                "connector-api-key-invalid",
                "connector-api-domain-not-found",
            ],
            check: check_ses_ok,
        },
        Scenario {
            name: "ses: sandbox on probation, identity pending",
            config: "aws-ses-valid.json",
            route: by_path(vec![
                ("/v2/email/account", account(false, true, "PROBATION", 12.0)),
                ("/v2/email/identities/auth.example.com", identity_pending),
            ]),
            expect: &[
                "connector-api-sandbox",
                "connector-api-account-at-risk",
                "connector-api-domain-unverified",
                "connector-api-dns-record-invalid",
            ],
            absent: &[
                "connector-api-sending-disabled",
                "connector-api-quota-exhausted",
            ],
            check: |seen, run| {
                seen.iter().for_each(assert_sigv4);
                let dkim = run.json["targets"][0]["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| {
                        f["code"] == "connector-api-dns-record-invalid"
                            && f["subject"] == "auth.example.com"
                    })
                    .expect("the DKIM finding");
                let names = dkim["evidence"][0]["names"].as_array().unwrap();
                assert_eq!(
                    names[0],
                    "abcdefgh1234._domainkey.auth.example.com CNAME abcdefgh1234.dkim.amazonses.com"
                );
                assert!(
                    run.json["targets"][0]["findings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|f| f["code"] == "connector-api-dns-record-invalid"
                            && f["subject"] == "mail.auth.example.com")
                );
                assert_eq!(run.api()["sending_ready"], "no");
            },
        },
        Scenario {
            name: "ses: sending paused, quota used up",
            config: "aws-ses-valid.json",
            route: by_path(vec![
                (
                    "/v2/email/account",
                    account(true, false, "SHUTDOWN", 50000.0),
                ),
                (
                    "/v2/email/identities/auth.example.com",
                    reply(200, SES_IDENTITY_VERIFIED),
                ),
            ]),
            expect: &[
                "connector-api-sending-disabled",
                "connector-api-quota-exhausted",
            ],
            absent: &["connector-api-sandbox", "connector-api-account-at-risk"],
            check: no_check,
        },
        Scenario {
            name: "ses: unknown access key",
            config: "aws-ses-valid.json",
            route: fixed(ses_error(
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )),
            expect: &["connector-api-key-invalid"],
            absent: &["connector-api-sandbox", "connector-api-domain-not-found"],
            check: check_ses_key_unknown,
        },
        Scenario {
            name: "ses: wrong secret (error type in the body)",
            config: "aws-ses-valid.json",
            route: fixed(reply(
                403,
                r#"{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided."}"#,
            )),
            expect: &["connector-api-key-invalid"],
            absent: &["connector-api-unexpected-answer"],
            check: |seen, run| {
                assert_eq!(seen.len(), 1);
                let m = run.finding("connector-api-key-invalid")["message"]
                    .as_str()
                    .unwrap();
                assert!(m.contains("secret"), "{m}");
            },
        },
        Scenario {
            name: "ses: GetAccount denied, identities not found",
            config: "aws-ses-valid.json",
            route: by_path(vec![
                (
                    "/v2/email/account",
                    ses_error(
                        403,
                        "AccessDeniedException",
                        "User is not authorized to perform: ses:GetAccount",
                    ),
                ),
                ("/v2/email/identities/auth.example.com", not_found.clone()),
                ("/v2/email/identities/noreply%40auth.example.com", not_found),
            ]),
            expect: &[
                "connector-api-access-denied",
                "connector-api-domain-not-found",
            ],
            absent: &["connector-api-key-invalid", "connector-api-sandbox"],
            check: check_ses_not_found,
        },
        Scenario {
            name: "aliyun: normal account",
            config: "aliyun-dm-online.json",
            route: fixed(aliyun_summary(0, 2)),
            expect: &["connector-api-cannot-tell"],
            absent: &[
                "connector-api-sending-disabled",
                "connector-api-key-invalid",
                "connector-api-domain-not-found",
            ],
            check: check_aliyun_ok,
        },
        Scenario {
            name: "aliyun: outbound mail restricted, no sender address",
            config: "aliyun-dm-online.json",
            route: fixed(aliyun_summary(4, 0)),
            expect: &[
                "connector-api-sending-disabled",
                "connector-api-domain-not-found",
            ],
            absent: &["connector-api-key-invalid"],
            check: |seen, run| {
                check_aliyun(seen, run);
                let m = run.finding("connector-api-sending-disabled")["message"]
                    .as_str()
                    .unwrap();
                assert!(m.contains("outbound mail restricted"), "{m}");
            },
        },
        Scenario {
            name: "aliyun: unknown AccessKey id",
            config: "aliyun-dm-online.json",
            route: fixed(aliyun_error(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            )),
            expect: &["connector-api-key-invalid"],
            absent: &["connector-api-access-denied", "connector-api-cannot-tell"],
            check: check_aliyun,
        },
        Scenario {
            name: "aliyun: signature mismatch",
            config: "aliyun-dm-online.json",
            route: fixed(aliyun_error(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            )),
            expect: &["connector-api-key-invalid"],
            absent: &["connector-api-unexpected-answer"],
            check: no_check,
        },
        Scenario {
            name: "aliyun: RAM user without DirectMail read",
            config: "aliyun-dm-online.json",
            route: fixed(aliyun_error(
                403,
                "Forbidden.RAM",
                "User not authorized to operate on the specified resource.",
            )),
            expect: &["connector-api-access-denied"],
            absent: &["connector-api-key-invalid"],
            check: no_check,
        },
        Scenario {
            name: "aliyun: 503",
            config: "aliyun-dm-online.json",
            route: fixed(aliyun_error(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            )),
            expect: &["connector-api-unexpected-answer"],
            absent: &["connector-api-key-invalid", "connector-api-access-denied"],
            check: no_check,
        },
        Scenario {
            name: "http-email: nothing to ask",
            config: "http-email-valid.json",
            route: fixed(reply(200, "{}")),
            expect: &["connector-online-not-applicable"],
            absent: &["connector-api-unreachable"],
            check: |seen, run| {
                assert!(seen.is_empty(), "{seen:?}");
                assert!(run.api().is_null());
            },
        },
    ]
}

#[test]
fn every_online_scenario_and_every_api_code() {
    let mut failures = Vec::new();
    let mut positive: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut negative: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut keys = BTreeSet::new();
    for sc in scenarios() {
        let api = Api::start(sc.route.clone());
        let run = online(sc.config, &api, &[]);
        let raised = run.codes();
        for code in sc.expect {
            if raised.contains(*code) {
                positive.entry(code).or_default().push(sc.name);
            } else {
                failures.push(format!("{}: expected {code}, raised {raised:?}", sc.name));
            }
        }
        for code in sc.absent {
            if raised.contains(*code) {
                failures.push(format!(
                    "{}: {code} must not be raised, raised {raised:?}",
                    sc.name
                ));
            } else {
                negative.entry(code).or_default().push(sc.name);
            }
        }
        common::json_keys(&run.json["audit"]["connector"], &mut keys);
        let seen = api.seen();
        if let Err(e) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (sc.check)(&seen, &run)))
        {
            let why = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {why}", sc.name));
        }
        // Findings, never a usage error or a crash, whatever the API answered.
        assert!(
            matches!(run.exit, Some(0 | 1)),
            "{}: exit {:?}: {}",
            sc.name,
            run.exit,
            run.stderr
        );
        assert!(run.stdout.contains("\"schema_version\""));
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every field the connector block showed is documented.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json-schema.md"))
        .unwrap();
    let undocumented: Vec<_> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")) && !doc.contains(&format!("\"{k}\"")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "fields missing from docs/json-schema.md: {undocumented:?}"
    );
    assert!(keys.contains("sent_last_24_hours") && keys.contains("mail_send_scope"));
    let mut gaps = Vec::new();
    for code in online::codes::ALL {
        if !positive.contains_key(code.id) {
            gaps.push(format!("{}: no scenario raises it", code.id));
        }
        if !negative.contains_key(code.id) {
            gaps.push(format!("{}: no scenario shows it absent", code.id));
        }
    }
    assert!(gaps.is_empty(), "coverage gaps:\n{}", gaps.join("\n"));
}

#[test]
fn without_online_nothing_is_called() {
    let api = Api::start(fixed(reply(200, r#"{"scopes":["mail.send"]}"#)));
    let base = api.base();
    let run = audit("sendgrid-valid.json", &["--api-base", &base]);
    assert!(api.seen().is_empty());
    assert!(run.api().is_null());
    assert!(
        run.codes().iter().all(|c| !c.starts_with("connector-api-")),
        "{:?}",
        run.codes()
    );
}

#[test]
fn a_closed_port_is_unreachable_not_a_crash() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let run = audit("postmark-online.json", &["--online", "--api-base", &base]);
    let m = run.finding("connector-api-unreachable")["message"]
        .as_str()
        .unwrap();
    assert!(m.contains("GetServer") && m.contains("connect to"), "{m}");
    assert_eq!(run.api()["calls"][0]["status"], serde_json::Value::Null);
    assert!(
        run.api()["calls"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("connect to")
    );
    assert_eq!(
        run.finding("connector-api-unreachable")["severity"],
        "warning"
    );
}

#[test]
fn the_table_output_keeps_credentials_out_too() {
    // Postmark's 200 body carries the server's own tokens; the table renders every finding.
    let api = Api::start(fixed(reply(
        401,
        r#"{"ErrorCode":10,"Message":"Bad token 11111111-2222-4333-8444-555555555555"}"#,
    )));
    let base = api.base();
    let zone = fixture("online.zone");
    let cfg = fixture("postmark-online.json");
    let out = common::run(&[
        "audit",
        "--config",
        &cfg,
        "--offline",
        "--zone",
        &zone,
        "--online",
        "--api-base",
        &base,
        "-v",
    ]);
    let text = format!("{}{}", common::stdout(&out), common::stderr(&out));
    assert!(text.contains("connector-api-key-invalid"), "{text}");
    assert!(
        text.contains("Bad token ***"),
        "the echoed token is masked: {text}"
    );
    for s in SECRETS {
        assert!(!text.contains(s), "{s:.6}… in the table output");
    }
}

#[test]
fn bad_api_bases_are_usage_errors() {
    for (base, why) in [
        ("http://192.0.2.1:8080", "plain http"),
        ("http://127.0.0.1:1/v3", "scheme://host[:port] only"),
        ("ftp://127.0.0.1", "http://"),
    ] {
        let zone = fixture("online.zone");
        let cfg = fixture("sendgrid-valid.json");
        let out = common::run(&[
            "audit",
            "--config",
            &cfg,
            "--offline",
            "--zone",
            &zone,
            "--online",
            "--api-base",
            base,
        ]);
        assert_eq!(out.status.code(), Some(2), "{base}");
        assert!(
            common::stderr(&out).contains(why),
            "{base}: {}",
            common::stderr(&out)
        );
    }
    let out = common::run(&[
        "audit",
        "--config",
        &fixture("sendgrid-valid.json"),
        "--offline",
        "--online",
        "--api-timeout",
        "0s",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_base_also_comes_from_the_environment() {
    let api = Api::start(fixed(reply(200, r#"{"scopes":["mail.send"]}"#)));
    let zone = fixture("online.zone");
    let cfg = fixture("sendgrid-valid.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
        .args([
            "audit",
            "--config",
            &cfg,
            "--offline",
            "--zone",
            &zone,
            "--online",
            "--format",
            "json",
        ])
        .env("MAILPREFLIGHT_API_BASE", api.base())
        .output()
        .unwrap();
    assert_eq!(api.seen().len(), 1, "{}", common::stderr(&out));
    assert_eq!(api.seen()[0].target, "/v3/scopes");
}

#[test]
fn ses_stops_when_the_api_does_not_answer() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let run = audit("aws-ses-valid.json", &["--online", "--api-base", &base]);
    let calls = run.api()["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["action"], "GetAccount");
    let unreachable = run.json["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "connector-api-unreachable")
        .count();
    assert_eq!(unreachable, 1);
}

/// One HTTPS exchange on loopback with a certificate from a throwaway CA: the library call
/// verifies it against the CA given (and refuses it without), and sends SNI `localhost`.
#[tokio::test]
async fn https_calls_verify_the_certificate() {
    use mailpreflight::connectors::{self, Kind, http_probe::Url};
    use mailpreflight::dns::{Dns, DnsConfig};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = common::TempDir::new("online-tls");
    let ca = common::pki::Ca::new("online test CA");
    let cert = ca.issue(common::pki::Kind::Valid, dir.path(), "api");
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert.pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(&cert.key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let sni = tls.get_ref().1.server_name().map(str::to_string);
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                tx.send((sni, String::from_utf8_lossy(&buf).to_string()))
                    .ok();
                let body = r#"{"scopes":["mail.send"]}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                tls.write_all(answer.as_bytes()).await.ok();
                tls.shutdown().await.ok();
            });
        }
    });

    let text = std::fs::read_to_string(fixture("sendgrid-valid.json")).unwrap();
    let c = connectors::check("sendgrid-valid.json", &text, Kind::SendGrid).unwrap();
    let dns = Dns::new(DnsConfig {
        offline: true,
        ..DnsConfig::default()
    })
    .unwrap();
    let opts = online::ApiOptions {
        base: Some(Url::parse(&format!("https://localhost:{port}")).unwrap()),
        timeout: Duration::from_secs(5),
    };

    let (findings, facts) = online::check(&dns, &c, &opts, std::slice::from_ref(&ca.pem)).await;
    let facts = facts.unwrap();
    let call = &facts.calls[0];
    assert_eq!(call.status, Some(200), "{call:?} {findings:?}");
    assert_eq!(call.tls_version.as_deref(), Some("TLSv1_3"));
    assert_eq!(call.url, format!("https://localhost:{port}/v3/scopes"));
    assert_eq!(
        serde_json::to_value(facts.credentials_valid).unwrap(),
        "yes"
    );
    let (sni, req) = rx.recv().await.unwrap();
    assert_eq!(sni.as_deref(), Some("localhost"));
    assert!(req.starts_with("GET /v3/scopes HTTP/1.1\r\n"), "{req}");
    assert!(
        req.contains(&format!("\r\nHost: localhost:{port}\r\n")),
        "{req}"
    );

    // Without the CA the certificate is not trusted: no answer, a finding, no crash.
    let (findings, facts) = online::check(&dns, &c, &opts, &[]).await;
    let call = &facts.unwrap().calls[0];
    assert!(
        call.error
            .as_deref()
            .unwrap()
            .contains("fails verification against the public roots Node trusts"),
        "{call:?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.code.id == "connector-api-unreachable")
    );
}
