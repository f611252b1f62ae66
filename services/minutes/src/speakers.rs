//! The speakers of a conference as the participants service keeps them. The
//! internal minutes names who raised each petition, and citizens' names live
//! only there; it is asked with the caller's own credentials, so it names
//! them only to whom it would name them directly.

use std::time::Duration;

use anyhow::Context;
use doithoai_proto::participants::v1::{
    ConferenceRequest, SpeakerRegistration, participants_client::ParticipantsClient,
};
use doithoai_runtime::tls::{self, ClientTlsSettings};
use doithoai_runtime::{Reason, ServiceError, ServiceResult, auth::OnBehalf};
use serde::Deserialize;
use tonic::{Code, transport::Channel};

/// The service's own settings, section `minutes`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MinutesSettings {
    /// The participants service's gRPC address.
    pub participants_addr: String,
}

impl Default for MinutesSettings {
    fn default() -> Self {
        // The participants service's own default port, beside this one's.
        Self { participants_addr: "http://127.0.0.1:7062".into() }
    }
}

/// The participants service over a lazily connected channel: the minutes
/// service starts and serves without it, and only the internal minutes waits.
#[derive(Clone)]
pub struct Speakers {
    channel: Channel,
}

impl Speakers {
    pub fn new(settings: &MinutesSettings, tls: &ClientTlsSettings) -> anyhow::Result<Self> {
        let endpoint = tls::endpoint(&settings.participants_addr, tls)
            .context("invalid setting `minutes.participants_addr`")?
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10));
        Ok(Self { channel: endpoint.connect_lazy() })
    }

    /// The conference's speaker queue, with names if the caller may see them.
    pub async fn of(&self, conference_id: &str, on_behalf: &OnBehalf) -> ServiceResult<Vec<SpeakerRegistration>> {
        let request = on_behalf.request(ConferenceRequest { conference_id: conference_id.to_owned() });
        match ParticipantsClient::new(self.channel.clone()).list_speakers(request).await {
            Ok(response) => Ok(response.into_inner().speakers),
            Err(status) if matches!(status.code(), Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled) => {
                Err(ServiceError::new(
                    Code::Unavailable,
                    Reason::Unavailable,
                    "the participants service, which keeps the speakers' names, is unavailable; try again",
                    "dịch vụ người tham dự (nơi lưu tên người phát biểu) đang không phản hồi; vui lòng thử lại",
                ))
            }
            Err(status) => {
                Err(anyhow::anyhow!("the participants service refused ListSpeakers: {}", status.message()).into())
            }
        }
    }
}
