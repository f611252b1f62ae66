//! `doithoai participant …`: registration, the speaker queue, refusals,
//! invitations and check-in, through the participants service.

use clap::Subcommand;
use doithoai_proto::{
    common::v1::Field,
    participants::v1::{
        CheckInRequest, Collective, ConferenceRequest, InvitationStatus, InviteRequest, MergeSpeakerRequest,
        MoveSpeakerRequest, Person, RefusalReason, RefuseParticipantRequest, RegisterParticipantRequest,
        RegisterSpeakerRequest, RenderInvitationRequest, SpeakerNoteRequest, SpeakerRegistration, SpeakerRequest,
        SpeakerStatus, UpdateInvitationRequest, check_in_request, participants_client::ParticipantsClient,
        register_participant_request::Who,
    },
};
use doithoai_runtime::idempotency::request_id;

use crate::client::{AuthedChannel, Connection, Service, document_format, explain, named, write_document};

#[derive(Subcommand)]
pub enum ParticipantCommand {
    /// Registers a person (or, with --organization, a collective) for a conference.
    Register {
        conference: String,
        /// The person's full name, or the collective's representative.
        #[arg(long)]
        name: String,
        /// Where they live, work or study (a unit code in the province).
        #[arg(long)]
        unit: String,
        #[arg(long, default_value = "")]
        phone: String,
        /// Kept only as a keyed hash, to find double registrations.
        #[arg(long, default_value = "")]
        national_id: String,
        #[arg(long)]
        organization: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Registers a participant's topic; the queue is in registration order (R8.3).
    Speak {
        conference: String,
        participant: String,
        #[arg(long)]
        topic: String,
        /// economy-and-society, defence-and-security, social-order-and-safety, party-building,
        /// government-building or front-and-organizations.
        #[arg(long, default_value = "economy-and-society")]
        field: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// The speaker queue.
    Queue {
        conference: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Confirms a registration's topic as in scope before the conference.
    Confirm {
        registration: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Marks a registration as a duplicate of another.
    Merge {
        registration: String,
        #[arg(long)]
        into: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Marks a registration's topic as outside the conference's scope, with the reason.
    OutOfScope {
        registration: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Moves a registration in the queue; only with a reason (audited).
    Move {
        registration: String,
        #[arg(long)]
        to: u32,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Calls the next speaker in order (during the conference).
    CallNext {
        conference: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// The called speaker has spoken.
    Spoke {
        registration: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// The called speaker is not there.
    Absent {
        registration: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// The host refuses dialogue (R2.4): no-civil-capacity, prosecuted-or-deprived,
    /// disturbing-order, intoxicated or uncooperative.
    Refuse {
        participant: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Invites an agency's leader or official (R7.4).
    Invite {
        conference: String,
        #[arg(long, default_value = "")]
        organization: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        title: String,
        /// Agenda items (from 0) the invitee answers; repeatable.
        #[arg(long)]
        answers: Vec<u32>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Records an invitee's answer: accepted, declined or attended.
    Invitation {
        invitation: String,
        #[arg(long)]
        status: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Writes an invitation as the office sends it (R7.4): DOCX to a .docx
    /// file, PDF to any other name.
    InvitationDocument {
        invitation: String,
        #[arg(long)]
        out: std::path::PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// Checks in a participant (or, with --invitation, an invitee).
    CheckIn {
        id: String,
        #[arg(long)]
        invitation: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Counts of registrations, check-ins, refusals, invitations and speakers.
    Attendance {
        conference: String,
        #[command(flatten)]
        connection: Connection,
    },
}

async fn client(connection: &Connection) -> anyhow::Result<ParticipantsClient<AuthedChannel>> {
    Ok(ParticipantsClient::new(connection.channel(Service::Participants).await?))
}

fn line(s: &SpeakerRegistration) -> String {
    let status =
        SpeakerStatus::try_from(s.status).map_or("?", |s| s.as_str_name()).trim_start_matches("SPEAKER_STATUS_");
    let name = if s.speaker_name.is_empty() { String::new() } else { format!(" ({})", s.speaker_name) };
    format!("{:>3} {} {status} {}{name}", s.position, s.id, s.topic)
}

pub async fn run(command: ParticipantCommand) -> anyhow::Result<()> {
    let speaker = |id: String| SpeakerRequest { registration_id: id };
    let conference = |id: String| ConferenceRequest { conference_id: id };
    let updated = match command {
        ParticipantCommand::Register { conference, name, unit, phone, national_id, organization, connection } => {
            let who = match organization {
                Some(organization_name) => Who::Collective(Collective { organization_name, representative_name: name }),
                None => Who::Person(Person { full_name: name, phone, national_id }),
            };
            let request = RegisterParticipantRequest {
                request_id: request_id(),
                conference_id: conference,
                who: Some(who),
                unit_code: unit,
            };
            let participant = sent!(client(&connection).await?, register_participant, request).map_err(explain)?;
            out!("{}", participant.get_ref().id)?;
            return Ok(());
        }
        ParticipantCommand::Speak { conference, participant, topic, field, connection } => {
            let field = named("FIELD", &field, Field::from_str_name)? as i32;
            let request = RegisterSpeakerRequest {
                request_id: request_id(),
                conference_id: conference,
                participant_id: participant,
                topic,
                field,
            };
            sent!(client(&connection).await?, register_speaker, request)
        }
        ParticipantCommand::Queue { conference: id, connection } => {
            let queue = client(&connection).await?.list_speakers(conference(id)).await.map_err(explain)?;
            for s in &queue.get_ref().speakers {
                out!("{}", line(s))?;
            }
            return Ok(());
        }
        ParticipantCommand::Confirm { registration, connection } => {
            client(&connection).await?.confirm_speaker(speaker(registration)).await
        }
        ParticipantCommand::Merge { registration, into, connection } => {
            client(&connection)
                .await?
                .merge_speaker(MergeSpeakerRequest { registration_id: registration, into_registration_id: into })
                .await
        }
        ParticipantCommand::OutOfScope { registration, reason, connection } => {
            client(&connection)
                .await?
                .mark_out_of_scope(SpeakerNoteRequest { registration_id: registration, reason })
                .await
        }
        ParticipantCommand::Move { registration, to, reason, connection } => {
            client(&connection)
                .await?
                .move_speaker(MoveSpeakerRequest { registration_id: registration, new_position: to, reason })
                .await
        }
        ParticipantCommand::CallNext { conference: id, connection } => {
            client(&connection).await?.call_next_speaker(conference(id)).await
        }
        ParticipantCommand::Spoke { registration, connection } => {
            client(&connection).await?.mark_spoke(speaker(registration)).await
        }
        ParticipantCommand::Absent { registration, connection } => {
            client(&connection).await?.mark_absent(speaker(registration)).await
        }
        ParticipantCommand::Refuse { participant, reason, note, connection } => {
            let reason = named("REFUSAL_REASON", &reason, RefusalReason::from_str_name)? as i32;
            let refused = client(&connection)
                .await?
                .refuse_participant(RefuseParticipantRequest { participant_id: participant, reason, note })
                .await;
            out!("{} REFUSED", refused.map_err(explain)?.get_ref().id)?;
            return Ok(());
        }
        ParticipantCommand::Invite { conference, organization, name, title, answers, connection } => {
            let request = InviteRequest {
                request_id: request_id(),
                conference_id: conference,
                organization_id: organization,
                invitee_name: name,
                invitee_title: title,
                answers_agenda_items: answers,
            };
            let invitation = sent!(client(&connection).await?, invite, request).map_err(explain)?;
            out!("{} SENT", invitation.get_ref().id)?;
            return Ok(());
        }
        ParticipantCommand::Invitation { invitation, status, connection } => {
            let status = named("INVITATION_STATUS", &status, InvitationStatus::from_str_name)?;
            let request = UpdateInvitationRequest { invitation_id: invitation, status: status as i32 };
            let invitation = client(&connection).await?.update_invitation(request).await.map_err(explain)?;
            out!("{} {}", invitation.get_ref().id, status.as_str_name().trim_start_matches("INVITATION_STATUS_"))?;
            return Ok(());
        }
        ParticipantCommand::InvitationDocument { invitation, out, connection } => {
            let format = document_format(&out);
            let request = RenderInvitationRequest { invitation_id: invitation, format };
            let rendered = client(&connection).await?.render_invitation(request).await.map_err(explain)?.into_inner();
            out!("{}", write_document(&out, &rendered)?)?;
            return Ok(());
        }
        ParticipantCommand::CheckIn { id, invitation, connection } => {
            let who = if invitation {
                check_in_request::Who::InvitationId(id)
            } else {
                check_in_request::Who::ParticipantId(id)
            };
            let attendance =
                client(&connection).await?.check_in(CheckInRequest { who: Some(who) }).await.map_err(explain)?;
            let a = attendance.get_ref();
            out!(
                "{} checked in of {} registered; {} of {} invitees",
                a.checked_in,
                a.registered,
                a.invitees_attended,
                a.invited
            )?;
            return Ok(());
        }
        ParticipantCommand::Attendance { conference: id, connection } => {
            let attendance = client(&connection).await?.get_attendance(conference(id)).await.map_err(explain)?;
            let a = attendance.get_ref();
            out!(
                "registration {}; {} registered, {} checked in, {} refused; {} invited, {} attended; {} waiting to speak, {} spoke",
                if a.registration_open { "open" } else { "closed" },
                a.registered,
                a.checked_in,
                a.refused,
                a.invited,
                a.invitees_attended,
                a.speakers_queued,
                a.speakers_spoke
            )?;
            return Ok(());
        }
    };
    out!("{}", line(updated.map_err(explain)?.get_ref()))?;
    Ok(())
}
