//! `/work`: what is due from me this week (overdue first), the conferences I
//! keep the minutes of or host, and the way to each part of my workspace.

use axum::response::IntoResponse;
use chrono::Duration;
use doithoai_proto::{
    deadlines::v1::{ListObligationsRequest, Obligation, ObligationKind},
    scheduling::v1::{Conference, ConferenceState, ListConferencesRequest, Position},
};
use doithoai_runtime::{Role, pagination::every_page, time::instant};
use maud::{Markup, html};

use super::{
    Worker,
    reads::{self, LISTED},
};
use crate::{
    State,
    backends::ask,
    i18n::{Lang, Named, name_of},
    layout,
    problem::{OrProblem, PageResult},
    session::Viewer,
};

/// The conferences of a unit's subtree (and those it coordinates, R4.2), every state.
pub async fn unit_conferences(web: &State, lang: Lang, viewer: &Viewer, year: i32) -> PageResult<Vec<Conference>> {
    let mut all = every_page(LISTED, |page| {
        let request = ListConferencesRequest { unit_code: viewer.unit.clone(), year, page, ..Default::default() };
        async move {
            let answer =
                web.backends.conferences().list_conferences(ask(request, &viewer.token)).await.or_problem(lang)?;
            Ok((answer.conferences, answer.page))
        }
    })
    .await?;
    all.sort_by_key(|c| c.starts_at.as_ref().map(|t| (t.seconds, t.nanos)));
    Ok(all)
}

/// The posts the signed-in head holds.
pub async fn my_posts(web: &State, lang: Lang, viewer: &Viewer) -> PageResult<Vec<Position>> {
    let posts = reads::positions(web, lang, viewer, &viewer.unit).await?;
    Ok(posts.into_iter().filter(|p| p.subject == viewer.subject && p.term_end.is_empty()).collect())
}

/// What the person owes, by their role: the agency its responses, the head
/// their dialogue and reports, the office its unit's own notices.
async fn owed_by_me(web: &State, lang: Lang, viewer: &Viewer) -> PageResult<Vec<Obligation>> {
    let has = |role| viewer.roles.contains(&role);
    let mut owed = Vec::new();
    if let Some(organization) = viewer.organization.as_ref().filter(|_| has(Role::Agency)) {
        let request = ListObligationsRequest {
            unit_code: viewer.unit.clone(),
            organization_id: organization.clone(),
            ..Default::default()
        };
        owed.extend(reads::obligations(web, lang, viewer, request).await?);
    }
    if has(Role::Host) {
        for post in my_posts(web, lang, viewer).await? {
            let request = ListObligationsRequest {
                unit_code: viewer.unit.clone(),
                head_position_id: post.id.clone(),
                ..Default::default()
            };
            owed.extend(reads::obligations(web, lang, viewer, request).await?);
        }
    }
    if has(Role::Office) {
        let request = ListObligationsRequest {
            unit_code: viewer.unit.clone(),
            kind: ObligationKind::ConclusionNotice as i32,
            ..Default::default()
        };
        let own = reads::obligations(web, lang, viewer, request).await?;
        owed.extend(own.into_iter().filter(|o| o.unit_path.last() == Some(&viewer.unit)));
    }
    owed.retain(reads::owed);
    owed.sort_by(|a, b| a.id.cmp(&b.id));
    owed.dedup_by(|a, b| a.id == b.id);
    Ok(owed)
}

/// Where an obligation is worked on.
fn link(o: &Obligation) -> String {
    match ObligationKind::try_from(o.kind).unwrap_or_default() {
        ObligationKind::AgencyResponse => format!("/work/petitions/{}", o.petition_id),
        ObligationKind::ConclusionNotice => format!("/work/conferences/{}/notice", o.conference_id),
        ObligationKind::ReportHalfYear | ObligationKind::ReportYear | ObligationKind::PeriodicDialogue => {
            "/work/reports".into()
        }
        _ if !o.conference_id.is_empty() => format!("/work/conferences/{}", o.conference_id),
        _ => "/work".into(),
    }
}

