//! Registering participants (R2.3, R8.3), the write a conference makes by
//! the hundred, from the office, the secretary and the portal: the
//! registrations that arrive together are written together, in one
//! transaction (`together`), each checked as if alone. One that cannot go
//! with the others (refused, registered already, a retry, its caller's unit
//! ended) is done alone, where it is answered as it always was. Citizens
//! and collectives are found again under a keyed hash, never by their
//! identity number.

use doithoai_directory as directory;
use doithoai_directory::units::require_reach;
use doithoai_proto::participants::v1::{
    Collective, Participant, ParticipantRegistered, ParticipantStatus, Person, RegisterParticipantRequest, participant,
    register_participant_request::Who,
};
use doithoai_runtime::{
    Caller, Change, Refusal, ServiceError, ServiceResult,
    events::Event,
    idempotency::Once,
    outbox::{Entry, Outbox},
    parse,
    together::{Ended, Group, Queued, Together},
};
use doithoai_units::UnitCode;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{ParticipantsApi, REGISTRARS};
use crate::{
    domain,
    store::{self, ConferenceRow, NewParticipant},
};

/// Writers of registrations at once: more than one keeps the database busy
/// while another's transaction commits.
const WRITERS: usize = 4;
/// The most registrations in one transaction.
const MOST: usize = 16;

/// A registration as checked: what is stored, and what the caller sees.
struct Registrant {
    collective: bool,
    full_name: String,
    representative: Option<String>,
    phone: Option<String>,
    identity_key: Vec<u8>,
    person_key: Option<Vec<u8>>,
    who: participant::Who,
}

/// A RegisterParticipant request, its fields checked.
pub(super) struct Registration {
    caller: Caller,
    once: Once,
    conference_id: Uuid,
    code: UnitCode,
    registrant: Registrant,
}

impl Registration {
    /// The participant as stored, for its conference.
    fn new_participant(&self, id: Uuid, conference: &ConferenceRow) -> NewParticipant<'_> {
        let registrant = &self.registrant;
        NewParticipant {
            id,
            conference_id: conference.id,
            collective: registrant.collective,
            full_name: &registrant.full_name,
            representative_name: registrant.representative.as_deref(),
            phone: registrant.phone.as_deref(),
            unit_code: self.code.as_str(),
            identity_key: &registrant.identity_key,
            person_key: registrant.person_key.as_deref(),
            registered_by: &self.caller.subject,
        }
    }

    /// The audit entry and the event: ids and counts, no name or phone.
    fn change(&self, id: Uuid, conference: &ConferenceRow) -> Change {
        let collective = self.registrant.collective;
        let registered = ParticipantRegistered {
            conference_id: conference.id.to_string(),
            participant_id: id.to_string(),
            collective,
        };
        Change::of("RegisterParticipant", "participant", id)
            .after(json!({ "conference_id": conference.id, "collective": collective, "unit_code": self.code.as_str() }))
            .event(Event::new("participant_registered", id.to_string(), conference.unit_path.clone(), &registered))
    }

    /// What the caller is answered.
    fn participant(&self, id: Uuid, conference: &ConferenceRow) -> Participant {
        Participant {
            id: id.to_string(),
            conference_id: conference.id.to_string(),
            who: Some(self.registrant.who.clone()),
            unit_code: self.code.to_string(),
            status: ParticipantStatus::Registered as i32,
            registered_at: None,
        }
    }
}

impl ParticipantsApi {
    pub(super) async fn register_participant(
        &self,
        caller: Caller,
        request: RegisterParticipantRequest,
    ) -> ServiceResult<Participant> {
        let conference_id = parse::id("conference_id", &request.conference_id)?;
        let code = directory::parse_code("unit_code", &request.unit_code)?;
        let registrant = self.registrant(request.who.as_ref(), code.as_str())?;
        let once = Once::new(&caller, "RegisterParticipant", &request.request_id, &request)?;
        self.registrations.submit(Registration { caller, once, conference_id, code, registrant }).await
    }

    /// The person or collective a registration names, checked, with the keyed
    /// hashes that find a second registration of them.
    fn registrant(&self, who: Option<&Who>, unit_code: &str) -> ServiceResult<Registrant> {
        Ok(match who {
            Some(Who::Person(person)) => {
                let name = domain::check_name("person.full_name", &person.full_name)?;
                let phone = domain::check_phone(&person.phone)?;
                let national_id = domain::check_national_id(&person.national_id)?;
                let identity_key = self.identity.person(national_id.as_deref(), &name, unit_code, phone.as_deref());
                let person_key = phone.as_deref().map(|p| self.identity.person(None, &name, unit_code, Some(p)));
                let who = participant::Who::Person(Person {
                    full_name: name.clone(),
                    phone: phone.clone().unwrap_or_default(),
                    national_id: String::new(),
                });
                Registrant {
                    collective: false,
                    full_name: name,
                    representative: None,
                    phone,
                    identity_key,
                    person_key,
                    who,
                }
            }
            Some(Who::Collective(group)) => {
                let name = domain::check_name("collective.organization_name", &group.organization_name)?;
                let representative = domain::check_name("collective.representative_name", &group.representative_name)?;
                let who = participant::Who::Collective(Collective {
                    organization_name: name.clone(),
                    representative_name: representative.clone(),
                });
                Registrant {
                    collective: true,
                    identity_key: self.identity.collective(&name, unit_code),
                    full_name: name,
                    representative: Some(representative),
                    phone: None,
                    person_key: None,
                    who,
                }
            }
            None => {
                return Err(Refusal::invalid(
                    "who",
                    "a person or a collective is required",
                    "cần thông tin cá nhân hoặc tập thể",
                )
                .into());
            }
        })
    }
}

