//! The documents the workspace prints, rendered by the service that keeps
//! each record: the full minutes for the unit (with what the public copy
//! leaves out), a petition's receipt for the citizen, an invitation letter.

use axum::extract::Path;
use doithoai_proto::{
    common::v1::DocumentFormat,
    minutes::v1::{RenderPetitionRequest, RenderRequest},
    participants::v1::RenderInvitationRequest,
};

use super::Worker;
use crate::{
    backends::ask,
    pages::{Web, pdf, plausible_id},
    problem::{OrProblem, PageResult},
};

const PDF: i32 = DocumentFormat::Pdf as i32;

/// `GET /work/conferences/{id}/minutes.pdf`: the internal minutes.
pub async fn minutes(web: Web, Worker(viewer, lang): Worker, Path(id): Path<String>) -> PageResult {
    plausible_id(&id, lang)?;
    let request = ask(RenderRequest { conference_id: id, format: PDF }, &viewer.token);
    let document = web.backends.minutes().render_internal_minutes(request).await.or_problem(lang)?;
    Ok(pdf(&document.file_name, document.content))
}

/// `GET /work/petitions/{id}/receipt.pdf`: the receipt the secretary hands the citizen.
pub async fn receipt(web: Web, Worker(viewer, lang): Worker, Path(id): Path<String>) -> PageResult {
    plausible_id(&id, lang)?;
    let request = ask(RenderPetitionRequest { petition_id: id, format: PDF }, &viewer.token);
    let document = web.backends.minutes().render_petition_receipt(request).await.or_problem(lang)?;
    Ok(pdf(&document.file_name, document.content))
}

/// `GET /work/invitations/{id}/letter.pdf`: the invitation letter (R7.4).
pub async fn invitation(web: Web, Worker(viewer, lang): Worker, Path(id): Path<String>) -> PageResult {
    plausible_id(&id, lang)?;
    let request = ask(RenderInvitationRequest { invitation_id: id, format: PDF }, &viewer.token);
    let document = web.backends.participants().render_invitation(request).await.or_problem(lang)?;
    Ok(pdf(&document.file_name, document.content))
}
