//! A small, strict SMTP server that stores what it receives and relays nothing: STARTTLS (a
//! certificate made on the fly when none is given), AUTH PLAIN/LOGIN after TLS, one store
//! file per message. Every read has a timeout and every line, message and session a bound.

use super::grade::SessionFacts;
use crate::config::Secret;
use base64::Engine;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;

/// RFC 5321 4.5.3.1.4: 512 octets per command line; a little slack for long addresses.
const MAX_COMMAND: usize = 2048;
/// RFC 5321 4.5.3.1.6: 1000 octets per text line; far more is tolerated in DATA.
const MAX_DATA_LINE: usize = 64 * 1024;
const MAX_RECIPIENTS: usize = 100;
const MAX_ERRORS: usize = 10;
const MAX_SESSIONS: usize = 64;

pub struct SinkConfig {
    pub hostname: String,
    pub tls: Arc<ServerConfig>,
    /// `--require-auth USER:PASS_ENV`: only these credentials; else any login is accepted.
    pub require_auth: Option<(String, Secret)>,
    pub store: PathBuf,
    pub max_message_bytes: usize,
    pub idle: Duration,
}

/// A message as received, already stored.
pub struct Received {
    pub bytes: Vec<u8>,
    pub session: SessionFacts,
    pub stored_as: PathBuf,
    /// Closes when the session ends (its sender is dropped then): `--once` waits for the
    /// client's QUIT before exiting.
    pub session_end: tokio::sync::watch::Receiver<()>,
}

/// The certificate and key the sink serves: the operator's files, or a fresh self-signed
/// certificate for the listening name and address. Returns the config and the PEM
/// certificate (for `tls.ca`) and its SHA-256 fingerprint.
pub fn tls_config(
    files: Option<(String, String)>,
    names: &[String],
) -> Result<(Arc<ServerConfig>, String, String), String> {
    let (cert_pem, key_pem) = match files {
        Some(pair) => pair,
        None => {
            let key = rcgen::KeyPair::generate().map_err(|e| format!("cannot make a key: {e}"))?;
            let params = rcgen::CertificateParams::new(names.to_vec())
                .map_err(|e| format!("certificate: {e}"))?;
            let cert = params
                .self_signed(&key)
                .map_err(|e| format!("certificate: {e}"))?;
            (cert.pem(), key.serialize_pem())
        }
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .take(16)
        .collect::<Result<_, _>>()
        .map_err(|_| "--tls-cert: not a PEM certificate".to_string())?;
    let first = certs
        .first()
        .ok_or("--tls-cert: no certificate in the file")?;
    use sha2::Digest;
    let fp = sha2::Sha256::digest(first.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|_| "--tls-key: not a PEM private key".to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("the certificate and key do not fit together: {e}"))?;
    Ok((Arc::new(config), cert_pem, fp))
}

/// Accepts connections until the receiver side is dropped.
pub async fn serve(listener: TcpListener, cfg: Arc<SinkConfig>, tx: mpsc::Sender<Received>) {
    let counter = Arc::new(AtomicUsize::new(0));
    let sessions = Arc::new(Semaphore::new(MAX_SESSIONS));
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let Ok(permit) = sessions.clone().try_acquire_owned() else {
            let mut s = stream;
            let _ = s
                .write_all(b"421 4.3.2 Too many sessions, try later\r\n")
                .await;
            continue;
        };
        if tx.is_closed() {
            return;
        }
        let (cfg, tx, counter) = (cfg.clone(), tx.clone(), counter.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let _ = session(stream, peer, &cfg, &tx, &counter).await;
        });
    }
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// One line with its terminator, at most `max` bytes (`Err` past it). `None` at end of stream.
/// A command-sized line within `idle` (the AUTH exchanges' continuation lines): a client that
/// stops in the middle of AUTH is cut off like an idle one, never waited for forever.
async fn read_timed<R: AsyncBufRead + Unpin>(
    r: &mut R,
    idle: Duration,
) -> std::io::Result<Option<Vec<u8>>> {
    match tokio::time::timeout(idle, read_raw_line(r, MAX_COMMAND)).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "idle in the middle of AUTH",
        )),
    }
}

async fn read_raw_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    max: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    loop {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            return Ok((!line.is_empty()).then_some(line));
        }
        let (take, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if line.len() + take > max {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "line too long",
            ));
        }
        line.extend_from_slice(&buf[..take]);
        r.consume(take);
        if done {
            return Ok(Some(line));
        }
    }
}

struct State {
    facts: SessionFacts,
    authed: bool,
    in_transaction: bool,
    errors: usize,
}

