//! A petition's status by its receipt code, for the citizen who raised it:
//! what was raised (never who), where it stands, who must answer and by
//! when, in working days. The same as JSON with Open311 GeoReport v2's
//! field names. Rate-limited per client; every code that names nothing
//! gives the same page.

use axum::{
    Json,
    extract::{Path, Query},
    http::HeaderMap,
    response::{IntoResponse, Redirect},
};
use chrono::{NaiveDate, NaiveTime, TimeZone};
use doithoai_calendar::Calendar;
use doithoai_proto::{
    common::v1::Field,
    deadlines::v1::{ListObligationsRequest, Obligation, ObligationKind, ObligationState},
    minutes::v1::{Classification, FindPetitionRequest, Outcome, Petition, PetitionRequest, PetitionStatus},
    scheduling::v1::Conference,
};
use doithoai_runtime::time::{ZONE, instant, local_date};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Connected, Web, client};
use crate::{
    State,
    backends::ask,
    i18n::{Lang, Named, name_of},
    layout,
    problem::{Failed, OrProblem, PageResult, Problem},
    session::MaybeViewer,
};

/// Past its due date by more than this many working days (the ten of a
/// conclusion notice, R10.2), an answer is long overdue.
pub const LONG_OVERDUE_AFTER: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lateness {
    /// Due in this many working days (0: today).
    DueIn(i64),
    Overdue(i64),
    LongOverdue(i64),
}

/// Where an open answer stands on `today` against its due date, in working days.
pub fn lateness(calendar: &Calendar, due: NaiveDate, today: NaiveDate) -> Option<Lateness> {
    let days = calendar.working_days_between(due, today).ok()?;
    Some(match days {
        d if d <= 0 && today <= due => Lateness::DueIn(-d),
        d if d > LONG_OVERDUE_AFTER => Lateness::LongOverdue(d),
        // A due date on a day off, passed only by days off, is overdue by 0 working days.
        d => Lateness::Overdue(d.max(0)),
    })
}

#[derive(Deserialize, Default)]
pub struct Asked {
    code: Option<String>,
}

/// The lookup form, on its own and in other pages.
pub fn lookup_box(lang: Lang, code: &str, problem: Option<&str>) -> Markup {
    html! {
        form.stack method="get" action="/petitions" role="search" {
            label for="code" { (lang.t("Mã tra cứu ghi trên phiếu tiếp nhận", "The receipt code on your slip")) }
            p.hint id="code-hint" { (lang.t("Mười ký tự, ví dụ 7A23T-FAQZT.", "Ten characters, for example 7A23T-FAQZT.")) }
            @if let Some(problem) = problem { p.error id="code-error" { (problem) } }
            input #code name="code" value=(code) autocomplete="off" required
                aria-describedby=(if problem.is_some() { "code-hint code-error" } else { "code-hint" });
            button.primary type="submit" { (lang.t("Tra cứu", "Look up")) }
        }
    }
}

/// `/petitions` and `/petitions?code=…`.
pub async fn lookup(lang: Lang, MaybeViewer(viewer, _): MaybeViewer, Query(asked): Query<Asked>) -> impl IntoResponse {
    if let Some(code) = asked.code.filter(|c| !c.trim().is_empty()) {
        let clean: String = code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(20).collect();
        return Redirect::to(&format!("/petitions/{clean}")).into_response();
    }
    let body = html! {
        h1 { (lang.t("Tra cứu kết quả giải quyết kiến nghị", "What became of a petition")) }
        p { (lang.t(
            "Thư ký hội nghị đã trao cho người kiến nghị một mã tra cứu. Nhập mã để xem kiến nghị đang ở đâu, cơ quan nào giải quyết và hạn trả lời.",
            "The conference's secretary gave the petitioner a receipt code. Enter it to see where the petition stands, which agency answers it and by when.",
        )) }
        (lookup_box(lang, "", None))
    };
    layout::page(lang, lang.t("Tra cứu kiến nghị", "Petition status"), viewer.as_ref(), body).into_response()
}

/// Everything the status page shows, read with the portal's token.
struct Status {
    code: String,
    petition: Petition,
    conference: Option<Conference>,
    /// The higher level's own petition, when it was escalated (R10.4).
    escalated: Option<Petition>,
    obligations: Vec<Obligation>,
    agency: Option<String>,
    escalated_to: Option<String>,
}

