//! The conference lifecycle over gRPC. Each change is one transaction: the
//! rules, the stored aggregate, the audit entry and the event.

use chrono::{DateTime, Utc};
use doithoai_directory as directory;
use doithoai_directory::units::require_reach;
use doithoai_proto::common::v1::RenderedDocument;
use doithoai_proto::scheduling::v1::{
    AnnounceConferenceRequest, AssignSecretaryRequest, Body, Conference, ConferenceAnnounced, ConferenceCancelled,
    ConferenceDraft, ConferenceEnded, ConferenceExtended, ConferencePostponed, ConferenceRef, ConferenceStarted,
    ConferenceState, CoordinationRequested, CreateConferenceRequest, DelegateHostRequest, Delegation,
    ExtendConferenceRequest, HostDelegated, ListConferencesRequest, ListConferencesResponse, PostponeConferenceRequest,
    PublicNotice, ReasonRequest, RenderConferenceRequest, UpdateConferenceRequest, conferences_server::Conferences,
};
use doithoai_runtime::{
    Caller, Change, Checked, Clock, ServiceError, ServiceResult,
    access::{self, Actor},
    events::Event,
    idempotency::Once,
    outbox::Outbox,
    pagination::Page,
    parse,
    rpc::handle,
    time::{instant, local_date, timestamp},
};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{MANAGERS, READERS, missing, unit_in_scope};
use crate::{
    domain::{
        self, conference as rules,
        posts::{r2_1_host_is_the_head, r2_2_deputy_hosts_by_delegation},
    },
    store::{
        conferences::{self as stored, ConferenceFilter, Span},
        posts, units,
    },
};

pub struct ConferencesApi {
    pub(super) pool: PgPool,
    outbox: Outbox,
    clock: Clock,
}

#[tonic::async_trait]
impl Conferences for ConferencesApi {
    async fn create_conference(
        &self,
        request: Request<CreateConferenceRequest>,
    ) -> Result<Response<Conference>, Status> {
        handle(request, |caller, request| self.create_conference(caller, request)).await
    }

    async fn update_conference(
        &self,
        request: Request<UpdateConferenceRequest>,
    ) -> Result<Response<Conference>, Status> {
        handle(request, |caller, request| self.update_conference(caller, request)).await
    }

    async fn assign_secretary(&self, request: Request<AssignSecretaryRequest>) -> Result<Response<Conference>, Status> {
        handle(request, |caller, request| self.assign_secretary(caller, request)).await
    }

    async fn delegate_host(&self, request: Request<DelegateHostRequest>) -> Result<Response<Conference>, Status> {
        handle(request, |caller, request| self.delegate_host(caller, request)).await
    }

    async fn announce_conference(
        &self,
        request: Request<AnnounceConferenceRequest>,
    ) -> Result<Response<Conference>, Status> {
        handle(request, |caller, request| self.announce_conference(caller, request)).await
    }

    async fn start_conference(&self, request: Request<ConferenceRef>) -> Result<Response<Conference>, Status> {
        handle(request, |caller, request| self.start_conference(caller, request)).await
    }

    async fn extend_conference(
        &self,
        request: Request<ExtendConferenceRequest>,
    ) -> Result<Response<Conference>, Status> {
        handle(request, |caller, request| self.extend_conference(caller, request)).await
    }

    async fn end_conference(&self, request: Request<ConferenceRef>) -> Result<Response<Conference>, Status> {
        handle(request, |caller, request| self.end_conference(caller, request)).await
    }

    async fn cancel_conference(&self, request: Request<ReasonRequest>) -> Result<Response<Conference>, Status> {
        handle(request, |caller, request| self.cancel_conference(caller, request)).await
    }

    async fn postpone_conference(
        &self,
        request: Request<PostponeConferenceRequest>,
    ) -> Result<Response<Conference>, Status> {
        handle(request, |caller, request| self.postpone_conference(caller, request)).await
    }

