//! A minimal HTTP/1.1 client (tokio, and tokio-rustls for https): one request per connection,
//! `Connection: close`, redirects reported and never followed, the whole exchange under one
//! timeout, the body bounded ([`super::http_response`] reads the answer). [`probe`] is
//! `--probe-endpoint`: it POSTs the payload Logto's HTTP email connector sends to the
//! configured endpoint, once, and keeps at most [`MAX_BODY`] bytes of the answer; `--online`
//! makes its read-only provider calls through [`send`].

use super::http_response::Response;
use crate::dns::{Dns, RType};
use crate::smtp::tls::CertVerdict;
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Body bytes kept for the report.
pub const MAX_BODY: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, as sent on the request line.
    pub target: String,
}

impl Url {
    pub fn parse(s: &str) -> Result<Url, String> {
        let (https, rest) = if let Some(r) = s.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("http://") {
            (false, r)
        } else {
            return Err("it must start with http:// or https://".into());
        };
        let (authority, target) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            return Err("credentials in the URL are not supported; use authorization".into());
        }
        let default = if https { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or("unclosed [ in the host")?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| "bad port")?,
                None if after.is_empty() => default,
                None => return Err("junk after the IPv6 host".into()),
            };
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| "bad port")?),
                None => (authority.to_string(), default),
            }
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err("no host".into());
        }
        if target.contains(char::is_whitespace) {
            return Err("spaces in the path".into());
        }
        Ok(Url {
            https,
            host: host.to_ascii_lowercase(),
            port,
            target,
        })
    }

    /// The Host field's value: the host, and the port unless it is the scheme's default.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == if self.https { 443 } else { 80 } {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// Scheme, host, port and path: the query (which may carry a token) is left out.
    pub fn display(&self) -> String {
        let path = self.target.split('?').next().unwrap_or("/");
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "{}://{host}:{}{path}",
            if self.https { "https" } else { "http" },
            self.port
        )
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct HttpProbeFacts {
    /// The endpoint called (without its query).
    pub endpoint: String,
    /// The JSON body sent (Logto's payload; a test recipient and code).
    pub payload: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// From the first byte sent to the end of the answer (or the failure).
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cipher: Option<String>,
    /// The certificate verdict by Node's rules (https only); anything but `trusted` stops
    /// the probe before the request (and its authorization header) is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<crate::smtp::tls::CertVerdict>,
    /// A redirect's Location header (not followed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The first bytes of the body, lossily decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_start: Option<String>,
    /// What failed, when there is no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The payload Logto sends (connector-http-email src/index.ts): `{ to, type, payload }`
/// (`ip` only when the request had one; the probe sends none).
pub fn payload(to: &str, usage: &str, code: &str) -> serde_json::Value {
    serde_json::json!({ "to": to, "type": usage, "payload": { "code": code } })
}

async fn resolve(dns: &Dns, host: &str) -> Result<IpAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    if host == "localhost" {
        return Ok(IpAddr::from([127, 0, 0, 1]));
    }
    let a = dns.query(host, RType::A).await;
    if let Some(ip) = a.ips().first() {
        return Ok(*ip);
    }
    let aaaa = dns.query(host, RType::AAAA).await;
    aaaa.ips()
        .first()
        .copied()
        .ok_or_else(|| format!("{host} has no address ({:?})", a.outcome))
}

