//! `mailpreflight sink`: an SMTP server to point a connector at during setup. It stores each
//! message and grades it (DKIM, alignment, the template as rendered, the session's TLS and
//! AUTH). It never relays anything anywhere.

pub mod codes;
pub mod grade;
pub mod server;

use server::{Received, SinkConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;

/// A sink listening in the background (the `sink` command, and `demo`).
pub struct Running {
    pub addr: SocketAddr,
    pub messages: mpsc::Receiver<Received>,
    /// The certificate served for STARTTLS (PEM), for a connector's `tls.ca`.
    pub cert_pem: String,
    pub fingerprint: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `listen` and serves until dropped. `tls_files`: the operator's PEM certificate and
/// key, else a self-signed certificate for `names`.
pub async fn start(
    listen: SocketAddr,
    tls_files: Option<(String, String)>,
    names: &[String],
    mut config: impl FnMut(Arc<rustls::ServerConfig>) -> SinkConfig,
) -> Result<Running, String> {
    let (tls, cert_pem, fingerprint) = server::tls_config(tls_files, names)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let cfg = Arc::new(config(tls));
    let (tx, rx) = mpsc::channel(64);
    let task = tokio::spawn(server::serve(listener, cfg, tx));
    Ok(Running {
        addr,
        messages: rx,
        cert_pem,
        fingerprint,
        task,
    })
}
