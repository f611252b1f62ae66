//! R7.3: the public notice of an announced conference as a document, issued
//! by the host's office (`doithoai_documents::conference::public_notice`).

use doithoai_directory::hosts;
use doithoai_documents::conference::public_notice;
use doithoai_documents::rendered;
use doithoai_proto::common::v1::{DocumentFormat, RenderedDocument};
use doithoai_proto::scheduling::v1::{ConferenceRef, RenderConferenceRequest};
use doithoai_runtime::{Caller, Refusal, ServiceResult, parse};

use super::conferences::ConferencesApi;

impl ConferencesApi {
    pub(super) async fn render_public_notice(
        &self,
        caller: Caller,
        request: RenderConferenceRequest,
    ) -> ServiceResult<RenderedDocument> {
        let format = parse::known::<DocumentFormat>("format", request.format)?;
        let conference = self.get_conference(caller, ConferenceRef { id: request.id }).await?;
        if conference.notice.is_none() {
            return Err(Refusal::rule(
                "R7.3",
                "the public notice exists once the conference is announced",
                "thông báo công khai có khi hội nghị đã được thông báo",
            )
            .into());
        }
        let host = hosts::host(&mut *self.pool.acquire().await?, &conference).await?;
        let name = format!("thong-bao-hoi-nghi-{}", conference.id);
        Ok(rendered(&public_notice(&conference, &host), format, &name))
    }
}
