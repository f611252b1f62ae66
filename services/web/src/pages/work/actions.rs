//! `POST /work/conferences/{id}/do/{action}`: every step of a conference a
//! form takes, each one call to the service that owns it. Done, the page it
//! came from is shown again (303, so a reload sends nothing twice); refused,
//! that page comes back with the form as it was typed and the refusal beside
//! its fields.

use std::collections::HashMap;

use axum::{
    Form,
    extract::Path,
    http::StatusCode,
    response::{IntoResponse, Redirect},
};
use doithoai_proto::{
    common::v1::Field,
    minutes::v1::{
        AddEntryRequest, AnswerPetitionRequest, Classification, ConferenceRequest as MinutesOf,
        IssueConclusionNoticeRequest, NoticeAssignment, RecordConclusionRequest, RecordOpeningRequest,
        RecordPetitionRequest, ReferPetitionRequest,
    },
    participants::v1::{
        CheckInRequest, ConferenceRequest, InviteRequest, MergeSpeakerRequest, MoveSpeakerRequest, Person,
        RefusalReason, RefuseParticipantRequest, RegisterParticipantRequest, RegisterSpeakerRequest,
        SpeakerNoteRequest, SpeakerRequest, UpdateInvitationRequest, check_in_request,
        register_participant_request::Who,
    },
    scheduling::v1::{
        AgendaItem, AnnounceConferenceRequest, AssignSecretaryRequest, Conference, ConferenceDraft, ConferenceRef,
        DelegateHostRequest, ExtendConferenceRequest, PostponeConferenceRequest, ReasonRequest,
        UpdateConferenceRequest, Urgency,
    },
};
use tonic::Status;

use super::{Worker, forms::Filled};
use crate::{
    State,
    backends::ask,
    i18n::Lang,
    problem::{Failed, PageResult, Problem, Refused},
    session::Viewer,
};

/// The form's values, trimmed; empty when absent.
pub struct Values(pub HashMap<String, String>);

impl Values {
    pub fn get(&self, name: &str) -> String {
        self.0.get(name).map(|v| v.trim().to_owned()).unwrap_or_default()
    }

    pub fn number<T: std::str::FromStr + Default>(&self, name: &str) -> T {
        self.get(name).parse().unwrap_or_default()
    }

    /// An enum of the services by its value's name (`FIELD_…`), 0 when none.
    pub fn named<E: Into<i32>>(&self, name: &str, parse: impl Fn(&str) -> Option<E>) -> i32 {
        parse(&self.get(name)).map_or(0, Into::into)
    }
}

/// The session's anti-forgery token must come with every form.
pub fn check_csrf(viewer: &Viewer, values: &HashMap<String, String>, lang: Lang) -> PageResult<()> {
    match values.get("csrf") {
        Some(csrf) if *csrf == viewer.csrf => Ok(()),
        _ => Err(Failed(
            Problem::Denied(Refused {
                reason: "CSRF".into(),
                message: lang
                    .t("Biểu mẫu không hợp lệ. Xin tải lại trang.", "The form is not valid. Please reload the page.")
                    .into(),
                fields: Vec::new(),
            }),
            lang,
        )),
    }
}

/// A service's refusal, to show beside the form; anything else fails the page.
pub fn refusal(status: &Status, lang: Lang) -> PageResult<Refused> {
    match Problem::from_status(status, lang) {
        Problem::Refused(refused) | Problem::Denied(refused) => Ok(refused),
        Problem::NotFound => Ok(Refused::of(status, lang)),
        other => Err(Failed(other, lang)),
    }
}

/// The page a form came from.
#[derive(Clone, Copy)]
enum Back {
    Prepare,
    Live,
    Notice,
}

impl Back {
    fn parse(text: &str) -> Self {
        match text {
            "live" => Back::Live,
            "notice" => Back::Notice,
            _ => Back::Prepare,
        }
    }