pub(super) struct Registrar {
    pub pool: PgPool,
    pub outbox: Outbox,
}

impl Registrar {
    pub(super) fn start(self) -> Together<Registration, Participant> {
        Together::start(WRITERS, MOST, self)
    }
}

impl Group for Registrar {
    type Item = Registration;
    type Reply = Participant;

    /// RegisterParticipant as it was before registrations were written together.
    async fn alone(&self, registration: &Registration) -> ServiceResult<Participant> {
        let caller = &registration.caller;
        registration
            .once
            .run(&self.pool, async {
                let mut tx = self.pool.begin().await?;
                let (conference, path) = store::conference_and_unit_path(
                    &mut tx,
                    registration.conference_id,
                    doithoai_runtime::db::RowLock::Shared,
                    registration.code.as_str(),
                )
                .await?;
                may_register(&mut tx, registration, &conference, path.as_deref()).await?;
                let id = Uuid::now_v7();
                if !store::insert_participant(&mut tx, &registration.new_participant(id, &conference)).await? {
                    return Err(already_registered().into());
                }
                let (change, participant) =
                    (registration.change(id, &conference), registration.participant(id, &conference));
                self.outbox.commit(tx, caller, change, &registration.once, participant).await
            })
            .await
    }

    /// One statement holds the conferences and reads the units' paths, one
    /// inserts the participants, one writes their audit entries, events and
    /// request ids.
    async fn together(&self, group: &[Queued<Registration>]) -> ServiceResult<Ended<Participant>> {
        let mut tx = self.pool.begin().await?;
        let wanted: Vec<(Uuid, &str)> = group.iter().map(|q| (q.item.conference_id, q.item.code.as_str())).collect();
        let found = store::conferences_and_unit_paths(&mut tx, &wanted).await?;
        // (place, new participant's id, conference) of each that may be written.
        let (mut places, mut alone) = (Vec::new(), Vec::new());
        for (place, (queued, found)) in group.iter().zip(&found).enumerate() {
            let Some((conference, path)) = found else {
                alone.push(place);
                continue;
            };
            match may_register(&mut tx, &queued.item, conference, path.as_deref()).await {
                Ok(()) => places.push((place, Uuid::now_v7(), conference)),
                Err(ServiceError::Refused(_)) => alone.push(place),
                Err(error) => return Err(error),
            }
        }
        if places.is_empty() {
            return Ok(Ended::Written { answers: Vec::new(), alone });
        }
        let new: Vec<NewParticipant<'_>> =
            places.iter().map(|&(place, id, conference)| group[place].item.new_participant(id, conference)).collect();
        // One registered already (or twice in the group) is left out, and
        // refused alone.
        let inserted = store::insert_participants(&mut tx, &new).await?;
        let (written, refused): (Vec<_>, Vec<_>) = places.into_iter().partition(|(_, id, _)| inserted.contains(id));
        alone.extend(refused.into_iter().map(|(place, _, _)| place));
        let written = written
            .into_iter()
            .map(|(place, id, conference)| {
                let queued = &group[place];
                let (change, result) = (queued.item.change(id, conference), queued.item.participant(id, conference));
                let (caller, once, traceparent) = (&queued.item.caller, &queued.item.once, queued.traceparent());
                (place, Entry { caller, change, once, result, traceparent })
            })
            .collect();
        Ended::write(&self.outbox, tx, written, alone).await
    }
}

/// Whether the caller may register this participant for the conference:
/// within reach, a registrar of it, registration open, and the participant's
/// unit known and in the conference's province (R2.3).
async fn may_register(
    conn: &mut PgConnection,
    registration: &Registration,
    conference: &ConferenceRow,
    participant_path: Option<&[String]>,
) -> ServiceResult<()> {
    require_reach(conn, &registration.caller, &conference.unit_path).await?;
    conference.actors().acting(conn, &registration.caller, &REGISTRARS).await?;
    domain::registration_open(conference.state())?;
    let participant_path = participant_path.ok_or_else(|| directory::unknown_unit(&registration.code))?;
    domain::r2_3_in_the_province(&conference.unit_path, participant_path)?;
    Ok(())
}

/// R8.3: a person or collective registers once for a conference.
fn already_registered() -> Refusal {
    Refusal::repeated(
        "R8.3",
        "this participant is already registered for the conference",
        "người này đã đăng ký tham gia hội nghị",
    )
}
