//! What the workspace's pages read, with the signed-in person's token: a
//! conference and what belongs to it, the unit's posts and agencies, and the
//! obligations of a unit, an agency or a conference.

use doithoai_proto::{
    deadlines::v1::{ListObligationsRequest, Obligation, ObligationState},
    minutes::v1::{ConferenceRequest as MinutesOf, Minutes},
    participants::v1::{Attendance, ConferenceRequest, Invitation, SpeakerRegistration},
    scheduling::v1::{
        Conference, ConferenceRef, ListOrganizationsRequest, ListPositionsRequest, Organization, Position,
    },
};
use doithoai_runtime::pagination::every_page;
use tonic::Code;

use crate::{
    State,
    backends::ask,
    i18n::Lang,
    problem::{OrProblem, PageResult},
    session::Viewer,
};

/// Lists on a workspace page stop at this many.
pub const LISTED: usize = 500;

pub async fn conference(web: &State, lang: Lang, viewer: &Viewer, id: &str) -> PageResult<Conference> {
    super::super::plausible_id(id, lang)?;
    let request = ConferenceRef { id: id.to_owned() };
    web.backends.conferences().get_conference(ask(request, &viewer.token)).await.or_problem(lang)
}

/// The posts of a unit's subtree.
pub async fn positions(web: &State, lang: Lang, viewer: &Viewer, unit: &str) -> PageResult<Vec<Position>> {
    every_page(LISTED, |page| {
        let request = ListPositionsRequest { unit_code: unit.to_owned(), page, ..Default::default() };
        async move {
            let answer = web.backends.directory().list_positions(ask(request, &viewer.token)).await.or_problem(lang)?;
            Ok((answer.positions, answer.page))
        }
    })
    .await
}

/// The active agencies and offices of a unit (not its subtree's).
pub async fn organizations(web: &State, lang: Lang, viewer: &Viewer, unit: &str) -> PageResult<Vec<Organization>> {
    let all = every_page(LISTED, |page| {
        let request = ListOrganizationsRequest { unit_code: unit.to_owned(), page, ..Default::default() };
        async move {
            let answer =
                web.backends.directory().list_organizations(ask(request, &viewer.token)).await.or_problem(lang)?;
            Ok((answer.organizations, answer.page))
        }
    })
    .await?;
    Ok(all.into_iter().filter(|o| o.active && o.unit_code == unit).collect())
}

/// An answer of the participants service, which hears of a conference
/// once it is announced: before, it has none of its lists, and they are empty.
fn or_none<T: Default>(answer: Result<tonic::Response<T>, tonic::Status>, lang: Lang) -> PageResult<T> {
    match answer {
        Err(status) if status.code() == Code::NotFound => Ok(T::default()),
        answer => answer.or_problem(lang),
    }
}

pub async fn speakers(web: &State, lang: Lang, viewer: &Viewer, id: &str) -> PageResult<Vec<SpeakerRegistration>> {
    let request = ConferenceRequest { conference_id: id.to_owned() };
    Ok(or_none(web.backends.participants().list_speakers(ask(request, &viewer.token)).await, lang)?.speakers)
}

pub async fn invitations(web: &State, lang: Lang, viewer: &Viewer, id: &str) -> PageResult<Vec<Invitation>> {
    let request = ConferenceRequest { conference_id: id.to_owned() };
    Ok(or_none(web.backends.participants().list_invitations(ask(request, &viewer.token)).await, lang)?.invitations)
}

pub async fn attendance(web: &State, lang: Lang, viewer: &Viewer, id: &str) -> PageResult<Attendance> {
    let request = ConferenceRequest { conference_id: id.to_owned() };
    or_none(web.backends.participants().get_attendance(ask(request, &viewer.token)).await, lang)
}

/// The minutes, once the conference has started and the minutes service
/// has heard so (none before: it refuses, R8.1).
pub async fn minutes(web: &State, lang: Lang, viewer: &Viewer, id: &str) -> PageResult<Option<Minutes>> {
    let request = MinutesOf { conference_id: id.to_owned() };
    match web.backends.minutes().get_minutes(ask(request, &viewer.token)).await {
        Err(status) if matches!(status.code(), Code::NotFound | Code::FailedPrecondition) => Ok(None),
        answer => answer.or_problem(lang).map(Some),
    }
}

/// Obligations as `request` selects them, every page.
pub async fn obligations(
    web: &State,
    lang: Lang,
    viewer: &Viewer,
    request: ListObligationsRequest,
) -> PageResult<Vec<Obligation>> {
    every_page(LISTED, |page| {
        let request = ListObligationsRequest { page, ..request.clone() };
        async move {
            let answer =
                web.backends.deadlines().list_obligations(ask(request, &viewer.token)).await.or_problem(lang)?;
            Ok((answer.obligations, answer.page))
        }
    })
    .await
}

pub fn state(obligation: &Obligation) -> ObligationState {
    ObligationState::try_from(obligation.state).unwrap_or_default()
}

/// Still owed: open, due soon or overdue.
pub fn owed(obligation: &Obligation) -> bool {
    matches!(state(obligation), ObligationState::Open | ObligationState::DueSoon | ObligationState::Overdue)
}

/// Overdue first, then due soon, then by due date.
pub fn by_urgency(obligations: &mut [Obligation]) {
    let rank = |o: &Obligation| match state(o) {
        ObligationState::Overdue => 0,
        ObligationState::DueSoon => 1,
        _ => 2,
    };
    obligations.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.due_date.cmp(&b.due_date)));
}

/// The name of an agency of the unit, or its id when it is not among them.
pub fn organization_name<'a>(organizations: &'a [Organization], id: &'a str) -> &'a str {
    organizations.iter().find(|o| o.id == id).map_or(id, |o| o.name.as_str())
}

/// (id, name) choices.
pub fn organization_choices(organizations: &[Organization]) -> Vec<(String, String)> {
    organizations.iter().map(|o| (o.id.clone(), o.name.clone())).collect()
}

/// `Chủ tịch UBND tỉnh — Nguyễn Văn A`.
pub fn position_name(position: &Position) -> String {
    if position.person_name.is_empty() {
        position.title.clone()
    } else {
        format!("{} — {}", position.title, position.person_name)
    }
}