    fn path(self, id: &str) -> String {
        match self {
            Back::Prepare => format!("/work/conferences/{id}"),
            Back::Live => format!("/work/conferences/{id}/live"),
            Back::Notice => format!("/work/conferences/{id}/notice"),
        }
    }
}

/// The page again, with a refused form as it was typed.
pub async fn again(web: &State, lang: Lang, viewer: &Viewer, id: &str, back: &str, filled: Filled) -> PageResult {
    let page = match Back::parse(back) {
        Back::Prepare => super::prepare::render(web, lang, viewer, id, Some(&filled)).await?,
        Back::Live => super::live::render(web, lang, viewer, id, Some(&filled)).await?,
        Back::Notice => super::notice::render(web, lang, viewer, id, Some(&filled)).await?,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// What a form's step came to: done, the page it leads to (303, so that a
/// reload sends nothing twice); refused, the form's page again as typed.
pub async fn settle(
    step: Result<String, Stop>,
    form: &str,
    values: HashMap<String, String>,
    again: impl AsyncFnOnce(Filled) -> PageResult,
) -> PageResult {
    match step {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(Stop::Refused(refused)) => again(Filled { form: form.into(), values, refused }).await,
        Err(Stop::Failed(failed)) => Err(failed),
    }
}

/// `POST /work/conferences/{id}/do/{action}`.
pub async fn act(
    web: super::super::Web,
    Worker(viewer, lang): Worker,
    Path((id, action)): Path<(String, String)>,
    Form(values): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&viewer, &values, lang)?;
    super::super::plausible_id(&id, lang)?;
    let form = Values(values);
    let back = form.get("back");
    let done = step(&web, lang, &viewer, &id, &action, &form).await;
    let to = done.map(|anchor| format!("{}#{anchor}", Back::parse(&back).path(&id)));
    settle(to, &action, form.0, async |filled| again(&web, lang, &viewer, &id, &back, filled).await).await
}

/// Why a step did not happen.
pub enum Stop {
    Refused(Refused),
    Failed(Failed),
}

impl Stop {
    pub fn of(status: Status, lang: Lang) -> Self {
        match refusal(&status, lang) {
            Ok(refused) => Stop::Refused(refused),
            Err(failed) => Stop::Failed(failed),
        }
    }
}

impl From<Failed> for Stop {
    fn from(failed: Failed) -> Self {
        Stop::Failed(failed)
    }
}

/// A refusal of the web itself, for a field the services never see as typed.
pub fn invalid(lang: Lang, field: &str, vi: &str, en: &str) -> Stop {
    let why = lang.t(vi, en).to_owned();
    Stop::Refused(Refused {
        reason: "INVALID_ARGUMENT".into(),
        message: why.clone(),
        fields: vec![(field.into(), why)],
    })
}

/// The draft a conference is, to change one part of it.
fn draft_of(c: &Conference) -> ConferenceDraft {
    ConferenceDraft {
        unit_code: c.unit_code.clone(),
        body: c.body,
        host_position_id: c.host_position_id.clone(),
        regime: c.regime,
        kind: c.kind,
        form: c.form,
        venue_unit_code: c.venue_unit_code.clone(),
        venue_address: c.venue_address.clone(),
        online_link: c.online_link.clone(),
        theme: c.theme.clone(),
        agenda: c.agenda.clone(),
        starts_at: c.starts_at,
        planned_minutes: c.planned_minutes,
        invited_organization_ids: c.invited_organization_ids.clone(),
        coordinating_unit_codes: Vec::new(),
    }
}

/// Takes one step; the anchor of the part of the page it changed.
async fn step(
    web: &State,
    lang: Lang,
    viewer: &Viewer,
    id: &str,
    action: &str,
    form: &Values,
) -> Result<&'static str, Stop> {
    let token = &viewer.token;
    let fail = |status| Stop::of(status, lang);
    let conference = || ConferenceRef { id: id.to_owned() };
    let scheduling = web.backends.conferences();
    let mut participants = web.backends.participants();
    let mut minutes = web.backends.minutes();
    let request_id = form.get("request_id");
    Ok(match action {
        "agenda" | "agenda-remove" => {
            let c = super::reads::conference(web, lang, viewer, id).await?;
            let mut draft = draft_of(&c);
            if action == "agenda" {
                draft.agenda.push(AgendaItem {
                    title: form.get("title"),
                    field: form.named("field", Field::from_str_name),
                    source: form.get("source"),
                    urgency: form.named("urgency", Urgency::from_str_name),
                    preparing_organization_id: form.get("preparing_organization_id"),
                    preparing_official: form.get("preparing_official"),
                    state_secret: false,
                });
            } else if let Some(index) = form.get("index").parse::<usize>().ok().filter(|i| *i < draft.agenda.len()) {
                draft.agenda.remove(index);
            }
            let request = UpdateConferenceRequest { id: id.to_owned(), draft: Some(draft) };
            scheduling.clone().update_conference(ask(request, token)).await.map_err(fail)?;
            "agenda"
        }
        "secretary" => {
            let request = AssignSecretaryRequest {
                id: id.to_owned(),
                secretary_subject: form.get("secretary_subject"),
                secretary_name: form.get("secretary_name"),
            };
            scheduling.clone().assign_secretary(ask(request, token)).await.map_err(fail)?;
            "secretary"
        }
        "delegate" => {
            let request = DelegateHostRequest {
                id: id.to_owned(),
                deputy_position_id: form.get("deputy_position_id"),
                reason: form.get("reason"),
            };
            scheduling.clone().delegate_host(ask(request, token)).await.map_err(fail)?;
            "host"
        }
        "announce" => {
            let request = AnnounceConferenceRequest {
                id: id.to_owned(),
                media_channel: form.get("media_channel"),
                publication_date: form.get("publication_date"),
            };
            scheduling.clone().announce_conference(ask(request, token)).await.map_err(fail)?;
            "announce"
        }
        "cancel" => {
            let reason = form.get("reason");
            match form.get("what").as_str() {
                "postpone" => {
                    let request = PostponeConferenceRequest { id: id.to_owned(), reason, new_starts_at: None };
                    scheduling.clone().postpone_conference(ask(request, token)).await.map_err(fail)?;
                }
                "cancel" => {
                    let request = ReasonRequest { id: id.to_owned(), reason };
                    scheduling.clone().cancel_conference(ask(request, token)).await.map_err(fail)?;
                }
                _ => return Err(invalid(lang, "what", "Chọn hoãn hoặc hủy.", "Choose to postpone or to cancel.")),
            }
            "state"
        }
        "invite" => {
            let request = InviteRequest {
                conference_id: id.to_owned(),
                organization_id: form.get("organization_id"),
                invitee_name: form.get("invitee_name"),
                invitee_title: form.get("invitee_title"),
                answers_agenda_items: Vec::new(),
                request_id,
            };
            participants.invite(ask(request, token)).await.map_err(fail)?;
            "invitations"
        }
        "rsvp" => {
            let request = UpdateInvitationRequest {
                invitation_id: form.get("invitation_id"),
                status: form.named("status", doithoai_proto::participants::v1::InvitationStatus::from_str_name),
            };
            participants.update_invitation(ask(request, token)).await.map_err(fail)?;
            "invitations"
        }
        "register" => {
            register(web, lang, viewer, id, form).await?;
            "register"
        }
        "start" => {
            scheduling.clone().start_conference(ask(conference(), token)).await.map_err(fail)?;
            "clock"
        }
        "extend" => {
            let minutes = form.get("minutes").parse().map_err(|_| {
                invalid(
                    lang,
                    "minutes",
                    "Số phút kéo dài là một số nguyên.",
                    "The extension is a whole number of minutes.",
                )
            })?;
            let request = ExtendConferenceRequest { id: id.to_owned(), minutes };
            scheduling.clone().extend_conference(ask(request, token)).await.map_err(fail)?;
            "clock"
        }
        "end" => {
            scheduling.clone().end_conference(ask(conference(), token)).await.map_err(fail)?;
            "clock"
        }
        "checkin" => {
            let who = match form.get("invitation_id") {
                invitation if !invitation.is_empty() => check_in_request::Who::InvitationId(invitation),
                _ => check_in_request::Who::ParticipantId(form.get("participant_id")),
            };
            participants.check_in(ask(CheckInRequest { who: Some(who) }, token)).await.map_err(fail)?;
            "queue"
        }
        "call" => {
            let request = ConferenceRequest { conference_id: id.to_owned() };
            participants.call_next_speaker(ask(request, token)).await.map_err(fail)?;
            "queue"
        }
        "confirm" => {
            let request = SpeakerRequest { registration_id: form.get("registration_id") };
            participants.confirm_speaker(ask(request, token)).await.map_err(fail)?;
            "queue"
        }
        "merge" => {
            let request = MergeSpeakerRequest {
                registration_id: form.get("registration_id"),
                into_registration_id: form.get("into_registration_id"),
            };
            participants.merge_speaker(ask(request, token)).await.map_err(fail)?;
            "queue"
        }
        "out-of-scope" => {
            let request =
                SpeakerNoteRequest { registration_id: form.get("registration_id"), reason: form.get("reason") };
            participants.mark_out_of_scope(ask(request, token)).await.map_err(fail)?;
            "queue"
        }
        "move" => {
            let new_position = form.get("new_position").parse().map_err(|_| {
                invalid(lang, "new_position", "Thứ tự mới là một số nguyên dương.", "The new place is a whole number.")
            })?;
            let request = MoveSpeakerRequest {
                registration_id: form.get("registration_id"),
                new_position,
                reason: form.get("reason"),
            };
            participants.move_speaker(ask(request, token)).await.map_err(fail)?;
            "queue"
        }
        "spoke" | "absent" => {
            let request = SpeakerRequest { registration_id: form.get("registration_id") };
            if action == "spoke" {
                participants.mark_spoke(ask(request, token)).await.map_err(fail)?;
            } else {
                participants.mark_absent(ask(request, token)).await.map_err(fail)?;
            }
            "queue"
        }
        "refuse" => {
            let request = RefuseParticipantRequest {
                participant_id: form.get("participant_id"),
                reason: form.named("reason", RefusalReason::from_str_name),
                note: form.get("note"),
            };
            participants.refuse_participant(ask(request, token)).await.map_err(fail)?;
            "queue"
        }
        "opening" => {
            let request = RecordOpeningRequest {
                conference_id: id.to_owned(),
                purpose: form.get("purpose"),
                requirements: form.get("requirements"),
                content: form.get("content"),
            };
            minutes.record_opening(ask(request, token)).await.map_err(fail)?;
            "opening"
        }
        "petition" => {
            let speaker = form.get("speaker_registration_id");
            let participant = match speaker.is_empty() {
                true => String::new(),
                false => super::reads::speakers(web, lang, viewer, id)
                    .await?
                    .into_iter()
                    .find(|s| s.id == speaker)
                    .map(|s| s.participant_id)
                    .unwrap_or_default(),
            };
            let request = RecordPetitionRequest {
                conference_id: id.to_owned(),
                speaker_registration_id: speaker,
                participant_id: participant,
                text: form.get("text"),
                field: form.named("field", Field::from_str_name),
                classification: form.named("classification", Classification::from_str_name),
                state_secret: form.get("state_secret") == "on",
                request_id,
            };
            minutes.record_petition(ask(request, token)).await.map_err(fail)?;
            "petitions"
        }
        "answer" => {
            let request = AnswerPetitionRequest {
                petition_id: form.get("petition_id"),
                text: form.get("text"),
                organization_id: form.get("organization_id"),
                official_name: form.get("official_name"),
                request_id,
            };
            minutes.answer_petition(ask(request, token)).await.map_err(fail)?;
            "petitions"
        }
        "refer" => {
            let request = ReferPetitionRequest {
                petition_id: form.get("petition_id"),
                receiving_body: form.get("receiving_body"),
                referred_on: form.get("referred_on"),
                request_id,
            };
            minutes.refer_petition(ask(request, token)).await.map_err(fail)?;
            "petitions"
        }
        "conclusion" => {
            let request = RecordConclusionRequest { conference_id: id.to_owned(), conclusion: form.get("conclusion") };
            minutes.record_conclusion(ask(request, token)).await.map_err(fail)?;
            "conclusion"
        }
        "entry" => {
            let request = AddEntryRequest {
                conference_id: id.to_owned(),
                kind: form.get("kind"),
                text: form.get("text"),
                request_id,
            };
            minutes.add_entry(ask(request, token)).await.map_err(fail)?;
            "entries"
        }
        "edit" => {
            let c = super::reads::conference(web, lang, viewer, id).await?;
            let draft = ConferenceDraft {
                theme: form.get("theme"),
                venue_address: form.get("venue_address"),
                starts_at: Some(super::conferences::starts_at(lang, form)?),
                planned_minutes: form.number("planned_minutes"),
                ..draft_of(&c)
            };
            let request = UpdateConferenceRequest { id: id.to_owned(), draft: Some(draft) };
            scheduling.clone().update_conference(ask(request, token)).await.map_err(fail)?;
            "details"
        }
        "sign" => {
            let request = MinutesOf { conference_id: id.to_owned() };
            minutes.sign_minutes(ask(request, token)).await.map_err(fail)?;
            "conclusion"
        }
        "notice" => {
            let assignments = form
                .0
                .iter()
                .filter_map(|(name, agency)| Some((name.strip_prefix("assign.")?, agency.trim())))
                .filter(|(_, agency)| !agency.is_empty())
                .map(|(petition, agency)| NoticeAssignment {
                    petition_id: petition.to_owned(),
                    organization_id: agency.to_owned(),
                    received_on: String::new(),
                })
                .collect();
            let request = IssueConclusionNoticeRequest {
                conference_id: id.to_owned(),
                number: form.get("number"),
                sent_on: form.get("sent_on"),
                signer: form.get("signer"),
                assignments,
                request_id,
            };
            minutes.issue_conclusion_notice(ask(request, token)).await.map_err(fail)?;
            "issued"
        }
        _ => return Err(Stop::Failed(Failed(Problem::NotFound, lang))),
    })
}