fn b64d(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

fn angle(arg: &str) -> Option<String> {
    let start = arg.find('<')?;
    let end = arg[start..].find('>')? + start;
    Some(arg[start + 1..end].trim().to_string())
}

async fn session(
    stream: TcpStream,
    peer: SocketAddr,
    cfg: &SinkConfig,
    tx: &mpsc::Sender<Received>,
    counter: &AtomicUsize,
) -> std::io::Result<()> {
    let (_session_alive, session_end) = tokio::sync::watch::channel(());
    let mut io: BufReader<Box<dyn Io>> = BufReader::new(Box::new(stream));
    let mut st = State {
        facts: SessionFacts {
            peer: peer.to_string(),
            ..SessionFacts::default()
        },
        authed: false,
        in_transaction: false,
        errors: 0,
    };
    macro_rules! reply {
        ($($arg:tt)*) => {{
            let text = format!($($arg)*);
            io.get_mut().write_all(text.as_bytes()).await?;
            io.get_mut().flush().await?;
        }};
    }
    reply!(
        "220 {} ESMTP mailpreflight sink (stores, never relays)\r\n",
        cfg.hostname
    );
    loop {
        let line = match tokio::time::timeout(cfg.idle, read_raw_line(&mut io, MAX_COMMAND)).await {
            Err(_) => {
                reply!("421 4.4.2 Idle timeout\r\n");
                return Ok(());
            }
            Ok(Err(_)) => {
                reply!("500 5.5.2 Line too long\r\n");
                return Ok(());
            }
            Ok(Ok(None)) => return Ok(()),
            Ok(Ok(Some(l))) => l,
        };
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_string();
        let (verb, arg) = text.split_once(' ').unwrap_or((&text, ""));
        let tls = st.facts.tls.is_some();
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" | "HELO" if arg.trim().is_empty() => {
                reply!("501 5.5.4 {verb} needs a domain\r\n")
            }
            "EHLO" => {
                st.facts.helo = Some(arg.trim().to_string());
                let mut lines = vec![
                    cfg.hostname.clone(),
                    format!("SIZE {}", cfg.max_message_bytes),
                    "8BITMIME".into(),
                ];
                if !tls {
                    lines.push("STARTTLS".into());
                } else {
                    lines.push("AUTH PLAIN LOGIN".into());
                }
                lines.push("ENHANCEDSTATUSCODES".into());
                let n = lines.len();
                let mut out = String::new();
                for (i, l) in lines.iter().enumerate() {
                    out.push_str(&format!("250{}{l}\r\n", if i + 1 == n { ' ' } else { '-' }));
                }
                reply!("{out}");
            }
            "HELO" => {
                st.facts.helo = Some(arg.trim().to_string());
                reply!("250 {}\r\n", cfg.hostname);
            }
            "STARTTLS" if tls => reply!("503 5.5.1 TLS already active\r\n"),
            "STARTTLS" => {
                reply!("220 2.0.0 Ready to start TLS\r\n");
                if !io.buffer().is_empty() {
                    // Pipelined bytes before the handshake: an injection attempt; refuse.
                    return Ok(());
                }
                let plain = io.into_inner();
                let acceptor = TlsAcceptor::from(cfg.tls.clone());
                let tls_stream = match tokio::time::timeout(cfg.idle, acceptor.accept(plain)).await
                {
                    Ok(Ok(s)) => s,
                    _ => return Ok(()),
                };
                let version = tls_stream
                    .get_ref()
                    .1
                    .protocol_version()
                    .map(|v| format!("{v:?}").replace("TLSv1_", "TLS 1."));
                io = BufReader::new(Box::new(tls_stream));
                st.facts.tls = version.or(Some("TLS".into()));
                st.facts.helo = None;
                st.in_transaction = false;
            }
            "AUTH" if !tls => {
                reply!("538 5.7.11 Encryption required for requested authentication mechanism\r\n")
            }
            "AUTH" if st.authed => reply!("503 5.5.1 Already authenticated\r\n"),
            "AUTH" => {
                let (mech, initial) = arg.split_once(' ').unwrap_or((arg, ""));
                let creds = match mech.to_ascii_uppercase().as_str() {
                    "PLAIN" => {
                        let blob = if initial.is_empty() {
                            reply!("334 \r\n");
                            let l = read_timed(&mut io, cfg.idle).await?.unwrap_or_default();
                            String::from_utf8_lossy(&l).trim().to_string()
                        } else {
                            initial.to_string()
                        };
                        b64d(&blob).and_then(|raw| {
                            let mut parts = raw.split(|b| *b == 0);
                            let _authzid = parts.next()?;
                            let user = String::from_utf8(parts.next()?.to_vec()).ok()?;
                            let pass = String::from_utf8(parts.next()?.to_vec()).ok()?;
                            Some((user, pass, "PLAIN"))
                        })
                    }
                    "LOGIN" => {
                        reply!("334 VXNlcm5hbWU6\r\n");
                        let u = read_timed(&mut io, cfg.idle).await?.unwrap_or_default();
                        reply!("334 UGFzc3dvcmQ6\r\n");
                        let p = read_timed(&mut io, cfg.idle).await?.unwrap_or_default();
                        let dec = |l: &[u8]| {
                            b64d(&String::from_utf8_lossy(l))
                                .and_then(|b| String::from_utf8(b).ok())
                        };
                        dec(&u).zip(dec(&p)).map(|(u, p)| (u, p, "LOGIN"))
                    }
                    _ => {
                        reply!("504 5.5.4 Unrecognized authentication type\r\n");
                        continue;
                    }
                };
                match creds {
                    None => reply!("501 5.5.2 Cannot decode the credentials\r\n"),
                    Some((user, pass, mech)) => {
                        let ok = match &cfg.require_auth {
                            Some((u, p)) => *u == user && p.expose() == pass,
                            None => true,
                        };
                        if ok {
                            st.authed = true;
                            st.facts.auth_user = Some(user);
                            st.facts.auth_mechanism = Some(mech.to_string());
                            reply!("235 2.7.0 Authentication successful\r\n");
                        } else {
                            st.errors += 1;
                            reply!("535 5.7.8 Authentication credentials invalid\r\n");
                        }
                    }
                }
            }
            "MAIL" if st.facts.helo.is_none() => reply!("503 5.5.1 Say EHLO first\r\n"),
            "MAIL" if cfg.require_auth.is_some() && !st.authed => {
                reply!("530 5.7.0 Authentication required\r\n")
            }
            "MAIL" => match arg
                .to_ascii_uppercase()
                .starts_with("FROM:")
                .then(|| angle(arg))
                .flatten()
            {
                Some(from) => {
                    st.facts.mail_from = from;
                    st.facts.rcpt_to.clear();
                    st.in_transaction = true;
                    reply!("250 2.1.0 Ok\r\n");
                }
                None => reply!("501 5.5.4 Syntax: MAIL FROM:<address>\r\n"),
            },
            "RCPT" if !st.in_transaction => reply!("503 5.5.1 Need MAIL first\r\n"),
            "RCPT" if st.facts.rcpt_to.len() >= MAX_RECIPIENTS => {
                reply!("452 4.5.3 Too many recipients\r\n")
            }
            "RCPT" => match arg
                .to_ascii_uppercase()
                .starts_with("TO:")
                .then(|| angle(arg))
                .flatten()
            {
                Some(to) if !to.is_empty() => {
                    st.facts.rcpt_to.push(to);
                    reply!("250 2.1.5 Ok\r\n");
                }
                _ => reply!("501 5.5.4 Syntax: RCPT TO:<address>\r\n"),
            },
            "DATA" if st.facts.rcpt_to.is_empty() => reply!("503 5.5.1 Need RCPT first\r\n"),
            "DATA" => {
                reply!("354 End data with <CR><LF>.<CR><LF>\r\n");
                let mut message = Vec::new();
                let mut too_big = false;
                loop {
                    let line =
                        match tokio::time::timeout(cfg.idle, read_raw_line(&mut io, MAX_DATA_LINE))
                            .await
                        {
                            Ok(Ok(Some(l))) => l,
                            _ => return Ok(()),
                        };
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    let body = line.strip_prefix(b".").unwrap_or(&line);
                    if message.len() + body.len() > cfg.max_message_bytes {
                        too_big = true;
                    } else if !too_big {
                        message.extend_from_slice(body);
                    }
                }
                st.in_transaction = false;
                if too_big {
                    reply!(
                        "552 5.3.4 Message larger than {} bytes\r\n",
                        cfg.max_message_bytes
                    );
                    continue;
                }
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                let path = cfg.store.join(format!("{n}.eml"));
                let tmp = cfg.store.join(format!(".{n}.eml.tmp"));
                if tokio::fs::write(&tmp, &message).await.is_err()
                    || tokio::fs::rename(&tmp, &path).await.is_err()
                {
                    reply!("451 4.3.0 Cannot store the message\r\n");
                    continue;
                }
                reply!("250 2.0.0 Ok: queued as {n}\r\n");
                let _ = tx
                    .send(Received {
                        bytes: message,
                        session: st.facts.clone(),
                        stored_as: path,
                        session_end: session_end.clone(),
                    })
                    .await;
            }
            "RSET" => {
                st.in_transaction = false;
                st.facts.rcpt_to.clear();
                reply!("250 2.0.0 Ok\r\n");
            }
            "NOOP" => reply!("250 2.0.0 Ok\r\n"),
            "VRFY" => reply!("252 2.5.0 Cannot verify\r\n"),
            "QUIT" => {
                reply!("221 2.0.0 Bye\r\n");
                return Ok(());
            }
            _ => {
                st.errors += 1;
                reply!("502 5.5.2 Command not recognized\r\n");
            }
        }
        if st.errors >= MAX_ERRORS {
            reply!("421 4.7.0 Too many errors\r\n");
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stalled_auth_exchange_is_cut_off() {
        // The client side never writes: the read must end at the idle limit, not hang.
        let (_client, server) = tokio::io::duplex(64);
        let mut reader = BufReader::new(server);
        let err = read_timed(&mut reader, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn lines_keep_their_terminator_and_are_bounded() {
        let data = b"AUTH PLAIN\r\nnext".to_vec();
        let mut r = BufReader::new(&data[..]);
        assert_eq!(
            read_raw_line(&mut r, 100).await.unwrap().unwrap(),
            b"AUTH PLAIN\r\n"
        );
        assert_eq!(read_raw_line(&mut r, 100).await.unwrap().unwrap(), b"next");
        let long = vec![b'x'; 300];
        let mut r = BufReader::new(&long[..]);
        assert!(read_raw_line(&mut r, 100).await.is_err());
    }
}