async fn read(web: &State, lang: Lang, headers: &HeaderMap, connected: Connected, code: &str) -> PageResult<Status> {
    web.limits
        .lookup(client(headers, connected.0, web.settings.behind_proxy))
        .map_err(|wait| Failed(Problem::TooMany(wait), lang))?;
    let token = web.sessions.portal_token();
    let petition = web
        .backends
        .minutes()
        .find_petition(ask(FindPetitionRequest { receipt_code: code.to_owned() }, &token))
        .await
        .or_problem(lang)?;
    // What the petition needs besides itself, read at once.
    let conference = super::conferences::public_conference(web, lang, &petition.conference_id);
    let escalated = async {
        let id = petition.escalation.as_ref().map(|e| e.escalated_petition_id.clone()).filter(|id| !id.is_empty())?;
        let request = ask(PetitionRequest { petition_id: id }, &token);
        web.backends.minutes().get_petition(request).await.ok().map(tonic::Response::into_inner)
    };
    let (conference, escalated, own) =
        futures::join!(conference, escalated, obligations_of(web, lang, &token, &petition.id));
    let conference = conference.ok();
    let mut obligations = own?;
    if let Some(escalated) = &escalated {
        obligations.extend(obligations_of(web, lang, &token, &escalated.id).await?);
    }
    let root = &web.settings.root_unit;
    let current = escalated.as_ref().unwrap_or(&petition);
    let agency = web
        .directory
        .organization(&web.backends, &token, root, &current.assigned_organization_id)
        .await
        .map(|o| o.name);
    let escalated_to = match &petition.escalation {
        Some(e) => web.directory.unit(&web.backends, &token, root, &e.to_unit_code).await.map(|u| u.name),
        None => None,
    };
    Ok(Status {
        code: petition.receipt_code.clone(),
        petition,
        conference,
        escalated,
        obligations,
        agency,
        escalated_to,
    })
}

/// The clocks of one petition.
async fn obligations_of(web: &State, lang: Lang, token: &str, petition_id: &str) -> PageResult<Vec<Obligation>> {
    let request = ListObligationsRequest {
        unit_code: web.settings.root_unit.clone(),
        petition_id: petition_id.to_owned(),
        ..Default::default()
    };
    let answer = web.backends.deadlines().list_obligations(ask(request, token)).await.or_problem(lang)?;
    Ok(answer.obligations)
}

/// The answer the petition is waiting for: the open R10.3 clock of the
/// petition where it now is, or the last one met.
fn answer_clock(status: &Status) -> Option<&Obligation> {
    let current = status.escalated.as_ref().unwrap_or(&status.petition);
    let responses: Vec<&Obligation> = status
        .obligations
        .iter()
        .filter(|o| o.kind == ObligationKind::AgencyResponse as i32 && o.petition_id == current.id)
        .filter(|o| o.state != ObligationState::Cancelled as i32)
        .collect();
    responses.iter().find(|o| is_open(o)).or(responses.last()).copied()
}

