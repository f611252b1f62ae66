//! TLS (rustls) for the gRPC services and their clients. A service reads its
//! certificate and key from files and reloads them when they change, so a
//! certificate is rotated without a restart. With a client CA it asks for
//! client certificates (mutual TLS, for service-to-service calls and the
//! inter-agency systems that call the API): a certificate's identity, its
//! first URI or DNS name, is recorded in the audit log beside the token's
//! subject, and `require_client_cert` refuses callers without one.

use std::{
    io,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use anyhow::Context;
use rustls::{
    RootCertStore, ServerConfig,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    server::WebPkiClientVerifier,
};
use serde::Deserialize;
use tokio::{net::TcpStream, sync::watch};
use tokio_rustls::{TlsAcceptor, server::TlsStream};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

/// How long a caller has to finish its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// The section `tls`: the service's own certificate, and whom it asks for one.
#[derive(Debug, Clone, Deserialize)]
pub struct TlsSettings {
    /// The certificate chain (PEM), leaf first.
    pub cert_file: PathBuf,
    /// Its private key (PEM).
    pub key_file: PathBuf,
    /// The CA whose client certificates are accepted; unset, none is asked for.
    #[serde(default)]
    pub client_ca_file: Option<PathBuf>,
    /// Refuses a caller without a client certificate from `client_ca_file`.
    #[serde(default)]
    pub require_client_cert: bool,
    /// How often the files are looked at for a rotated certificate, in seconds.
    #[serde(default = "ten")]
    pub reload_secs: u64,
}

fn ten() -> u64 {
    10
}

/// The section `client_tls`: how this process calls the other services over
/// TLS (`https://` addresses): the CA it trusts and, for mutual TLS, its own
/// certificate.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientTlsSettings {
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

impl TlsSettings {
    pub(crate) fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if self.require_client_cert && self.client_ca_file.is_none() {
            return Err(("tls.client_ca_file", "required with tls.require_client_cert"));
        }
        if self.reload_secs == 0 {
            return Err(("tls.reload_secs", "must be at least 1"));
        }
        Ok(())
    }

    /// The server's configuration from the files as they are now.
    fn server_config(&self) -> anyhow::Result<Arc<ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
        let builder = match &self.client_ca_file {
            Some(ca) => {
                let roots = Arc::new(roots(ca)?);
                let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
                let verifier = if self.require_client_cert { verifier } else { verifier.allow_unauthenticated() };
                builder.with_client_cert_verifier(verifier.build().context("invalid setting `tls.client_ca_file`")?)
            }
            None => builder.with_no_client_auth(),
        };
        let key = PrivateKeyDer::from_pem_file(&self.key_file)
            .with_context(|| format!("invalid setting `tls.key_file`: cannot read {}", self.key_file.display()))?;
        let mut config = builder
            .with_single_cert(chain(&self.cert_file)?, key)
            .context("invalid setting `tls.cert_file`: the certificate does not match the key")?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Arc::new(config))
    }

    /// The files' modification times and sizes: a rotation changes them.
    fn stamp(&self) -> Vec<Option<(SystemTime, u64)>> {
        let files = [Some(&self.cert_file), Some(&self.key_file), self.client_ca_file.as_ref()];
        files
            .into_iter()
            .flatten()
            .map(|f| std::fs::metadata(f).ok().and_then(|m| Some((m.modified().ok()?, m.len()))))
            .collect()
    }
}

fn chain(file: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let read = || -> Result<Vec<_>, _> { CertificateDer::pem_file_iter(file)?.collect() };
    let chain: Vec<_> = read().with_context(|| format!("cannot read the certificates of {}", file.display()))?;
    anyhow::ensure!(!chain.is_empty(), "no certificate in {}", file.display());
    Ok(chain)
}

fn roots(file: &Path) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for certificate in chain(file)? {
        roots.add(certificate).with_context(|| format!("an invalid CA certificate in {}", file.display()))?;
    }
    Ok(roots)
}

/// The server side: the current configuration, replaced when the files change.
pub(crate) struct ServerTls {
    current: watch::Receiver<Arc<ServerConfig>>,
}

impl ServerTls {
    /// Reads the files (a bad certificate stops the start) and watches them
    /// until `stop`; a rotation that does not load keeps the previous one.
    pub(crate) fn load(settings: &TlsSettings, stop: CancellationToken) -> anyhow::Result<Self> {
        let (send, current) = watch::channel(settings.server_config()?);
        let settings = settings.clone();
        tokio::spawn(async move {
            let mut stamp = settings.stamp();
            let mut every = tokio::time::interval(Duration::from_secs(settings.reload_secs));
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    () = stop.cancelled() => return,
                }
                let now = settings.stamp();
                if now == stamp {
                    continue;
                }
                match settings.server_config() {
                    Ok(config) => {
                        stamp = now;
                        let _ = send.send(config);
                        tracing::info!("TLS certificate reloaded");
                    }
                    // Half-written files (a rotation in progress) load at the next look.
                    Err(error) => tracing::warn!(error = format!("{error:#}"), "TLS certificate not reloaded"),
                }
            }
        });
        Ok(Self { current })
    }

    /// The connections of `listener` once their handshake succeeded, for
    /// tonic's `serve_with_incoming`; a failed handshake (a plaintext caller,
    /// a missing or unknown client certificate) closes that connection only.
    pub(crate) fn incoming(
        self,
        listener: tokio::net::TcpListener,
        stop: CancellationToken,
    ) -> ReceiverStream<io::Result<TlsStream<TcpStream>>> {
        let (send, receive) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (tcp, peer) = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok(accepted) => accepted,
                        Err(error) => {
                            tracing::warn!(%error, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                    () = stop.cancelled() => return,
                };
                // Without TCP_NODELAY a response's frames wait on the caller's delayed ACK.
                let _ = tcp.set_nodelay(true);
                let acceptor = TlsAcceptor::from(self.current.borrow().clone());
                let send = send.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = send.send(Ok(stream)).await;
                        }
                        Ok(Err(error)) => tracing::info!(%peer, %error, "TLS handshake refused"),
                        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        ReceiverStream::new(receive)
    }
}

/// The identity of a verified client certificate: its first URI name
/// (`spiffe://hung-yen/scheduling`), else its first DNS name.
pub fn identity(certificate: &CertificateDer<'_>) -> Option<String> {
    let certificate = webpki::EndEntityCert::try_from(certificate).ok()?;
    let uri = certificate.valid_uri_names().next();
    uri.or_else(|| certificate.valid_dns_names().next()).map(str::to_owned)
}

/// An endpoint for `address`: over TLS with `settings` when it is `https://`.
pub fn endpoint(address: &str, settings: &ClientTlsSettings) -> anyhow::Result<Endpoint> {
    let endpoint = Endpoint::from_shared(address.to_owned()).with_context(|| format!("invalid address {address}"))?;
    if !address.starts_with("https://") {
        return Ok(endpoint);
    }
    let read = |file: &PathBuf| std::fs::read(file).with_context(|| format!("cannot read {}", file.display()));
    let ca = settings.ca_file.as_ref().context("invalid setting `client_tls.ca_file`: required for https addresses")?;
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read(ca)?));
    match (&settings.cert_file, &settings.key_file) {
        (Some(cert), Some(key)) => tls = tls.identity(Identity::from_pem(read(cert)?, read(key)?)),
        (None, None) => {}
        _ => anyhow::bail!("invalid setting `client_tls`: cert_file and key_file go together"),
    }
    endpoint.tls_config(tls).with_context(|| format!("invalid TLS settings for {address}"))
}
