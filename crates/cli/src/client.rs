//! Connecting to a service as an authenticated caller, and explaining its refusals.

use anyhow::Context;
use clap::Args;
use doithoai_proto::common::v1::{DocumentFormat, RenderedDocument};
use doithoai_runtime::time::{ZONE, timestamp};
use doithoai_runtime::tls::{self, ClientTlsSettings};
use tonic::{
    Request, Status,
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};

/// The service a command talks to, and where it listens by default.
#[derive(Clone, Copy)]
pub enum Service {
    Scheduling,
    Participants,
    Minutes,
    Deadlines,
}

impl Service {
    /// `DOITHOAI_<SERVICE>_ADDR`, or the local stack's port.
    pub fn address(self) -> String {
        let (variable, default) = match self {
            Service::Scheduling => ("DOITHOAI_SCHEDULING_ADDR", "http://127.0.0.1:7061"),
            Service::Participants => ("DOITHOAI_PARTICIPANTS_ADDR", "http://127.0.0.1:7062"),
            Service::Minutes => ("DOITHOAI_MINUTES_ADDR", "http://127.0.0.1:7063"),
            Service::Deadlines => ("DOITHOAI_DEADLINES_ADDR", "http://127.0.0.1:7064"),
        };
        std::env::var(variable).unwrap_or_else(|_| default.to_owned())
    }
}

#[derive(Args, Clone)]
pub struct Connection {
    /// gRPC address of the service (default: DOITHOAI_<SERVICE>_ADDR, or the local stack's).
    #[arg(long)]
    pub addr: Option<String>,
    /// Bearer token (see `doithoai dev token`).
    #[arg(long, env = "DOITHOAI_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// TLS towards a service at an `https://` address.
#[derive(Args, Clone, Default)]
pub struct TlsArgs {
    /// The CA that signed the service's certificate (PEM).
    #[arg(long, env = "DOITHOAI_CA_FILE")]
    pub ca_file: Option<std::path::PathBuf>,
    /// For mutual TLS: this client's certificate and key (PEM).
    #[arg(long, env = "DOITHOAI_CLIENT_CERT_FILE", requires = "client_key_file")]
    pub client_cert_file: Option<std::path::PathBuf>,
    #[arg(long, env = "DOITHOAI_CLIENT_KEY_FILE", requires = "client_cert_file")]
    pub client_key_file: Option<std::path::PathBuf>,
}

#[derive(Clone)]
pub struct Bearer(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

pub type AuthedChannel = InterceptedService<Channel, Bearer>;

impl Connection {
    pub async fn channel(&self, service: Service) -> anyhow::Result<AuthedChannel> {
        let addr = self.addr.clone().unwrap_or_else(|| service.address());
        let token = self
            .token
            .as_deref()
            .context("no token: set DOITHOAI_TOKEN or pass --token (for example: export DOITHOAI_TOKEN=$(doithoai dev token --unit 33 --role ADMIN))")?;
        let bearer = doithoai_runtime::auth::bearer_value(token).context("the token is not ASCII")?;
        let tls = ClientTlsSettings {
            ca_file: self.tls.ca_file.clone(),
            cert_file: self.tls.client_cert_file.clone(),
            key_file: self.tls.client_key_file.clone(),
        };
        let channel = tls::endpoint(&addr, &tls)
            .with_context(|| format!("bad address {addr}"))?
            .connect()
            .await
            .with_context(|| format!("cannot reach {addr}"))?;
        Ok(InterceptedService::new(channel, Bearer(bearer)))
    }
}

/// A refusal with its reason and every field violation, for the operator.
pub fn explain(status: Status) -> anyhow::Error {
    anyhow::anyhow!(doithoai_runtime::error::describe(&status))
}

/// A local time in Hà Nội, `2026-04-10T09:00`, as the services' timestamp.
pub fn local_time(text: &str) -> Result<prost_types::Timestamp, crate::UsageError> {
    use chrono::TimeZone as _;
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .map_err(|_| crate::UsageError(format!("{text:?} is not a local time (YYYY-MM-DDTHH:MM, Hà Nội time)")))?;
    let at = ZONE
        .from_local_datetime(&local)
        .single()
        .ok_or_else(|| crate::UsageError(format!("{text:?} does not exist")))?;
    Ok(timestamp(at.to_utc()))
}

/// A protobuf enum value from its name without the prefix, in any case and
/// with `-` for `_`: `party-committee` → `BODY_PARTY_COMMITTEE`.
/// The document format an output file's name asks for: DOCX for a .docx
/// file, PDF for any other.
pub fn document_format(out: &std::path::Path) -> i32 {
    let docx = out.extension().is_some_and(|e| e == "docx");
    (if docx { DocumentFormat::Docx } else { DocumentFormat::Pdf }) as i32
}

/// Writes a rendered document to `out`; the line that says so.
pub fn write_document(out: &std::path::Path, document: &RenderedDocument) -> anyhow::Result<String> {
    std::fs::write(out, &document.content).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(format!("{} ({} bytes, {})", out.display(), document.content.len(), document.file_name))
}

pub fn named<E>(prefix: &str, text: &str, parse: impl Fn(&str) -> Option<E>) -> Result<E, crate::UsageError> {
    let name = format!("{prefix}_{}", text.trim().to_uppercase().replace('-', "_"));
    parse(&name).ok_or_else(|| crate::UsageError(format!("{text:?} is not a known {}", prefix.to_lowercase())))
}
