//! Logto's other email connectors: each fixture's findings (codes and locations), and the
//! HTTP email connector's `--probe-endpoint` against a real HTTP server on loopback.

use mailpreflight::connectors::{self, Kind, http_probe};
use mailpreflight::dns::{Dns, DnsConfig};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn check(name: &str) -> connectors::Checked {
    let path = format!("{}/fixtures/connectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let kind = connectors::kind_of(name, &text, None).unwrap();
    connectors::check(name, &text, kind).unwrap()
}

fn codes(c: &connectors::Checked) -> Vec<(&'static str, String)> {
    c.findings
        .iter()
        .map(|f| (f.code.id, f.subject.clone()))
        .collect()
}

fn has(c: &connectors::Checked, code: &str, subject: &str) -> bool {
    codes(c).iter().any(|(id, s)| *id == code && s == subject)
}

#[test]
fn valid_configs_pass_logtos_validation() {
    for (name, kind, domain) in [
        (
            "sendgrid-valid.json",
            Kind::SendGrid,
            Some("auth.example.com"),
        ),
        ("mailgun-valid.json", Kind::Mailgun, Some("mg.example.com")),
        ("aws-ses-valid.json", Kind::AwsSes, Some("auth.example.com")),
        (
            "postmark-valid.json",
            Kind::Postmark,
            Some("auth.example.com"),
        ),
        (
            "aliyun-dm-valid.json",
            Kind::AliyunDm,
            Some("auth.example.com"),
        ),
        ("http-email-valid.json", Kind::HttpEmail, None),
    ] {
        let c = check(name);
        assert_eq!(c.kind, kind, "{name}");
        assert_eq!(c.from_domain.as_deref(), domain, "{name}");
        let errors: Vec<_> = c
            .findings
            .iter()
            .filter(|f| f.severity == mailpreflight::report::Severity::Error)
            .map(|f| f.message.clone())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    let m = check("mailgun-valid.json");
    assert_eq!(m.region.as_deref(), Some("eu"));
    // No key-format doubts either: the valid fixtures' keys have the providers' shapes.
    for name in ["postmark-valid.json", "aliyun-dm-valid.json"] {
        let c = check(name);
        assert!(
            !codes(&c)
                .iter()
                .any(|(id, _)| *id == "connector-key-format"),
            "{name}: {:?}",
            codes(&c)
        );
    }
    // Logto's Aliyun connector sends through cn-hangzhou unless regionId says otherwise.
    assert_eq!(
        check("aliyun-dm-valid.json").region.as_deref(),
        Some("cn-hangzhou")
    );
}

#[test]
fn sendgrid_broken() {
    let c = check("sendgrid-broken.json");
    assert!(
        has(&c, "connector-invalid", "$.templates[0].type"),
        "{:?}",
        codes(&c)
    );
    assert!(has(&c, "connector-invalid", "$.templates[1].type"));
    assert!(has(&c, "connector-invalid", "$.templates"));
    assert!(has(&c, "connector-key-format", "$.apiKey"));
    assert!(has(&c, "connector-no-from-domain", "$.fromEmail"));
    let refine = c
        .findings
        .iter()
        .find(|f| f.subject == "$.templates" && f.code.id == "connector-invalid")
        .unwrap();
    assert!(
        refine
            .message
            .contains("Template with UsageType (ForgotPassword, Generic) should be provided!"),
        "{}",
        refine.message
    );
    assert!(
        refine
            .message
            .contains("the real connector refuses this config")
    );
    // line:column of the offending value
    let loc = format!(
        "{:?}",
        c.findings
            .iter()
            .find(|f| f.subject == "$.templates[1].type")
            .unwrap()
            .evidence
    );
    assert!(loc.contains("sendgrid-broken.json:6:"), "{loc}");
    // the key's value never appears
    assert!(!format!("{:?}", c.findings).contains("not-a-sendgrid-key"));
}

#[test]
fn mailgun_broken() {
    let c = check("mailgun-broken.json");
    let all = codes(&c);
    assert!(has(&c, "connector-invalid", "$.endpoint"), "{all:?}");
    assert!(has(&c, "connector-invalid", "$.deliveries.SignIn"));
    assert!(has(&c, "connector-invalid", "$.deliveries.MfaVerification"));
    assert!(has(&c, "connector-key-format", "$.apiKey"));
    assert!(has(&c, "connector-template-unsupported", "$.deliveries"));
    assert_eq!(c.sending_domain.as_deref(), Some("mg.example.com"));
}

#[test]
fn ses_broken() {
    let c = check("aws-ses-broken.json");
    let all = codes(&c);
    assert!(has(&c, "connector-invalid", "$.accessKeySecret"), "{all:?}");
    assert!(has(&c, "connector-invalid", "$.templates"));
    assert!(has(&c, "connector-key-format", "$.accessKeyId"));
    assert!(has(
        &c,
        "connector-region-mismatch",
        "$.emailAddressIdentityArn"
    ));
    let secret = c
        .findings
        .iter()
        .find(|f| f.subject == "$.accessKeySecret")
        .unwrap();
    assert!(secret.message.contains("Expected string, received number"));
}

#[test]
fn postmark_and_aliyun_broken() {
    let p = check("postmark-broken.json");
    assert_eq!(p.kind, Kind::Postmark);
    assert!(
        has(&p, "connector-invalid", "$.templates[1].templateAlias"),
        "{:?}",
        codes(&p)
    );
    assert!(has(&p, "connector-key-format", "$.serverToken"));
    let a = check("aliyun-dm-broken.json");
    assert_eq!(a.kind, Kind::AliyunDm);
    // the Management API's connector object: paths under $.config
    assert!(
        has(&a, "connector-invalid", "$.config.templates"),
        "{:?}",
        codes(&a)
    );
    assert!(has(&a, "connector-region-mismatch", "$.config.regionId"));
    assert!(has(&a, "connector-key-format", "$.config.accessKeyId"));
}

#[test]
fn http_email_broken() {
    let c = check("http-email-broken.json");
    assert!(
        has(&c, "connector-http-endpoint-invalid", "$.endpoint"),
        "{:?}",
        codes(&c)
    );
    assert!(has(&c, "connector-invalid", "$.authorization"));
    assert!(c.http.is_none());
}

/// A one-request-per-connection HTTP server on loopback; `answer` picks the reply by path.
async fn server() -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // headers, then Content-Length bytes of body
                loop {
                    let n = s.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(i) = text.find("\r\n\r\n") {
                        let len: usize = text
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if buf.len() >= i + 4 + len {
                            break;
                        }
                    }
                }
                let req = String::from_utf8_lossy(&buf).to_string();
                let path = req.split(' ').nth(1).unwrap_or("/").to_string();
                tx.send(req).ok();
                let reply: String = match path.as_str() {
                    "/ok" => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".into(),
                    "/fail" => "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 11\r\n\r\nmail failed".into(),
                    "/moved" => "HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/send\r\nContent-Length: 0\r\n\r\n".into(),
                    _ => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".into()
                    }
                };
                s.write_all(reply.as_bytes()).await.ok();
                s.shutdown().await.ok();
            });
        }
    });
    (addr, rx)
}

