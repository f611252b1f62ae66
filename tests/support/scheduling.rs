//! Building blocks for tests that need conferences: posts, agencies and a
//! conference announced through the scheduling service's API.

use chrono::{DateTime, Utc};
use doithoai_proto::minutes::v1::{
    Classification, ConferenceRequest, RecordConclusionRequest, RecordPetitionRequest,
    minutes_service_client::MinutesServiceClient,
};
use doithoai_proto::scheduling::v1::{
    AgendaItem, AnnounceConferenceRequest, AssignSecretaryRequest, Body, Conference, ConferenceDraft, ConferenceKind,
    ConferenceRef, CreateConferenceRequest, CreateOrganizationRequest, CreatePositionRequest, Form, Organization,
    OrganizationKind, Position, Rank, Regime, conferences_client::ConferencesClient, directory_client::DirectoryClient,
};
use tonic::transport::Channel;

use crate::{Role, Stack, WAIT, authorized, eventually, read_rows, token, token_for};

pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("an RFC 3339 instant")
}

pub use doithoai_runtime::time::timestamp;

/// Monday 2 March 2026, 08:00 in Hà Nội.
pub const MONDAY: &str = "2026-03-02T01:00:00Z";
/// The conference of [`District::announced`]: Tuesday 10 March 2026, 09:00 in Hà Nội.
pub const CONFERENCE_DAY: &str = "2026-03-10T02:00:00Z";

/// A post of `body` in `unit` held by `subject` since 1 October 2020, created
/// by `office` through the scheduling service.
pub async fn create_post(
    stack: &Stack,
    (unit, body, rank): (&str, Body, Rank),
    title: &str,
    subject: &str,
    office: &str,
) -> Position {
    let position = Position {
        unit_code: unit.into(),
        body: body as i32,
        rank: rank as i32,
        title: title.into(),
        person_name: format!("Người giữ chức {title}"),
        subject: subject.into(),
        term_start: "2020-10-01".into(),
        ..Default::default()
    };
    let request = authorized(CreatePositionRequest { position: Some(position), ..Default::default() }, office);
    let mut directory = DirectoryClient::new(stack.channel("scheduling").await);
    directory.create_position(request).await.expect("a post").into_inner()
}

/// District 323 (Thành phố Hưng Yên) with its Bí thư (`bithu-323`), an
/// agency, and the secretary `thuky-323`.
pub struct District {
    pub head: Position,
    pub agency: Organization,
    pub office: String,
}

impl District {
    pub async fn set_up(stack: &Stack) -> Self {
        stack.clock.set(at(MONDAY));
        stack.import_file("hung-yen-2020.csv").await.expect("the units import");
        // The district acts once every service knows its units, as an office
        // would after an import: a request before the replica has them is refused.
        stack.replicas_hold(read_rows("hung-yen-2020.csv").len() as i64).await;
        let office = token("323", &[Role::Office]);
        let mut directory = DirectoryClient::new(stack.channel("scheduling").await);
        let position = Position {
            unit_code: "323".into(),
            body: Body::PartyCommittee as i32,
            rank: Rank::Head as i32,
            title: "Bí thư Thành ủy".into(),
            person_name: "Nguyễn Văn Chủ Trì".into(),
            subject: "bithu-323".into(),
            term_start: "2020-10-01".into(),
            ..Default::default()
        };
        let head = directory
            .create_position(authorized(
                CreatePositionRequest { position: Some(position), ..Default::default() },
                &office,
            ))
            .await
            .expect("a post")
            .into_inner();
        let agency = Organization {
            unit_code: "323".into(),
            kind: OrganizationKind::Department as i32,
            name: "Phòng Tài nguyên và Môi trường".into(),
            ..Default::default()
        };
        let agency = directory
            .create_organization(authorized(
                CreateOrganizationRequest { organization: Some(agency), ..Default::default() },
                &office,
            ))
            .await
            .expect("an agency")
            .into_inner();
        Self { head, agency, office }
    }

    pub async fn conferences(&self, stack: &Stack) -> ConferencesClient<Channel> {
        ConferencesClient::new(stack.channel("scheduling").await)
    }

    /// A conference eight days ahead with two agenda items, a secretary, announced today.
    pub async fn announced(&self, stack: &Stack) -> Conference {
        self.announced_inviting(stack, Vec::new()).await
    }

    /// The same, inviting these agencies (R7.4).
    pub async fn announced_inviting(&self, stack: &Stack, invited: Vec<String>) -> Conference {
        self.announced_at(stack, CONFERENCE_DAY, "2026-03-02", invited).await
    }

