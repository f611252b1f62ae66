//! The four services, as gRPC clients over lazily connected channels: a
//! service that is down makes its pages say so, and the web comes up in any
//! order with them.

use std::time::Duration;

use anyhow::Context;
use doithoai_proto::{
    deadlines::v1::deadlines_client::DeadlinesClient,
    directory::v1::unit_directory_client::UnitDirectoryClient,
    minutes::v1::minutes_service_client::MinutesServiceClient,
    participants::v1::participants_client::ParticipantsClient,
    scheduling::v1::{
        conferences_client::ConferencesClient, directory_client::DirectoryClient, plans_client::PlansClient,
    },
};
pub use doithoai_runtime::auth::with_bearer as ask;
use doithoai_runtime::tls::{self, ClientTlsSettings};
use tonic::transport::Channel;

use crate::settings::WebSettings;

/// A page waits this long for a service before it says the service is unavailable.
const DEADLINE: Duration = Duration::from_secs(10);
/// Rendered PDFs of a province's minutes or report.
const MAX_DOCUMENT_BYTES: usize = 32 * 1024 * 1024;

pub struct Backends {
    scheduling: Channel,
    participants: Channel,
    minutes: Channel,
    deadlines: Channel,
}

fn channel(setting: &str, addr: &str, tls: &ClientTlsSettings) -> anyhow::Result<Channel> {
    let endpoint = tls::endpoint(addr, tls)
        .with_context(|| format!("invalid setting `web.{setting}`"))?
        .connect_timeout(Duration::from_secs(3))
        .timeout(DEADLINE);
    Ok(endpoint.connect_lazy())
}

impl Backends {
    /// The four services at their `web.*_addr`, over TLS with `tls` where an address is `https://`.
    pub fn new(settings: &WebSettings, tls: &ClientTlsSettings) -> anyhow::Result<Self> {
        Ok(Self {
            scheduling: channel("scheduling_addr", &settings.scheduling_addr, tls)?,
            participants: channel("participants_addr", &settings.participants_addr, tls)?,
            minutes: channel("minutes_addr", &settings.minutes_addr, tls)?,
            deadlines: channel("deadlines_addr", &settings.deadlines_addr, tls)?,
        })
    }

    pub fn units(&self) -> UnitDirectoryClient<Channel> {
        UnitDirectoryClient::new(self.scheduling.clone())
    }

    pub fn directory(&self) -> DirectoryClient<Channel> {
        DirectoryClient::new(self.scheduling.clone())
    }

    pub fn conferences(&self) -> ConferencesClient<Channel> {
        ConferencesClient::new(self.scheduling.clone())
    }

    pub fn plans(&self) -> PlansClient<Channel> {
        PlansClient::new(self.scheduling.clone())
    }

    pub fn participants(&self) -> ParticipantsClient<Channel> {
        ParticipantsClient::new(self.participants.clone())
    }

    pub fn minutes(&self) -> MinutesServiceClient<Channel> {
        MinutesServiceClient::new(self.minutes.clone()).max_decoding_message_size(MAX_DOCUMENT_BYTES)
    }

    pub fn deadlines(&self) -> DeadlinesClient<Channel> {
        DeadlinesClient::new(self.deadlines.clone()).max_decoding_message_size(MAX_DOCUMENT_BYTES)
    }
}