fn is_open(o: &Obligation) -> bool {
    matches!(
        ObligationState::try_from(o.state),
        Ok(ObligationState::Open | ObligationState::DueSoon | ObligationState::Overdue)
    )
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn lateness_text(lang: Lang, lateness: Lateness) -> (String, &'static str) {
    match lateness {
        Lateness::DueIn(0) => (lang.t("Hạn là hôm nay.", "Due today.").to_owned(), "late"),
        Lateness::DueIn(n) => {
            (format!("{} {n} {}", lang.t("Còn", "Due in"), lang.t("ngày làm việc.", "working days.")), "ok")
        }
        Lateness::Overdue(n) => {
            (format!("{} {n} {}", lang.t("Quá hạn", "Overdue by"), lang.t("ngày làm việc.", "working days.")), "bad")
        }
        Lateness::LongOverdue(n) => (
            format!(
                "{} {n} {} {}",
                lang.t("Quá hạn kéo dài:", "Long overdue:"),
                lang.t("ngày làm việc", "working days"),
                lang.t("(hơn 10 ngày làm việc sau hạn).", "(more than 10 working days past the due date).",)
            ),
            "bad",
        ),
    }
}

/// `/petitions/{code}`.
pub async fn status(
    web: Web,
    lang: Lang,
    MaybeViewer(viewer, _): MaybeViewer,
    headers: HeaderMap,
    connected: Connected,
    Path(code): Path<String>,
) -> PageResult {
    let status = match read(&web, lang, &headers, connected, &code).await {
        Ok(status) => status,
        Err(Failed(Problem::NotFound, lang)) => {
            let body = html! {
                h1 { (lang.t("Tra cứu kiến nghị", "Petition status")) }
                (lookup_box(lang, &code, Some(lang.t(
                    "Không tìm thấy kiến nghị nào với mã này. Xin kiểm tra lại mã trên phiếu tiếp nhận.",
                    "No petition has this code. Please check the code on your slip.",
                ))))
            };
            let page = layout::page(lang, lang.t("Không tìm thấy", "Not found"), viewer.as_ref(), body);
            return Ok((axum::http::StatusCode::NOT_FOUND, page).into_response());
        }
        Err(failed) => return Err(failed),
    };
    let p = &status.petition;
    let state = PetitionStatus::try_from(p.status).unwrap_or_default();
    let today = local_date(web.clock.now());
    let clock = answer_clock(&status);
    let body = html! {
        h1 { (lang.t("Kiến nghị", "Petition")) " " span.code { (status.code) } }
        dl.facts {
            dt { (lang.t("Nội dung", "What was raised")) }
            dd { (p.text) }
            dt { (lang.t("Loại, lĩnh vực", "Kind, field")) }
            dd { (name_of::<Classification>(p.classification, lang)) " · " (name_of::<Field>(p.field, lang)) }
            dt { (lang.t("Hội nghị", "Conference")) }
            dd { @if let Some(c) = &status.conference {
                    a href={ "/conferences/" (c.id) } { (c.theme) }
                    @if let Some(at) = c.starts_at.as_ref().and_then(instant) { ", " (lang.date_time(at)) }
                } @else { "—" } }
            dt { (lang.t("Tình trạng", "Where it stands")) }
            dd { strong { (state.name(lang)) } }
        }
        h2 { (lang.t("Quá trình giải quyết", "What happened")) }
        ol.steps {
            li { (lang.t("Ghi nhận tại hội nghị.", "Recorded at the conference.")) }
            @if let Some(a) = &p.answer {
                li { (lang.t("Đã trả lời tại hội nghị: ", "Answered at the conference: ")) (a.text) }
            }
            @if let Some(r) = &p.referral {
                li { (lang.t("Là khiếu nại hoặc tố cáo nên được chuyển ", "A complaint or denunciation, referred to "))
                     (r.receiving_body) (lang.t(" ngày ", " on ")) (lang.iso_date(&r.referred_on))
                     (lang.t(" để giải quyết theo pháp luật (R1.2).", " to be handled under the law (R1.2).")) }
            }
            @if let Some(e) = &p.escalation {
                li { (lang.t("Vượt thẩm quyền, đã đề xuất lên ", "Beyond the unit's authority, proposed to "))
                     (status.escalated_to.clone().unwrap_or_else(|| e.to_unit_code.clone()))
                     (lang.t("; người kiến nghị được báo ngày ", "; the petitioner was told on ")) (lang.iso_date(&e.petitioner_notified_on)) " (R10.4)." }
            }
            @if let Some(agency) = &status.agency {
                li { (lang.t("Giao ", "Assigned to ")) strong { (agency) } (lang.t(" giải quyết theo thông báo kết luận (R10.2).", " by the conclusion notice (R10.2).")) }
            }
            @if let Some(o) = clock {
                @if o.anchor == "RECEIVED" {
                    li { (status.agency.clone().unwrap_or_default()) (lang.t(" xác nhận đã nhận thông báo ngày ", " acknowledged the notice on ")) (lang.iso_date(&o.anchor_date)) "." }
                }
            }
            @let current = status.escalated.as_ref().unwrap_or(p);
            @if let Some(r) = &current.response {
                li { (lang.t("Đã trả lời bằng văn bản số ", "Answered in writing, document ")) (r.document_number)
                     (lang.t(" ngày ", " of ")) (lang.iso_date(&r.responded_on)) ": " strong { (name_of::<Outcome>(r.outcome, lang)) } "." }
            }
        }
        @if let Some(o) = clock {
            h2 { (lang.t("Hạn trả lời (R10.3)", "Answer due (R10.3)")) }
            @let due = date(&o.due_date);
            p { (lang.t("Chậm nhất ngày ", "No later than ")) strong { (lang.iso_date(&o.due_date)) }
                " (" (o.working_days) " " (lang.t("ngày làm việc kể từ ", "working days from ")) (lang.iso_date(&o.anchor_date)) ")." }
            @if is_open(o) {
                @if let Some(l) = due.and_then(|d| lateness(Calendar::builtin(), d, today)) {
                    @let (text, class) = lateness_text(lang, l);
                    p class=(class) { strong { (text) } }
                }
            } @else {
                p { (name_of::<ObligationState>(o.state, lang)) @if !o.met_on.is_empty() { ": " (lang.iso_date(&o.met_on)) } "." }
            }
            details { summary { (lang.t("Cách tính hạn", "How the date is counted")) }
                ul { @for line in &o.explanation { li { (line) } } } }
        }
        p.muted { (lang.t("Trang này không hiển thị họ tên hay thông tin cá nhân của người kiến nghị.", "This page never shows the petitioner's name or personal data.")) }
        p { a href={ "/open311/v2/requests/" (status.code) ".json" } { "JSON (Open311 GeoReport v2)" } }
    };
    Ok(layout::page(lang, &format!("{} {}", lang.t("Kiến nghị", "Petition"), status.code), viewer.as_ref(), body)
        .into_response())
}

/// The Open311 status words for where a petition stands.
fn open311_status(state: PetitionStatus) -> &'static str {
    match state {
        PetitionStatus::Answered | PetitionStatus::Referred | PetitionStatus::Responded => "closed",
        _ => "open",
    }
}