    /// A conference starting at `starts_at` (UTC), announced on `published`
    /// (the clock must allow both).
    pub async fn announced_at(
        &self,
        stack: &Stack,
        starts_at: &str,
        published: &str,
        invited: Vec<String>,
    ) -> Conference {
        let draft = ConferenceDraft {
            unit_code: "323".into(),
            body: Body::PartyCommittee as i32,
            host_position_id: self.head.id.clone(),
            regime: Regime::Periodic as i32,
            kind: ConferenceKind::CitizensDirect as i32,
            form: Form::InPerson as i32,
            venue_unit_code: "11950".into(),
            venue_address: "Hội trường phường Lam Sơn".into(),
            theme: "Giải phóng mặt bằng".into(),
            agenda: vec![
                AgendaItem { title: "Bồi thường".into(), field: 1, ..Default::default() },
                AgendaItem { title: "Tái định cư".into(), field: 1, ..Default::default() },
            ],
            starts_at: Some(timestamp(at(starts_at))),
            planned_minutes: 180,
            invited_organization_ids: invited,
            ..Default::default()
        };
        let mut client = self.conferences(stack).await;
        let created = client
            .create_conference(authorized(
                CreateConferenceRequest { draft: Some(draft), ..Default::default() },
                &self.office,
            ))
            .await
            .expect("a draft")
            .into_inner();
        let secretary = AssignSecretaryRequest {
            id: created.id.clone(),
            secretary_subject: "thuky-323".into(),
            secretary_name: "Lê Thị Thư Ký".into(),
        };
        client.assign_secretary(authorized(secretary, &self.office)).await.expect("a secretary");
        let notice = AnnounceConferenceRequest {
            id: created.id.clone(),
            media_channel: "Báo Hưng Yên".into(),
            publication_date: published.into(),
        };
        client.announce_conference(authorized(notice, &self.office)).await.expect("announced").into_inner()
    }

    /// A conference of Tuesday 10 March 2026 inviting the agency, held: two
    /// petitions raised, concluded, signed by the secretary and the host, and
    /// ended by the office. Returns its id and the petitions'.
    pub async fn held(&self, stack: &Stack) -> (String, Vec<String>) {
        let conference = self.announced_inviting(stack, vec![self.agency.id.clone()]).await;
        self.start(stack, &conference.id).await;
        let secretary = token_for("thuky-323", "323", &[Role::Secretary]);
        let host = token_for("bithu-323", "323", &[Role::Host]);
        let minutes = MinutesServiceClient::new(stack.channel("minutes").await);
        let request = ConferenceRequest { conference_id: conference.id.clone() };
        eventually(WAIT, "the minutes open", || {
            let (mut minutes, request) = (minutes.clone(), authorized(request.clone(), &secretary));
            async move { minutes.get_minutes(request).await.ok() }
        })
        .await;
        let mut petitions = Vec::new();
        for text in ["Cấp sổ đỏ chậm", "Đường liên thôn hỏng"] {
            let record = RecordPetitionRequest {
                conference_id: conference.id.clone(),
                text: text.into(),
                field: 1,
                classification: Classification::Petition as i32,
                ..Default::default()
            };
            let recorded = minutes.clone().record_petition(authorized(record, &secretary)).await.expect("a petition");
            petitions.push(recorded.into_inner().id);
        }
        let conclude =
            RecordConclusionRequest { conference_id: conference.id.clone(), conclusion: "Giao Phòng TNMT".into() };
        minutes.clone().record_conclusion(authorized(conclude, &host)).await.expect("the conclusion");
        minutes.clone().sign_minutes(authorized(request.clone(), &secretary)).await.expect("signed");
        minutes.clone().sign_minutes(authorized(request, &host)).await.expect("signed");
        stack.clock.set(at("2026-03-10T05:00:00Z"));
        self.conferences(stack)
            .await
            .end_conference(authorized(ConferenceRef { id: conference.id.clone() }, &self.office))
            .await
            .expect("ended");
        (conference.id, petitions)
    }

    /// Moves the clock to the conference's day and starts it.
    pub async fn start(&self, stack: &Stack, id: &str) {
        stack.clock.set(at(CONFERENCE_DAY));
        self.conferences(stack)
            .await
            .start_conference(authorized(ConferenceRef { id: id.into() }, &self.office))
            .await
            .expect("started");
    }
}
