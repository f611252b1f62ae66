//! The minutes document: reading and rendering it, the host's opening
//! (R8.2) and conclusion, the two signatures and the entries added after
//! them (R8.4).

use doithoai_proto::minutes::v1::{
    AddEntryRequest, ConclusionSigned, ConferenceRequest, Entry, EntryAdded, Minutes, MinutesState,
    RecordConclusionRequest, RecordOpeningRequest, Signature,
};
use doithoai_runtime::{
    Caller, Change, ServiceResult, access::Actor, db::RowLock, events::Event, idempotency::Once, parse, time::timestamp,
};
use serde_json::json;
use uuid::Uuid;

use super::{MinutesApi, event};
use crate::{
    domain::{self, Signer},
    store::{self, ConferenceRow},
};

fn state(minutes: &Minutes) -> MinutesState {
    MinutesState::try_from(minutes.state).unwrap_or_default()
}

fn summary(minutes: &Minutes) -> serde_json::Value {
    json!({ "state": state(minutes).as_str_name(), "entries": minutes.entries.len() })
}

impl MinutesApi {
    pub(super) async fn get_minutes(&self, caller: Caller, request: ConferenceRequest) -> ServiceResult<Minutes> {
        let mut conn = self.pool.acquire().await?;
        let conference =
            self.conference(&mut conn, &caller, parse::id("conference_id", &request.conference_id)?).await?;
        let notice = store::notice(&mut conn, conference.id, RowLock::None).await?;
        Ok(Minutes { notice, ..store::full_minutes(&mut conn, conference.id).await? })
    }

    pub(super) async fn record_opening(&self, caller: Caller, request: RecordOpeningRequest) -> ServiceResult<Minutes> {
        let (purpose, requirements, content) = (
            domain::text("purpose", &request.purpose)?,
            domain::text("requirements", &request.requirements)?,
            domain::text("content", &request.content)?,
        );
        let step = Step { rpc: "RecordOpening", actors: &[Actor::Secretary, Actor::Office] };
        self.change_minutes(&caller, &request.conference_id, step, &Once::none(), |minutes, _, _| {
            domain::r8_4_minutes_open(state(minutes))?;
            // R8.2: the host opens with purpose, requirements and main content.
            minutes.purpose = purpose;
            minutes.requirements = requirements;
            minutes.content = content;
            Ok(Vec::new())
        })
        .await
    }

    pub(super) async fn record_conclusion(
        &self,
        caller: Caller,
        request: RecordConclusionRequest,
    ) -> ServiceResult<Minutes> {
        let conclusion = domain::text("conclusion", &request.conclusion)?;
        let step = Step { rpc: "RecordConclusion", actors: &[Actor::Host] };
        self.change_minutes(&caller, &request.conference_id, step, &Once::none(), |minutes, _, _| {
            domain::r8_4_minutes_open(state(minutes))?;
            minutes.conclusion = conclusion;
            minutes.state = MinutesState::Concluded as i32;
            Ok(Vec::new())
        })
        .await
    }

    pub(super) async fn sign_minutes(&self, caller: Caller, request: ConferenceRequest) -> ServiceResult<Minutes> {
        let now = timestamp(self.clock.now());
        let signature = Signature { subject: caller.subject.clone(), signed_at: Some(now) };
        let step = Step { rpc: "SignMinutes", actors: &[Actor::Secretary, Actor::Host] };
        self.change_minutes(&caller, &request.conference_id, step, &Once::none(), |minutes, actor, conference| {
            let signer = if actor == Actor::Host { Signer::Host } else { Signer::Secretary };
            if !domain::r8_4_sign(minutes, signer, signature)? {
                return Ok(Vec::new());
            }
            let signed = ConclusionSigned { conference_id: minutes.conference_id.clone(), signed_at: Some(now) };
            Ok(vec![event("conclusion_signed", &minutes.conference_id, &conference.unit_path, &signed)])
        })
        .await
    }

    pub(super) async fn add_entry(&self, caller: Caller, request: AddEntryRequest) -> ServiceResult<Minutes> {
        let text = domain::text("text", &request.text)?;
        let once = Once::new(&caller, "AddEntry", &request.request_id, &request)?;
        let (author, recorded_at) = (caller.subject.clone(), timestamp(self.clock.now()));
        let step = Step { rpc: "AddEntry", actors: &[Actor::Secretary, Actor::Office] };
        self.change_minutes(&caller, &request.conference_id, step, &once, |minutes, _, conference| {
            let kind = domain::r8_4_entry(&request.kind, state(minutes))?;
            let added = EntryAdded { conference_id: minutes.conference_id.clone(), kind: kind.clone() };
            minutes.entries.push(Entry {
                id: Uuid::now_v7().to_string(),
                kind,
                text,
                author,
                recorded_at: Some(recorded_at),
            });
            Ok(vec![event("entry_added", &minutes.conference_id, &conference.unit_path, &added)])
        })
        .await
    }

    /// One change to the minutes document by one of the step's actors: load
    /// and lock, decide, save with the audit entry and events, commit.
    async fn change_minutes<F>(
        &self,
        caller: &Caller,
        conference_id: &str,
        step: Step<'_>,
        once: &Once,
        decide: F,
    ) -> ServiceResult<Minutes>
    where
        F: FnOnce(&mut Minutes, Actor, &ConferenceRow) -> doithoai_runtime::Checked<Vec<Event>>,
    {
        let id = parse::id("conference_id", conference_id)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let (conference, actor, mut minutes) =
                self.conference_with_minutes(&mut tx, caller, id, step.actors, RowLock::Exclusive).await?;
            let before = summary(&minutes);
            let events = decide(&mut minutes, actor, &conference)?;
            store::save_minutes(&mut tx, &minutes).await?;
            let change =
                Change::of(step.rpc, "minutes", conference.id).before(before).after(summary(&minutes)).events(events);
            self.outbox.commit(tx, caller, change, once, minutes).await
        })
        .await
    }
}

/// A step on the minutes: its RPC, and who may take it.
struct Step<'a> {
    rpc: &'static str,
    actors: &'a [Actor],
}