    async fn get_conference(&self, request: Request<ConferenceRef>) -> Result<Response<Conference>, Status> {
        handle(request, |caller, request| self.get_conference(caller, request)).await
    }

    async fn list_conferences(
        &self,
        request: Request<ListConferencesRequest>,
    ) -> Result<Response<ListConferencesResponse>, Status> {
        handle(request, |caller, request| self.list_conferences(caller, request)).await
    }

    async fn render_public_notice(
        &self,
        request: Request<RenderConferenceRequest>,
    ) -> Result<Response<RenderedDocument>, Status> {
        handle(request, |caller, request| self.render_public_notice(caller, request)).await
    }
}

impl ConferencesApi {
    pub fn new(pool: PgPool, outbox: Outbox, clock: Clock) -> Self {
        Self { pool, outbox, clock }
    }

    async fn create_conference(&self, caller: Caller, request: CreateConferenceRequest) -> ServiceResult<Conference> {
        caller.require_role(&MANAGERS)?;
        let once = Once::new(&caller, "CreateConference", &request.request_id, &request)?;
        let draft = request.draft.ok_or_else(|| missing("draft"))?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let (path, coordinating) = self.check_draft(&mut tx, &caller, &draft).await?;
            let mut conference = Conference {
                id: Uuid::now_v7().to_string(),
                state: ConferenceState::Draft as i32,
                version: 1,
                ..Default::default()
            };
            rules::apply_draft(&mut conference, draft, path, coordinating);
            stored::insert_conference(&mut tx, &conference).await?;
            let change = change("CreateConference", None, &conference);
            self.outbox.commit(tx, &caller, change, &once, conference).await
        })
        .await
    }

    async fn update_conference(&self, caller: Caller, request: UpdateConferenceRequest) -> ServiceResult<Conference> {
        let draft = request.draft.ok_or_else(|| missing("draft"))?;
        let mut tx = self.pool.begin().await?;
        let before = self.load(&mut tx, &caller, &request.id, &[Actor::Office]).await?;
        rules::may_edit(&before)?;
        let (path, coordinating) = self.check_draft(&mut tx, &caller, &draft).await?;
        let mut after = next_version(&before);
        rules::apply_draft(&mut after, draft, path, coordinating);
        // A delegation made for the old date or host must still hold.
        if after.host_position_id != before.host_position_id {
            after.delegation = None;
        } else if let Some(delegation) = after.delegation.clone() {
            self.check_delegation(&mut tx, &after, &delegation.deputy_position_id, &delegation.reason).await?;
        }
        self.record(&mut tx, &caller, &after, change("UpdateConference", Some(&before), &after)).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn assign_secretary(&self, caller: Caller, request: AssignSecretaryRequest) -> ServiceResult<Conference> {
        self.step(&caller, &request.id, &[Actor::Office], "AssignSecretary", |c, _| {
            rules::assign_secretary(c, &request.secretary_subject, &request.secretary_name)?;
            Ok(Vec::new())
        })
        .await
    }

    async fn delegate_host(&self, caller: Caller, request: DelegateHostRequest) -> ServiceResult<Conference> {
        let mut tx = self.pool.begin().await?;
        let before = self.load(&mut tx, &caller, &request.id, &[Actor::Office, Actor::Host]).await?;
        self.check_delegation(&mut tx, &before, &request.deputy_position_id, &request.reason).await?;
        let mut after = next_version(&before);
        let delegation = Delegation {
            deputy_position_id: request.deputy_position_id,
            reason: request.reason.trim().to_owned(),
            recorded_at: Some(timestamp(self.clock.now())),
            recorded_by: caller.subject.clone(),
        };
        rules::delegate(&mut after, delegation)?;
        let delegated = event("host_delegated", &after, &HostDelegated { conference: Some(after.clone()) });
        self.record(&mut tx, &caller, &after, change("DelegateHost", Some(&before), &after).event(delegated)).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn announce_conference(
        &self,
        caller: Caller,
        request: AnnounceConferenceRequest,
    ) -> ServiceResult<Conference> {
        let publication = parse::date("publication_date", &request.publication_date)?;
        let mut tx = self.pool.begin().await?;
        let before = self.load(&mut tx, &caller, &request.id, &[Actor::Office]).await?;
        let mut after = next_version(&before);
        let notice = PublicNotice {
            media_channel: request.media_channel.trim().to_owned(),
            publication_date: publication.to_string(),
            recorded_at: Some(timestamp(self.clock.now())),
        };
        rules::announce(&mut after, notice, publication, self.clock.today())?;
        let mut events =
            vec![event("conference_announced", &after, &ConferenceAnnounced { conference: Some(after.clone()) })];
        // R4.2: each lower unit's heads are told on that unit's own subject.
        for code in &after.coordinating_unit_codes {
            let path = directory::unit_path(&mut tx, &directory::parse_code("coordinating_unit_codes", code)?).await?;
            let message = CoordinationRequested {
                conference: Some(after.clone()),
                unit_code: code.clone(),
                unit_path: path.clone(),
            };
            events.push(Event::new("coordination_requested", after.id.clone(), path, &message));
        }
        self.record(&mut tx, &caller, &after, change("AnnounceConference", Some(&before), &after).events(events))
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn start_conference(&self, caller: Caller, request: ConferenceRef) -> ServiceResult<Conference> {
        let actors = [Actor::Office, Actor::Host, Actor::Secretary];
        self.step(&caller, &request.id, &actors, "StartConference", |c, api| {
            rules::start(c, api.clock.now())?;
            Ok(vec![event("conference_started", c, &ConferenceStarted { conference: Some(c.clone()) })])
        })
        .await
    }

    async fn extend_conference(&self, caller: Caller, request: ExtendConferenceRequest) -> ServiceResult<Conference> {
        // R8.1: the host decides.
        self.step(&caller, &request.id, &[Actor::Host], "ExtendConference", |c, _| {
            rules::r8_1_extend(c, request.minutes)?;
            Ok(vec![event("conference_extended", c, &ConferenceExtended { conference: Some(c.clone()) })])
        })
        .await
    }

    async fn end_conference(&self, caller: Caller, request: ConferenceRef) -> ServiceResult<Conference> {
        let actors = [Actor::Office, Actor::Host, Actor::Secretary];
        self.step(&caller, &request.id, &actors, "EndConference", |c, api| {
            rules::end(c, api.clock.now())?;
            Ok(vec![event("conference_ended", c, &ConferenceEnded { conference: Some(c.clone()) })])
        })
        .await
    }

    async fn cancel_conference(&self, caller: Caller, request: ReasonRequest) -> ServiceResult<Conference> {
        self.step(&caller, &request.id, &[Actor::Office], "CancelConference", |c, _| {
            rules::cancel(c, &request.reason)?;
            Ok(vec![event("conference_cancelled", c, &ConferenceCancelled { conference: Some(c.clone()) })])
        })
        .await
    }

    async fn postpone_conference(
        &self,
        caller: Caller,
        request: PostponeConferenceRequest,
    ) -> ServiceResult<Conference> {
        self.step(&caller, &request.id, &[Actor::Office], "PostponeConference", |c, api| {
            rules::postpone(c, &request.reason, request.new_starts_at, api.clock.now())?;
            Ok(vec![event("conference_postponed", c, &ConferencePostponed { conference: Some(c.clone()) })])
        })
        .await
    }

    pub(super) async fn get_conference(&self, caller: Caller, request: ConferenceRef) -> ServiceResult<Conference> {
        caller.require_role(&READERS)?;
        let mut conn = self.pool.acquire().await?;
        let conference = stored::find_conference(&mut conn, parse::id("id", &request.id)?).await?;
        if !rules::r4_2_asked_to_coordinate(&conference, caller.unit.as_str()) {
            require_reach(&mut conn, &caller, &conference.unit_path).await?;
        }
        Ok(conference)
    }

    async fn list_conferences(
        &self,
        caller: Caller,
        request: ListConferencesRequest,
    ) -> ServiceResult<ListConferencesResponse> {
        caller.require_role(&READERS)?;
        let code = directory::parse_code("unit_code", &request.unit_code)?;
        let starting_in = year_bounds(request.year)?;
        let state = parse::filter::<ConferenceState>("state", request.state)?.map(|s| s.as_str_name());
        let page = Page::from_request(request.page.as_ref())?;
        let after = page.after_key(cursor)?;
        let filter = ConferenceFilter {
            unit_code: code.as_str(),
            starting_in,
            state,
            after,
            limit: page.limit(),
            inherited: request.inherited,
            scope: caller.unit.as_str(),
        };
        let mut conn = self.pool.acquire().await?;
        let rows = stored::list_conferences(&mut conn, &filter).await?;
        directory::require_scope_if_nothing_read(&mut conn, &caller, &code, rows.is_empty()).await?;
        let (rows, info) = page.finish(rows, |(id, at, _)| format!("{}_{id}", at.timestamp_micros()));
        let conferences =
            rows.iter().map(|(_, _, document)| stored::decode(document)).collect::<ServiceResult<Vec<_>>>()?;
        Ok(ListConferencesResponse { conferences, page: Some(info) })
    }

    /// Checks a draft against the rules that need the directory and returns
    /// the unit path and the units asked to coordinate.
    async fn check_draft(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        draft: &ConferenceDraft,
    ) -> ServiceResult<(Vec<String>, Vec<String>)> {
        rules::check_draft(draft, self.clock.now())?;
        let path = unit_in_scope(conn, caller, "draft.unit_code", &draft.unit_code).await?;
        let venue_code = if draft.venue_unit_code.is_empty() { &draft.unit_code } else { &draft.venue_unit_code };
        let venue_path =
            directory::unit_path(conn, &directory::parse_code("draft.venue_unit_code", venue_code)?).await?;
        let mut coordinating = rules::r4_2_coordinating_units(&draft.unit_code, &venue_path)?;
        for code in &draft.coordinating_unit_codes {
            let lower =
                directory::unit_path(conn, &directory::parse_code("draft.coordinating_unit_codes", code)?).await?;
            rules::r4_2_only_lower_units_coordinate(&draft.unit_code, &lower)?;
            if !coordinating.contains(code) {
                coordinating.push(code.clone());
            }
        }
        let date = draft.starts_at.as_ref().and_then(instant).map(local_date).unwrap_or_default();
        // Held in units that exist on its date: not in a district abolished before it.
        for code in std::iter::once(&draft.unit_code).chain(std::iter::once(venue_code)).chain(&coordinating) {
            domain::units::exists_on(code, &units::life(conn, code).await?, date)?;
        }
        let host = posts::find_position(conn, parse::id("draft.host_position_id", &draft.host_position_id)?).await?;
        let body = Body::try_from(draft.body).unwrap_or_default();
        r2_1_host_is_the_head(&host.post(), &draft.unit_code, body, date)?;
        let invited: Vec<Uuid> =
            draft.invited_organization_ids.iter().filter_map(|id| Uuid::parse_str(id).ok()).collect();
        if posts::count_active_organizations(conn, &invited).await? != invited.len() as i64 {
            return Err(ServiceError::not_found(
                "an invited organization does not exist or is inactive",
                "cơ quan được mời không tồn tại hoặc đã ngừng hoạt động",
            ));
        }
        Ok((path, coordinating))
    }

    /// R2.2, checked against the posts of the conference's host and the deputy.
    async fn check_delegation(
        &self,
        conn: &mut PgConnection,
        conference: &Conference,
        deputy_id: &str,
        reason: &str,
    ) -> ServiceResult<()> {
        let head = posts::find_position(conn, parse::id("host_position_id", &conference.host_position_id)?).await?;
        let deputy = posts::find_position(conn, parse::id("deputy_position_id", deputy_id)?).await?;
        let date = rules::date_of(conference).unwrap_or_default();
        r2_2_deputy_hosts_by_delegation(&head.post(), &deputy.post(), reason, date)?;
        Ok(())
    }

    /// Locks a conference and checks that the caller may act on it as one of `actors`.
    async fn load(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        id: &str,
        actors: &[Actor],
    ) -> ServiceResult<Conference> {
        let conference = stored::lock_conference(conn, parse::id("id", id)?).await?;
        caller.require_within(&conference.unit_path)?;
        actors_of(&conference)?.acting(conn, caller, actors).await?;
        Ok(conference)
    }

    /// Stores the changed conference with the change, in the caller's transaction.
    async fn record(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        after: &Conference,
        change: Change,
    ) -> ServiceResult<()> {
        stored::update_conference(conn, after).await?;
        self.outbox.write(conn, caller, change).await?;
        Ok(())
    }

    /// Runs one lifecycle step: load and check, change, record, commit.
    async fn step<F>(
        &self,
        caller: &Caller,
        id: &str,
        actors: &[Actor],
        rpc: &'static str,
        step: F,
    ) -> ServiceResult<Conference>
    where
        F: FnOnce(&mut Conference, &Self) -> Checked<Vec<Event>>,
    {
        let mut tx = self.pool.begin().await?;
        let before = self.load(&mut tx, caller, id, actors).await?;
        let mut after = next_version(&before);
        let events = step(&mut after, self)?;
        self.record(&mut tx, caller, &after, change(rpc, Some(&before), &after).events(events)).await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// The aggregate about to change: one version on.
fn next_version(before: &Conference) -> Conference {
    Conference { version: before.version + 1, ..before.clone() }
}

/// The change of a conference through `rpc`, audited by its summaries before and after.
fn change(rpc: &'static str, before: Option<&Conference>, after: &Conference) -> Change {
    let change = Change::of(rpc, "conference", &after.id).after(summary(after));
    match before {
        Some(before) => change.before(summary(before)),
        None => change,
    }
}

fn summary(conference: &Conference) -> serde_json::Value {
    json!({
        "state": rules::state(conference).as_str_name(),
        "starts_at": rules::starts_at(conference).map(|t| t.to_rfc3339()),
        "host_position_id": conference.host_position_id,
        "delegate_position_id": conference.delegation.as_ref().map(|d| &d.deputy_position_id),
        "secretary_subject": conference.secretary_subject,
        "planned_minutes": conference.planned_minutes,
        "extension_minutes": conference.extension_minutes,
        "reason": conference.state_reason,
    })
}

fn event<M: prost::Message + prost::Name>(kind: &'static str, conference: &Conference, message: &M) -> Event {
    Event::new(kind, conference.id.clone(), conference.unit_path.clone(), message)
}

/// The instants that bound a year in Vietnam; no bounds for year 0.
fn year_bounds(year: i32) -> ServiceResult<Option<Span>> {
    if year == 0 {
        return Ok(None);
    }
    domain::check_year(year)?;
    let span = domain::year_span(year).ok_or_else(|| anyhow::anyhow!("year {year} has no bounds"))?;
    Ok(Some(span))
}

/// The key of a conference in a list: its start and id.
fn cursor(key: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (micros, id) = key.split_once('_')?;
    Some((DateTime::from_timestamp_micros(micros.parse().ok()?)?, Uuid::parse_str(id).ok()?))
}

/// Who acts on a conference: its office, its host (or the delegated deputy), its secretary.
fn actors_of(conference: &Conference) -> Checked<access::Conference<'_>> {
    Ok(access::Conference {
        host_position: parse::id("host_position_id", &conference.host_position_id)?,
        deputy_position: conference
            .delegation
            .as_ref()
            .map(|d| parse::id("deputy_position_id", &d.deputy_position_id))
            .transpose()?,
        secretary_subject: &conference.secretary_subject,
    })
}