/// One request: the method, the URL, extra header fields and the body.
pub struct Request {
    pub method: &'static str,
    pub url: Url,
    /// Extra fields, e.g. the authorization. Values may be secrets: they go on the wire and
    /// nowhere else (no error or fact quotes a request).
    pub headers: Vec<(String, String)>,
    /// Sent with `Content-Type` and `Content-Length` when non-empty (or for a POST).
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

impl Request {
    /// The request's bytes. The Host field leaves out the scheme's default port, as clients do
    /// (AWS signs the Host as sent).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\n",
            self.method,
            self.url.target,
            self.url.host_header()
        );
        if !self.body.is_empty() || self.method == "POST" {
            head.push_str(&format!(
                "Content-Type: {}\r\nContent-Length: {}\r\n",
                self.content_type,
                self.body.len()
            ));
        }
        head.push_str(&format!(
            "Connection: close\r\nUser-Agent: mailpreflight/{}\r\n",
            env!("CARGO_PKG_VERSION")
        ));
        for (name, value) in &self.headers {
            // A CR/LF in a value would split the request.
            head.push_str(&format!("{name}: {}\r\n", value.replace(['\r', '\n'], "")));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

/// What one exchange gave: where it went, TLS, how long it took, and the answer or what
/// failed (DNS, connect, TLS, the timeout, a malformed answer).
#[derive(Debug)]
pub struct Exchange {
    pub address: Option<String>,
    pub tls_version: Option<String>,
    pub tls_cipher: Option<String>,
    /// https: Node's verdict on the certificate (anything but trusted: nothing was sent).
    pub certificate: Option<CertVerdict>,
    /// From the first step to the end of the answer (or the failure).
    pub latency_ms: f64,
    pub result: Result<Response, String>,
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    req: &[u8],
    max_body: usize,
) -> Result<Response, String> {
    s.write_all(req).await.map_err(|e| format!("send: {e}"))?;
    s.flush().await.map_err(|e| format!("send: {e}"))?;
    super::http_response::read(&mut s, max_body).await
}

/// Sends `req` once under one `timeout` covering DNS, connect, TLS and the answer, and keeps
/// at most `max_body` bytes of the body. Never fails: what went wrong is in `result`.
pub async fn send(
    dns: &Dns,
    req: &Request,
    timeout: Duration,
    ca_pem: &[String],
    max_body: usize,
) -> Exchange {
    let url = &req.url;
    let bytes = req.to_bytes();
    let mut facts = Exchange {
        address: None,
        tls_version: None,
        tls_cipher: None,
        certificate: None,
        latency_ms: 0.0,
        result: Err(String::new()),
    };
    let started = Instant::now();
    let run = async {
        let ip = resolve(dns, &url.host).await?;
        facts.address = Some(SocketAddr::new(ip, url.port).to_string());
        let tcp = TcpStream::connect((ip, url.port))
            .await
            .map_err(|e| format!("connect to {}: {e}", SocketAddr::new(ip, url.port)))?;
        if url.https {
            let (config, verifier) = crate::smtp::tls::client_config(
                &crate::smtp::trust::node_trust(ca_pem, &Default::default()),
                false,
            )?;
            let name = rustls::pki_types::ServerName::try_from(url.host.clone())
                .map_err(|e| format!("bad TLS server name: {e}"))?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS handshake: {e}"))?;
            let (_, conn) = tls.get_ref();
            facts.tls_version = conn.protocol_version().map(|v| format!("{v:?}"));
            facts.tls_cipher = conn
                .negotiated_cipher_suite()
                .map(|c| format!("{:?}", c.suite()));
            // The recording verifier lets every handshake finish (the SMTP probe reports
            // why a certificate fails); a request carries credentials, so it goes only to a
            // server whose certificate verifies, as Logto's HTTP client (Node) requires:
            // nothing is sent over any other, not the payload and not the authorization.
            let refusal = certificate_refusal(verifier.outcome(), &url.host, ca_pem.is_empty());
            facts.certificate = Some(refusal.0);
            if let Some(why) = refusal.1 {
                return Err(why);
            }
            exchange(tls, &bytes, max_body).await
        } else {
            exchange(tcp, &bytes, max_body).await
        }
    };
    let result = tokio::time::timeout(timeout, run).await;
    facts.latency_ms = crate::check::millis(started);
    facts.result = match result {
        Err(_) => Err(format!(
            "no complete answer within {} ms",
            timeout.as_millis()
        )),
        Ok(r) => r,
    };
    facts
}

/// The verdict on the endpoint's certificate, and why Node would refuse it (if it would).
fn certificate_refusal(
    seen: Option<(CertVerdict, Vec<rustls::pki_types::CertificateDer<'static>>)>,
    host: &str,
    public_roots: bool,
) -> (CertVerdict, Option<String>) {
    let Some((verdict, chain)) = seen else {
        let v = CertVerdict::Other {
            reason: "no certificate seen".into(),
        };
        return (v, Some("TLS: the server sent no certificate".into()));
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let leaf = chain
        .first()
        .and_then(|c| crate::smtp::tls::certificate_facts(c, now));
    let altnames: Vec<String> = leaf
        .as_ref()
        .map(|c| c.san_dns.iter().chain(&c.san_ip).cloned().collect())
        .unwrap_or_default();
    let Some(message) = verdict.node_message(host, &altnames) else {
        return (verdict, None);
    };
    let trusted_by = if public_roots {
        "the public roots Node trusts"
    } else {
        "the CAs given with --endpoint-ca (which replace the public roots)"
    };
    let desc = leaf.map_or(String::new(), |c| {
        format!(" (subject {}, issuer {})", c.subject, c.issuer)
    });
    let why = format!(
        "TLS: the certificate of {host} fails verification against {trusted_by}: {message}{desc}; Logto's HTTP client refuses it, so nothing was sent"
    );
    (verdict, Some(why))
}

/// Calls the endpoint once. Never fails: what went wrong is in `error`.
pub async fn probe(
    dns: &Dns,
    url: &Url,
    authorization: Option<&str>,
    payload: serde_json::Value,
    timeout: Duration,
    ca_pem: &[String],
) -> HttpProbeFacts {
    let req = Request {
        method: "POST",
        url: url.clone(),
        headers: authorization
            .map(|a| ("Authorization".to_string(), a.to_string()))
            .into_iter()
            .collect(),
        body: serde_json::to_vec(&payload).unwrap_or_default(),
        content_type: "application/json",
    };
    let sent = send(dns, &req, timeout, ca_pem, MAX_BODY).await;
    let mut facts = HttpProbeFacts {
        endpoint: url.display(),
        payload,
        address: sent.address,
        latency_ms: sent.latency_ms,
        tls_version: sent.tls_version,
        tls_cipher: sent.tls_cipher,
        certificate: sent.certificate,
        ..HttpProbeFacts::default()
    };
    match sent.result {
        Err(e) => facts.error = Some(e),
        Ok(a) => {
            facts.status = Some(a.status);
            facts.location = a.header("location").map(str::to_string);
            facts.reason = Some(a.reason);
            if !a.body.is_empty() {
                facts.body_start = Some(String::from_utf8_lossy(&a.body).to_string());
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = Url::parse("https://Mail.Example.com/send?token=x").unwrap();
        assert_eq!(
            (u.https, u.host.as_str(), u.port, u.target.as_str()),
            (true, "mail.example.com", 443, "/send?token=x")
        );
        assert_eq!(u.display(), "https://mail.example.com:443/send");
        let u = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((u.port, u.target.as_str()), (8080, "/"));
        assert!(u.is_loopback());
        let u = Url::parse("http://[::1]:9/x").unwrap();
        assert_eq!(u.host, "::1");
        for bad in [
            "ftp://x",
            "mail.example.com/send",
            "http://",
            "http://u:p@h/",
            "http://h:99999/",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn payload_is_logtos_shape() {
        assert_eq!(
            payload("a@b.example", "SignIn", "123456").to_string(),
            r#"{"payload":{"code":"123456"},"to":"a@b.example","type":"SignIn"}"#
        );
    }
}
