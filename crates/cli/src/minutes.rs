//! `doithoai minutes …`: the record of a conference and what follows it,
//! through the minutes service.

use clap::Subcommand;
use doithoai_proto::{
    common::v1::Field,
    minutes::v1::{
        AcknowledgeNoticeRequest, AddEntryRequest, AnswerPetitionRequest, Classification, ConclusionNotice,
        ConferenceRequest, EscalatePetitionRequest, IssueConclusionNoticeRequest, Minutes, MinutesState,
        NoticeAssignment, Outcome, Petition, PetitionRequest, PetitionStatus, RecordConclusionRequest,
        RecordOpeningRequest, RecordPetitionRequest, RecordResponseRequest, ReferPetitionRequest,
        RenderPetitionRequest, RenderRequest, Response, minutes_service_client::MinutesServiceClient,
    },
};
use doithoai_runtime::idempotency::request_id;

use crate::{
    UsageError,
    client::{AuthedChannel, Connection, Service, document_format, explain, named, write_document},
};

#[derive(Subcommand)]
pub enum MinutesCommand {
    /// The minutes with their petitions.
    Show {
        conference: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// R8.2: the host's opening.
    Opening {
        conference: String,
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        requirements: String,
        #[arg(long)]
        content: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Records a matter raised: petition, proposal, feedback, complaint or denunciation.
    Petition {
        conference: String,
        #[arg(long)]
        text: String,
        #[arg(long, default_value = "petition")]
        classification: String,
        #[arg(long, default_value = "economy-and-society")]
        field: String,
        #[arg(long, default_value = "")]
        registration: String,
        #[arg(long, default_value = "")]
        participant: String,
        /// R5.1: excluded from the public minutes.
        #[arg(long)]
        state_secret: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// R1.2: hands a complaint or denunciation to citizen reception.
    Refer {
        petition: String,
        #[arg(long)]
        to: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        on: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// R8.4: an answer at the conference, by the host or an invited agency's official.
    Answer {
        petition: String,
        #[arg(long)]
        text: String,
        #[arg(long, default_value = "")]
        organization: String,
        #[arg(long, default_value = "")]
        official: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// The host's conclusion (R8.4).
    Conclude {
        conference: String,
        #[arg(long)]
        text: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Signs as the secretary or the host; both signatures make the minutes immutable.
    Sign {
        conference: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// A correction (after sign-off), a review note (R10.1) or an implementation report (R10.5).
    Entry {
        conference: String,
        /// correction, review-note or implementation-report.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        text: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// R10.2: the written conclusion notice; --assign PETITION=AGENCY for every unanswered petition.
    Notice {
        conference: String,
        #[arg(long)]
        number: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        sent_on: String,
        #[arg(long)]
        signer: String,
        #[arg(long = "assign")]
        assignments: Vec<String>,
        #[command(flatten)]
        connection: Connection,
    },
    /// The agency acknowledges receipt of the notice.
    Acknowledge {
        notice: String,
        #[arg(long)]
        organization: String,
        #[arg(long)]
        received_on: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// R10.3: the agency's written answer to the petitioner.
    Respond {
        petition: String,
        #[arg(long)]
        on: String,
        #[arg(long)]
        document: String,
        /// resolved, partly-resolved, explained or not-accepted.
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        summary: String,
        #[arg(long)]
        reported_to_heads: bool,
        /// The signed response as a PDF, kept with the petition.
        #[arg(long)]
        attach: Option<std::path::PathBuf>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Writes the agency's attached response (or, with --cover, the
    /// office's cover sheet filing it).
    Response {
        petition: String,
        #[arg(long)]
        cover: bool,
        #[arg(long)]
        out: std::path::PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// Writes the public minutes (with --internal, the office's own, naming
    /// the citizens; with --notice, the conclusion notice): DOCX to a .docx
    /// file, PDF to any other name.
    Render {
        conference: String,
        #[arg(long, conflicts_with = "internal")]
        notice: bool,
        #[arg(long)]
        internal: bool,
        /// The file to write; prints its name.
        #[arg(long)]
        out: std::path::PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// Writes the receipt for a petition, to hand the citizen: DOCX to a
    /// .docx file, PDF to any other name.
    Receipt {
        petition: String,
        #[arg(long)]
        out: std::path::PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// R10.4: beyond the unit's authority, up to a higher level.
    Escalate {
        petition: String,
        #[arg(long)]
        to_unit: String,
        #[arg(long, default_value = "")]
        to_organization: String,
        #[arg(long)]
        notified_on: String,
        #[command(flatten)]
        connection: Connection,
    },
}

async fn client(connection: &Connection) -> anyhow::Result<MinutesServiceClient<AuthedChannel>> {
    Ok(MinutesServiceClient::new(connection.channel(Service::Minutes).await?))
}

fn petition_line(p: &Petition) -> String {
    let status =
        PetitionStatus::try_from(p.status).map_or("?", |s| s.as_str_name()).trim_start_matches("PETITION_STATUS_");
    let kind = Classification::try_from(p.classification)
        .map_or("?", |c| c.as_str_name())
        .trim_start_matches("CLASSIFICATION_");
    format!("{} {status} {kind} {}", p.id, p.text)
}

fn minutes_line(m: &Minutes) -> String {
    let state = MinutesState::try_from(m.state).map_or("?", |s| s.as_str_name()).trim_start_matches("MINUTES_STATE_");
    format!("{} {state} {} petitions, {} entries", m.conference_id, m.petitions.len(), m.entries.len())
}

fn notice_line(n: &ConclusionNotice) -> String {
    format!("{} {} sent {}: {} petition(s)", n.id, n.number, n.sent_on, n.assignments.len())
}

pub async fn run(command: MinutesCommand) -> anyhow::Result<()> {
    let conference = |id: String| ConferenceRequest { conference_id: id };
    let line = match command {
        MinutesCommand::Show { conference: id, connection } => {
            let minutes = client(&connection).await?.get_minutes(conference(id)).await.map_err(explain)?.into_inner();
            let mut text = minutes_line(&minutes);
            for p in &minutes.petitions {
                text.push_str(&format!("\n  {}", petition_line(p)));
            }
            text
        }
        MinutesCommand::Opening { conference, purpose, requirements, content, connection } => {
            let request = RecordOpeningRequest { conference_id: conference, purpose, requirements, content };
            minutes_line(client(&connection).await?.record_opening(request).await.map_err(explain)?.get_ref())
        }
        MinutesCommand::Petition {
            conference,
            text,
            classification,
            field,
            registration,
            participant,
            state_secret,
            connection,
        } => {
            let request = RecordPetitionRequest {
                request_id: request_id(),
                conference_id: conference,
                speaker_registration_id: registration,
                participant_id: participant,
                text,
                field: named("FIELD", &field, Field::from_str_name)? as i32,
                classification: named("CLASSIFICATION", &classification, Classification::from_str_name)? as i32,
                state_secret,
            };
            petition_line(sent!(client(&connection).await?, record_petition, request).map_err(explain)?.get_ref())
        }
        MinutesCommand::Refer { petition, to, on, connection } => {
            let request = ReferPetitionRequest {
                request_id: request_id(),
                petition_id: petition,
                receiving_body: to,
                referred_on: on,
            };
            petition_line(sent!(client(&connection).await?, refer_petition, request).map_err(explain)?.get_ref())
        }
        MinutesCommand::Answer { petition, text, organization, official, connection } => {
            let request = AnswerPetitionRequest {
                request_id: request_id(),
                petition_id: petition,
                text,
                organization_id: organization,
                official_name: official,
            };
            petition_line(sent!(client(&connection).await?, answer_petition, request).map_err(explain)?.get_ref())
        }
        MinutesCommand::Conclude { conference, text, connection } => {
            let request = RecordConclusionRequest { conference_id: conference, conclusion: text };
            minutes_line(client(&connection).await?.record_conclusion(request).await.map_err(explain)?.get_ref())
        }
        MinutesCommand::Sign { conference: id, connection } => {
            minutes_line(client(&connection).await?.sign_minutes(conference(id)).await.map_err(explain)?.get_ref())
        }
        MinutesCommand::Entry { conference, kind, text, connection } => {
            let request = AddEntryRequest {
                request_id: request_id(),
                conference_id: conference,
                kind: kind.to_uppercase().replace('-', "_"),
                text,
            };
            minutes_line(sent!(client(&connection).await?, add_entry, request).map_err(explain)?.get_ref())
        }
        MinutesCommand::Notice { conference, number, sent_on, signer, assignments, connection } => {
            let assignments = assignments
                .iter()
                .map(|pair| {
                    let (petition, organization) =
                        pair.split_once('=').ok_or_else(|| UsageError(format!("{pair:?} is not PETITION=AGENCY")))?;
                    Ok(NoticeAssignment {
                        petition_id: petition.to_owned(),
                        organization_id: organization.to_owned(),
                        received_on: String::new(),
                    })
                })
                .collect::<Result<Vec<_>, UsageError>>()?;
            let request = IssueConclusionNoticeRequest {
                request_id: request_id(),
                conference_id: conference,
                number,
                sent_on,
                signer,
                assignments,
            };
            notice_line(sent!(client(&connection).await?, issue_conclusion_notice, request).map_err(explain)?.get_ref())
        }
        MinutesCommand::Acknowledge { notice, organization, received_on, connection } => {
            let request = AcknowledgeNoticeRequest {
                request_id: request_id(),
                notice_id: notice,
                organization_id: organization,
                received_on,
            };
            notice_line(sent!(client(&connection).await?, acknowledge_notice, request).map_err(explain)?.get_ref())
        }
        MinutesCommand::Respond { petition, on, document, outcome, summary, reported_to_heads, attach, connection } => {
            let attachment = match &attach {
                Some(path) => {
                    std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
                }
                None => Vec::new(),
            };
            let attachment_file_name = attach
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let outcome = named("OUTCOME", &outcome, Outcome::from_str_name)? as i32;
            let response = Response {
                organization_id: String::new(),
                responded_on: on,
                document_number: document,
                outcome,
                summary,
                reported_to_heads,
                ..Default::default()
            };
            let request = RecordResponseRequest {
                request_id: request_id(),
                petition_id: petition,
                response: Some(response),
                attachment,
                attachment_file_name,
            };
            petition_line(sent!(client(&connection).await?, record_response, request).map_err(explain)?.get_ref())
        }
        MinutesCommand::Response { petition, cover, out, connection } => {
            let mut client = client(&connection).await?;
            let document = if cover {
                let format = document_format(&out);
                client.render_response_cover(RenderPetitionRequest { petition_id: petition, format }).await
            } else {
                client.get_response_document(PetitionRequest { petition_id: petition }).await
            };
            let document = document.map_err(explain)?.into_inner();
            write_document(&out, &document)?
        }
        MinutesCommand::Receipt { petition, out, connection } => {
            let format = document_format(&out);
            let request = RenderPetitionRequest { petition_id: petition, format };
            let document =
                client(&connection).await?.render_petition_receipt(request).await.map_err(explain)?.into_inner();
            write_document(&out, &document)?
        }
        MinutesCommand::Render { conference: id, notice, internal, out, connection } => {
            let mut client = client(&connection).await?;
            let format = document_format(&out);
            let request = RenderRequest { conference_id: id, format };
            let document = if notice {
                client.render_conclusion_notice(request).await
            } else if internal {
                client.render_internal_minutes(request).await
            } else {
                client.render_minutes(request).await
            };
            let document = document.map_err(explain)?.into_inner();
            write_document(&out, &document)?
        }
        MinutesCommand::Escalate { petition, to_unit, to_organization, notified_on, connection } => {
            let request = EscalatePetitionRequest {
                request_id: request_id(),
                petition_id: petition,
                to_unit_code: to_unit,
                to_organization_id: to_organization,
                petitioner_notified_on: notified_on,
            };
            petition_line(sent!(client(&connection).await?, escalate_petition, request).map_err(explain)?.get_ref())
        }
    };
    out!("{line}")?;
    Ok(())
}