pub fn obligation_table(lang: Lang, obligations: &[Obligation]) -> Markup {
    html! {
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (lang.t("Việc", "Obligation")) }
                th scope="col" { (lang.t("Hạn", "Due")) }
                th scope="col" { (lang.t("Tình trạng", "State")) }
            } }
            tbody { @for o in obligations {
                tr {
                    td { a href=(link(o)) { (name_of::<ObligationKind>(o.kind, lang)) } }
                    td { (lang.iso_date(&o.due_date)) }
                    td { span.tag.(state_class(o)) { (reads::state(o).name(lang)) } }
                }
            } }
        } }
    }
}

pub fn state_class(o: &Obligation) -> &'static str {
    use doithoai_proto::deadlines::v1::ObligationState as S;
    match reads::state(o) {
        S::Overdue | S::MetLate => "bad",
        S::DueSoon => "late",
        _ => "ok",
    }
}

fn conference_list(lang: Lang, conferences: &[&Conference]) -> Markup {
    html! {
        ul { @for c in conferences {
            li {
                a href={ "/work/conferences/" (c.id) } { (c.theme) }
                " · " (c.starts_at.as_ref().and_then(instant).map(|at| lang.date_time(at)).unwrap_or_default())
                " · " (name_of::<ConferenceState>(c.state, lang))
            }
        } }
    }
}

/// `GET /work`.
pub async fn page(web: super::super::Web, Worker(viewer, lang): Worker) -> PageResult {
    let today = web.clock.today();
    let week_end = (today + Duration::days(7)).to_string();
    let mut due = owed_by_me(&web, lang, &viewer).await?;
    due.retain(|o| o.due_date <= week_end);
    reads::by_urgency(&mut due);
    let has = |role| viewer.roles.contains(&role);
    let conferences = if has(Role::Agency) {
        Vec::new()
    } else {
        unit_conferences(&web, lang, &viewer, super::super::this_year(&web)).await?
    };
    let running = |c: &&Conference| {
        matches!(
            ConferenceState::try_from(c.state).unwrap_or_default(),
            ConferenceState::Draft | ConferenceState::Announced | ConferenceState::InProgress
        )
    };
    let mine: Vec<&Conference> =
        conferences.iter().filter(running).filter(|c| c.secretary_subject == viewer.subject).collect();
    let posts = if has(Role::Host) { my_posts(&web, lang, &viewer).await? } else { Vec::new() };
    let hosted: Vec<&Conference> = conferences
        .iter()
        .filter(running)
        .filter(|c| {
            posts.iter().any(|p| {
                p.id == c.host_position_id || c.delegation.as_ref().is_some_and(|d| d.deputy_position_id == p.id)
            })
        })
        .collect();
    let body = html! {
        h1 { (lang.t("Việc của tôi", "My work")) }
        nav.cards aria-label=(lang.t("Phần việc", "Workspace")) {
            @if has(Role::Office) {
                a.card href="/work/plan" { strong { (lang.t("Kế hoạch năm (R11.1)", "The year's plan (R11.1)")) } }
                a.card href="/work/conferences" { strong { (lang.t("Hội nghị của đơn vị", "The unit's conferences")) } }
                a.card href="/work/conferences/new" { strong { (lang.t("Tạo hội nghị mới", "New conference")) } }
            }
            @if has(Role::Office) || has(Role::Host) {
                a.card href="/work/reports" { strong { (lang.t("Báo cáo 6 tháng, năm (R13.1)", "Six-month and annual reports (R13.1)")) } }
            }
            @if has(Role::Agency) {
                a.card href="/work/inbox" { strong { (lang.t("Kiến nghị được giao", "Assigned petitions")) } }
            }
        }
        h2 { (lang.t("Đến hạn trong 7 ngày tới hoặc đã quá hạn", "Due in the next 7 days or overdue")) }
        @if due.is_empty() {
            p { (lang.t("Không có việc nào đến hạn.", "Nothing falls due.")) }
        } @else {
            (obligation_table(lang, &due))
        }
        @if !mine.is_empty() {
            h2 { (lang.t("Hội nghị tôi làm thư ký", "Conferences I keep the minutes of")) }
            (conference_list(lang, &mine))
        }
        @if !hosted.is_empty() {
            h2 { (lang.t("Hội nghị tôi chủ trì", "Conferences I host")) }
            (conference_list(lang, &hosted))
        }
    };
    Ok(layout::page(lang, lang.t("Việc của tôi", "My work"), Some(&viewer), body).into_response())
}
