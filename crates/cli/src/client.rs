//! Connecting to a service as an authenticated caller, and explaining its refusals.

use anyhow::Context;
use clap::Args;
use tonic::{
    Request, Status,
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};
use tonic_types::StatusExt;

#[derive(Args, Clone)]
pub struct Connection {
    /// gRPC address of the scheduling service.
    #[arg(long, env = "DOITHOAI_SCHEDULING_ADDR", default_value = "http://127.0.0.1:50061")]
    pub addr: String,
    /// Bearer token (see `doithoai dev token`).
    #[arg(long, env = "DOITHOAI_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
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
    pub async fn channel(&self) -> anyhow::Result<AuthedChannel> {
        let token = self
            .token
            .as_deref()
            .context("no token: set DOITHOAI_TOKEN or pass --token (for example: export DOITHOAI_TOKEN=$(doithoai dev token --unit 33 --role ADMIN))")?;
        let bearer = format!("Bearer {token}").parse().context("the token is not ASCII")?;
        let channel = Endpoint::from_shared(self.addr.clone())
            .with_context(|| format!("bad address {}", self.addr))?
            .connect()
            .await
            .with_context(|| format!("cannot reach {}", self.addr))?;
        Ok(InterceptedService::new(channel, Bearer(bearer)))
    }
}

/// A refusal with its reason and every field violation, for the operator.
pub fn explain(status: Status) -> anyhow::Error {
    let details = status.get_error_details();
    let mut text = format!("{:?}: {}", status.code(), status.message());
    if let Some(info) = details.error_info() {
        text.push_str(&format!(" [{}]", info.reason));
    }
    if let Some(bad_request) = details.bad_request() {
        for violation in &bad_request.field_violations {
            text.push_str(&format!("\n  {}: {}", violation.field, violation.description));
        }
    }
    anyhow::anyhow!(text)
}