fn offline_dns() -> Dns {
    Dns::new(DnsConfig {
        offline: true,
        ..DnsConfig::default()
    })
    .unwrap()
}

async fn probe(
    addr: std::net::SocketAddr,
    path: &str,
    timeout: Duration,
) -> http_probe::HttpProbeFacts {
    let url = http_probe::Url::parse(&format!("http://{addr}{path}")).unwrap();
    let payload = http_probe::payload("test@example.invalid", "SignIn", "123456");
    http_probe::probe(
        &offline_dns(),
        &url,
        Some("Bearer t0ken"),
        payload,
        timeout,
        &[],
    )
    .await
}

#[tokio::test]
async fn probe_200_sends_logtos_payload() {
    let (addr, mut rx) = server().await;
    let f = probe(addr, "/ok", Duration::from_secs(3)).await;
    assert_eq!(f.status, Some(200), "{f:?}");
    assert_eq!(f.body_start.as_deref(), Some("ok"));
    let req = rx.recv().await.unwrap();
    assert!(req.starts_with("POST /ok HTTP/1.1\r\n"), "{req}");
    assert!(req.contains("Content-Type: application/json\r\n"));
    assert!(req.contains("Authorization: Bearer t0ken\r\n"));
    let body: serde_json::Value =
        serde_json::from_str(req.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"to": "test@example.invalid", "type": "SignIn", "payload": {"code": "123456"}})
    );
}

#[tokio::test]
async fn probe_500_redirect_and_timeout() {
    let (addr, _rx) = server().await;
    let f = probe(addr, "/fail", Duration::from_secs(3)).await;
    assert_eq!(f.status, Some(500));
    assert_eq!(f.body_start.as_deref(), Some("mail failed"));
    let f = probe(addr, "/moved", Duration::from_secs(3)).await;
    assert_eq!(f.status, Some(302));
    assert_eq!(f.location.as_deref(), Some("http://elsewhere.example/send"));
    let f = probe(addr, "/slow", Duration::from_millis(300)).await;
    assert_eq!(f.status, None);
    assert!(
        f.error.as_deref().unwrap().contains("within 300 ms"),
        "{f:?}"
    );
    assert!(f.latency_ms >= 300.0 && f.latency_ms < 3000.0);
}

#[tokio::test]
async fn probe_closed_port() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let f = probe(addr, "/ok", Duration::from_secs(3)).await;
    assert!(
        f.error.as_deref().unwrap().starts_with("connect to"),
        "{f:?}"
    );
}
