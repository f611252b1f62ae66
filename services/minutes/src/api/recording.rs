//! Recording petitions (R5.1), the write a conference makes most: the
//! petitions that arrive together are written together, in one transaction
//! (`together`), each checked as if it came alone. One that cannot go with
//! the others (refused, a retry, its caller's unit ended) is done alone,
//! where it is answered as it always was.

use doithoai_proto::{
    common::v1::Field,
    minutes::v1::{Classification, Minutes, MinutesState, Petition, PetitionStatus, RecordPetitionRequest},
};
use doithoai_runtime::{
    Caller, Change, ServiceError, ServiceResult,
    access::Actor,
    db::RowLock,
    idempotency::Once,
    outbox::{Entry, Outbox},
    parse,
    together::{Ended, Group, Queued, Together},
};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    MinutesApi, event, may_act,
    petitions::{recorded, status},
};
use crate::{
    domain, receipt,
    store::{self, ConferenceRow},
};

/// Writers of petitions at once: more than one keeps the database busy
/// while another's transaction commits.
const WRITERS: usize = 4;
/// The most petitions in one transaction: past eight to sixteen, more rows
/// a statement gain nothing (`measure-write-shapes`).
const MOST: usize = 16;
/// Who records petitions.
const RECORDERS: &[Actor] = &[Actor::Secretary, Actor::Office];

/// A RecordPetition request, its fields checked.
pub(super) struct Recording {
    caller: Caller,
    once: Once,
    conference_id: Uuid,
    /// The petition as the request gives it: no id, conference or status yet.
    draft: Petition,
}

impl Recording {
    pub(super) fn parse(caller: Caller, request: RecordPetitionRequest) -> ServiceResult<Self> {
        let text = domain::text("text", &request.text)?;
        let classification = domain::classification(request.classification)?;
        let field = domain::r5_1_field(parse::known::<Field>("field", request.field)?)?;
        let registration = optional_id("speaker_registration_id", &request.speaker_registration_id)?;
        let participant = optional_id("participant_id", &request.participant_id)?;
        let conference_id = parse::id("conference_id", &request.conference_id)?;
        let once = Once::new(&caller, "RecordPetition", &request.request_id, &request)?;
        let draft = Petition {
            speaker_registration_id: registration,
            participant_id: participant,
            text,
            field: field as i32,
            classification: classification as i32,
            state_secret: request.state_secret,
            ..Default::default()
        };
        Ok(Self { caller, once, conference_id, draft })
    }

    /// The petition recorded at `conference`, whose minutes give its unit.
    fn petition(&self, conference: &ConferenceRow, unit_code: &str) -> Petition {
        Petition {
            id: Uuid::now_v7().to_string(),
            conference_id: conference.id.to_string(),
            unit_code: unit_code.to_owned(),
            status: PetitionStatus::Recorded as i32,
            receipt_code: receipt::new_code(),
            ..self.draft.clone()
        }
    }

    fn change(&self, petition: &Petition, unit_path: &[String]) -> Change {
        let classification = Classification::try_from(petition.classification).unwrap_or_default().as_str_name();
        Change::of("RecordPetition", "petition", &petition.id)
            .after(json!({ "status": status(petition), "classification": classification, "state_secret": petition.state_secret }))
            .event(event("petition_recorded", &petition.id, unit_path, &recorded(petition)))
    }
}

impl MinutesApi {
    pub(super) async fn record_petition(
        &self,
        caller: Caller,
        request: RecordPetitionRequest,
    ) -> ServiceResult<Petition> {
        self.recordings.submit(Recording::parse(caller, request)?).await
    }
}

/// An id that may be left empty, as the record keeps it.
fn optional_id(field: &str, text: &str) -> doithoai_runtime::Checked<String> {
    parse::optional_id(field, text).map(|id| id.map(|id| id.to_string()).unwrap_or_default())
}

pub(super) struct Recorder {
    pub pool: PgPool,
    pub outbox: Outbox,
}

impl Recorder {
    pub(super) fn start(self) -> Together<Recording, Petition> {
        Together::start(WRITERS, MOST, self)
    }
}

impl Group for Recorder {
    type Item = Recording;
    type Reply = Petition;

    /// RecordPetition as it was before petitions were written together.
    async fn alone(&self, recording: &Recording) -> ServiceResult<Petition> {
        let caller = &recording.caller;
        recording
            .once
            .run(&self.pool, async {
                let mut tx = self.pool.begin().await?;
                let (conference, minutes) =
                    store::conference_locking_minutes(&mut tx, recording.conference_id, RowLock::Shared).await?;
                let minutes = may_record(&mut tx, caller, &conference, minutes.as_ref()).await?;
                let petition = recording.petition(&conference, &minutes.unit_code);
                store::insert_petition(&mut tx, &petition, &conference.unit_path).await?;
                let change = recording.change(&petition, &conference.unit_path);
                self.outbox.commit(tx, caller, change, &recording.once, petition).await
            })
            .await
    }

    /// One statement locks the conferences' minutes, one inserts the
    /// petitions, one writes their audit entries, events and request ids.
    async fn together(&self, group: &[Queued<Recording>]) -> ServiceResult<Ended<Petition>> {
        let mut tx = self.pool.begin().await?;
        let mut ids: Vec<Uuid> = group.iter().map(|q| q.item.conference_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let conferences = store::conferences_locking_minutes(&mut tx, &ids, RowLock::Shared).await?;
        // (place, conference, petition) of each that may be written.
        let (mut accepted, mut alone) = (Vec::new(), Vec::new());
        for (place, queued) in group.iter().enumerate() {
            let recording = &queued.item;
            let Some((conference, minutes)) = conferences.get(&recording.conference_id) else {
                alone.push(place);
                continue;
            };
            match may_record(&mut tx, &recording.caller, conference, minutes.as_ref()).await {
                Ok(minutes) => accepted.push((place, conference, recording.petition(conference, &minutes.unit_code))),
                Err(ServiceError::Refused(_)) => alone.push(place),
                Err(error) => return Err(error),
            }
        }
        if accepted.is_empty() {
            return Ok(Ended::Written { answers: Vec::new(), alone });
        }
        let petitions: Vec<&Petition> = accepted.iter().map(|(_, _, petition)| petition).collect();
        store::insert_petitions(&mut tx, &petitions).await?;
        let written = accepted
            .into_iter()
            .map(|(place, conference, petition)| {
                let queued = &group[place];
                let change = queued.item.change(&petition, &conference.unit_path);
                let (caller, once, traceparent) = (&queued.item.caller, &queued.item.once, queued.traceparent());
                (place, Entry { caller, change, once, result: petition, traceparent })
            })
            .collect();
        Ended::write(&self.outbox, tx, written, alone).await
    }
}

/// R8.4: the conference's secretary or office records, on open minutes.
async fn may_record<'m>(
    conn: &mut PgConnection,
    caller: &Caller,
    conference: &ConferenceRow,
    minutes: Option<&'m Minutes>,
) -> ServiceResult<&'m Minutes> {
    may_act(conn, caller, conference, RECORDERS).await?;
    let minutes = minutes.ok_or_else(store::minutes_not_open)?;
    domain::r8_4_minutes_open(MinutesState::try_from(minutes.state).unwrap_or_default())?;
    Ok(minutes)
}