/// The office registers a participant who came in person or wrote in, and
/// what they will speak on (R2.3, R8.3).
async fn register(web: &State, lang: Lang, viewer: &Viewer, id: &str, form: &Values) -> Result<(), Stop> {
    let field = form.named("field", Field::from_str_name);
    let topic = form.get("topic");
    if !topic.is_empty() && field == 0 {
        return Err(invalid(
            lang,
            "field",
            "Chọn lĩnh vực của nội dung phát biểu (R5.1).",
            "Choose the topic's field (R5.1).",
        ));
    }
    let person =
        Person { full_name: form.get("full_name"), phone: form.get("phone"), national_id: form.get("national_id") };
    let request = RegisterParticipantRequest {
        conference_id: id.to_owned(),
        who: Some(Who::Person(person)),
        unit_code: form.get("unit_code"),
        request_id: form.get("request_id"),
    };
    let mut participants = web.backends.participants();
    let participant = participants
        .register_participant(ask(request, &viewer.token))
        .await
        .map_err(|s| Stop::of(s, lang))?
        .into_inner();
    if !topic.is_empty() {
        let request = RegisterSpeakerRequest {
            conference_id: id.to_owned(),
            participant_id: participant.id,
            topic,
            field,
            request_id: form.get("speaker_request_id"),
        };
        participants.register_speaker(ask(request, &viewer.token)).await.map_err(|s| Stop::of(s, lang))?;
    }
    Ok(())
}