fn end_of_day(day: NaiveDate) -> String {
    ZONE.from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default()))
        .single()
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// `/open311/v2/requests/{code}.json`: one request, as GeoReport v2 lists it.
pub async fn open311(web: Web, headers: HeaderMap, connected: Connected, Path(file): Path<String>) -> PageResult {
    let lang = Lang::Vi;
    let Some(code) = file.strip_suffix(".json") else { return Err(Failed(Problem::NotFound, lang)) };
    let status = match read(&web, lang, &headers, connected, code).await {
        Ok(status) => status,
        Err(Failed(Problem::NotFound, _)) => {
            let body = json!([{ "code": 404, "description": "no request has this id" }]);
            return Ok((axum::http::StatusCode::NOT_FOUND, Json(body)).into_response());
        }
        Err(failed) => return Err(failed),
    };
    let p = &status.petition;
    let state = PetitionStatus::try_from(p.status).unwrap_or_default();
    let clock = answer_clock(&status);
    let current = status.escalated.as_ref().unwrap_or(p);
    let requested = status.conference.as_ref().and_then(|c| c.starts_at.as_ref()).and_then(instant);
    let updated = [
        current.response.as_ref().and_then(|r| date(&r.responded_on)),
        p.referral.as_ref().and_then(|r| date(&r.referred_on)),
        p.escalation.as_ref().and_then(|e| date(&e.petitioner_notified_on)),
        clock.and_then(|o| date(&o.anchor_date)),
    ]
    .into_iter()
    .flatten()
    .max();
    let notes = match &current.response {
        Some(r) => format!("{}: {}", state.name(lang), name_of::<Outcome>(r.outcome, lang)),
        None => state.name(lang).to_owned(),
    };
    let mut request: serde_json::Map<String, Value> = serde_json::Map::new();
    request.insert("service_request_id".into(), json!(status.code));
    request.insert(
        "status".into(),
        json!(open311_status(if status.escalated.is_some() && current.response.is_some() {
            PetitionStatus::Responded
        } else {
            state
        })),
    );
    request.insert("status_notes".into(), json!(notes));
    request.insert("service_name".into(), json!(name_of::<Field>(p.field, lang)));
    request.insert("description".into(), json!(p.text));
    request.insert("agency_responsible".into(), json!(status.agency.clone().unwrap_or_default()));
    request.insert("requested_datetime".into(), json!(requested.map(|t| t.with_timezone(&ZONE).to_rfc3339())));
    request.insert(
        "updated_datetime".into(),
        json!(updated.map(end_of_day).or_else(|| requested.map(|t| t.with_timezone(&ZONE).to_rfc3339()))),
    );
    request.insert("expected_datetime".into(), json!(clock.and_then(|o| date(&o.due_date)).map(end_of_day)));
    Ok(Json(Value::Array(vec![Value::Object(request)])).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn r10_3_an_answer_is_due_overdue_or_long_overdue_in_working_days() {
        let calendar = Calendar::builtin();
        // Friday 4 December 2026 is the due date.
        let due = day("2026-12-04");
        assert_eq!(lateness(calendar, due, day("2026-12-01")), Some(Lateness::DueIn(3)));
        assert_eq!(lateness(calendar, due, due), Some(Lateness::DueIn(0)));
        // The weekend does not count: Monday is one working day late.
        assert_eq!(lateness(calendar, due, day("2026-12-07")), Some(Lateness::Overdue(1)));
        assert_eq!(lateness(calendar, due, day("2026-12-05")), Some(Lateness::Overdue(0)));
        assert_eq!(lateness(calendar, due, day("2026-12-18")), Some(Lateness::Overdue(10)));
        assert_eq!(lateness(calendar, due, day("2026-12-21")), Some(Lateness::LongOverdue(11)));
    }
}
