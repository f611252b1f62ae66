//! The public conferences: the province's and each unit's upcoming and past
//! dialogues, as a list and as a month's calendar; a conference's page with
//! its announcement (R7.3), agenda (without State secrets, R5.1), iCal, and
//! the public minutes and conclusion notice once issued.

use std::collections::BTreeMap;

use axum::{
    extract::{Path, Query},
    http::header,
    response::IntoResponse,
};
use chrono::{Datelike, Duration, NaiveDate};
use doithoai_proto::common::v1::DocumentFormat;
use doithoai_proto::{
    deadlines::v1::{ListObligationsRequest, ObligationKind, ObligationState},
    minutes::v1::{ConferenceRequest, MinutesState, RenderRequest},
    scheduling::v1::{
        Body, Conference, ConferenceKind, ConferenceRef, ConferenceState, Form, ListPositionsRequest, Regime,
    },
};
use doithoai_runtime::{
    pagination::every_page,
    time::{ZONE, instant, local_date},
};
use icalendar::{Component, EventLike};
use maud::{Markup, html};
use serde::Deserialize;

use super::{Web, conferences_of, pdf, plausible_id, public, this_year, unit_named};
use crate::{
    State,
    backends::ask,
    i18n::{Lang, Named, name_of},
    layout,
    problem::{Failed, OrProblem, PageResult, Problem},
    session::MaybeViewer,
};

/// A list shows this many conferences each way; the calendar shows them all.
const LISTED: usize = 50;

#[derive(Deserialize, Default)]
pub struct View {
    year: Option<i32>,
    /// `calendar` for the month grid.
    view: Option<String>,
    /// `YYYY-MM`.
    month: Option<String>,
}

fn starts(conference: &Conference) -> Option<chrono::DateTime<chrono::Utc>> {
    conference.starts_at.as_ref().and_then(instant)
}

fn conference_row(lang: Lang, c: &Conference, unit_name: &str) -> Markup {
    html! {
        tr {
            td { (starts(c).map(|at| lang.date_time(at)).unwrap_or_default()) }
            td { a href={ "/conferences/" (c.id) } { (c.theme) } }
            td { (unit_name) }
            td { (name_of::<Form>(c.form, lang)) }
            td { (name_of::<ConferenceState>(c.state, lang)) }
        }
    }
}

async fn table(web: &State, lang: Lang, caption: &str, conferences: &[&Conference]) -> Markup {
    let token = web.sessions.portal_token();
    let mut names = BTreeMap::new();
    for c in conferences {
        if !names.contains_key(&c.unit_code) {
            let unit = web.directory.unit(&web.backends, &token, &web.settings.root_unit, &c.unit_code).await;
            names.insert(c.unit_code.clone(), unit.map(|u| u.name).unwrap_or_else(|| c.unit_code.clone()));
        }
    }
    html! {
        @if conferences.is_empty() {
            p.muted { (caption) ": " (lang.t("chưa có hội nghị nào.", "none.")) }
        } @else {
            div.table-wrap {
                table {
                    caption.muted { (caption) }
                    thead { tr {
                        th scope="col" { (lang.t("Thời gian", "When")) }
                        th scope="col" { (lang.t("Chủ đề", "Theme")) }
                        th scope="col" { (lang.t("Đơn vị", "Unit")) }
                        th scope="col" { (lang.t("Hình thức", "Form")) }
                        th scope="col" { (lang.t("Trạng thái", "State")) }
                    } }
                    tbody { @for c in conferences { (conference_row(lang, c, &names[&c.unit_code])) } }
                }
            }
        }
    }
}

/// `/`: the province's conferences, and its units to look into.
pub async fn home(web: Web, lang: Lang, MaybeViewer(viewer, _): MaybeViewer, Query(view): Query<View>) -> PageResult {
    let root = web.settings.root_unit.clone();
    unit_page(&web, lang, viewer.as_ref(), &root, view).await
}

/// `/units/{code}`: a unit's subtree.
pub async fn unit(
    web: Web,
    lang: Lang,
    MaybeViewer(viewer, _): MaybeViewer,
    Path(code): Path<String>,
    Query(view): Query<View>,
) -> PageResult {
    unit_page(&web, lang, viewer.as_ref(), &code, view).await
}

async fn unit_page(
    web: &State,
    lang: Lang,
    viewer: Option<&crate::session::Viewer>,
    code: &str,
    view: View,
) -> PageResult {
    let unit = unit_named(web, lang, code).await?;
    let year = view.year.unwrap_or_else(|| this_year(web)).clamp(2000, 2100);
    let conferences = conferences_of(web, lang, &unit.code, year).await?;
    let now = web.clock.now();
    let token = web.sessions.portal_token();
    let children = web.directory.children(&web.backends, &token, &web.settings.root_unit, &unit.code).await;
    let living: Vec<_> = children.iter().filter(|u| u.valid_to.is_empty()).collect();
    let mut crumbs = Vec::new();
    for ancestor in unit.path.iter().take(unit.path.len().saturating_sub(1)) {
        if let Some(u) = web.directory.unit(&web.backends, &token, &web.settings.root_unit, ancestor).await {
            crumbs.push(u);
        }
    }
    let calendar = view.view.as_deref() == Some("calendar");
    let base = format!("/units/{}", unit.code);
    let body = html! {
        @if !crumbs.is_empty() {
            nav.crumbs aria-label=(lang.t("Đơn vị cấp trên", "Higher units")) {
                @for u in &crumbs { a href={ "/units/" (u.code) } { (u.name) } " › " }
                (unit.name)
            }
        }
        h1 { (lang.t("Hội nghị đối thoại", "Dialogue conferences")) ": " (unit.name) }
        @if !unit.valid_to.is_empty() {
            p.alert { (lang.t("Đơn vị này đã kết thúc hoạt động ngày ", "This unit ended on ")) (lang.iso_date(&unit.valid_to)) "." }
        }
        p {
            (lang.t("Năm", "Year")) " " (year) " · "
            a href={ (base) "?year=" (year - 1) } { "‹ " (year - 1) } " · "
            a href={ (base) "?year=" (year + 1) } { (year + 1) " ›" } " · "
            @if calendar { a href={ (base) "?year=" (year) } { (lang.t("Xem danh sách", "As a list")) } }
            @else { a href={ (base) "?view=calendar&year=" (year) } { (lang.t("Xem lịch tháng", "As a calendar")) } }
            " · " a href={ "/figures/" (unit.code) } { (lang.t("Số liệu của đơn vị", "The unit's figures")) }
        }
        @if calendar {
            (month_calendar(lang, &conferences, &view, default_month(web, year), &base))
        } @else {
            @let upcoming: Vec<&Conference> = conferences.iter().filter(|c| starts(c).is_some_and(|s| s >= now)).take(LISTED).collect();
            @let past: Vec<&Conference> = conferences.iter().rev().filter(|c| starts(c).is_some_and(|s| s < now)).take(LISTED).collect();
            h2 { (lang.t("Sắp diễn ra", "Upcoming")) }
            (table(web, lang, lang.t("Hội nghị sắp diễn ra", "Upcoming conferences"), &upcoming).await)
            h2 { (lang.t("Đã diễn ra", "Held")) }
            (table(web, lang, lang.t("Hội nghị đã diễn ra, mới nhất trước", "Conferences held, latest first"), &past).await)
            @if past.len() == LISTED {
                p.muted { (lang.t("Chỉ hiển thị 50 hội nghị gần nhất; xem lịch tháng hoặc đơn vị trực thuộc để xem thêm.", "Only the latest 50 are listed; the calendar and the units below show the rest.")) }
            }
        }
        @if !living.is_empty() {
            h2 { (lang.t("Các đơn vị trực thuộc", "Units below")) }
            ul.columns { @for u in &living { li { a href={ "/units/" (u.code) } { (u.name) } } } }
        }
        h2 { (lang.t("Tra cứu kiến nghị", "Look up a petition")) }
        (super::petitions::lookup_box(lang, "", None))
    };
    Ok(layout::page(lang, &unit.name, viewer, body).into_response())
}

/// This month in this year, January in another.
fn default_month(web: &State, year: i32) -> NaiveDate {
    let today = local_date(web.clock.now());
    let month = if today.year() == year { today.month() } else { 1 };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(today)
}

/// A month's grid, Monday first, each day with its conferences.
fn month_calendar(lang: Lang, conferences: &[Conference], view: &View, default: NaiveDate, base: &str) -> Markup {
    let month = view
        .month
        .as_deref()
        .and_then(|m| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok())
        .unwrap_or(default);
    let first = month.with_day(1).unwrap_or(month);
    let next = (first + Duration::days(32)).with_day(1).unwrap_or(first);
    let previous = (first - Duration::days(1)).with_day(1).unwrap_or(first);
    let mut by_day: BTreeMap<NaiveDate, Vec<&Conference>> = BTreeMap::new();
    for c in conferences {
        if let Some(at) = starts(c) {
            by_day.entry(local_date(at)).or_default().push(c);
        }
    }
    let lead = first.weekday().num_days_from_monday() as i64;
    let start = first - Duration::days(lead);
    let weeks = ((lead + (next - first).num_days()) + 6) / 7;
    let link = |m: NaiveDate| format!("{base}?view=calendar&year={}&month={}", m.year(), m.format("%Y-%m"));
    let headers = [
        chrono::Weekday::Mon,
        chrono::Weekday::Tue,
        chrono::Weekday::Wed,
        chrono::Weekday::Thu,
        chrono::Weekday::Fri,
        chrono::Weekday::Sat,
        chrono::Weekday::Sun,
    ];
    html! {
        h2 { (lang.month(first.month(), first.year())) }
        p { a href=(link(previous)) { "‹ " (lang.month(previous.month(), previous.year())) } " · "
            a href=(link(next)) { (lang.month(next.month(), next.year())) " ›" } }
        div.table-wrap {
            table.calendar {
                thead { tr { @for d in headers { th scope="col" { (lang.weekday(d)) } } } }
                tbody {
                    @for week in 0..weeks {
                        tr {
                            @for d in 0..7 {
                                @let day = start + Duration::days(week * 7 + d);
                                td {
                                    @if day.month() == first.month() {
                                        div.day { (day.day()) }
                                        @for c in by_day.get(&day).into_iter().flatten() {
                                            div { a href={ "/conferences/" (c.id) } {
                                                (starts(c).map(|s| s.with_timezone(&ZONE).format("%H:%M").to_string()).unwrap_or_default())
                                                " " (c.theme) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A public conference by id: NOT_FOUND for drafts as for anything else.
pub(super) async fn public_conference(web: &State, lang: Lang, id: &str) -> PageResult<Conference> {
    plausible_id(id, lang)?;
    let token = web.sessions.portal_token();
    let conference = web
        .backends
        .conferences()
        .get_conference(ask(ConferenceRef { id: id.to_owned() }, &token))
        .await
        .or_problem(lang)?;
    if public(&conference) { Ok(conference) } else { Err(Failed(Problem::NotFound, lang)) }
}

/// Whether the public minutes are out: both signatures given (R8.4).
async fn minutes_signed(web: &State, conference: &Conference) -> bool {
    let token = web.sessions.portal_token();
    web.backends
        .minutes()
        .get_minutes(ask(ConferenceRequest { conference_id: conference.id.clone() }, &token))
        .await
        .is_ok_and(|m| m.into_inner().state == MinutesState::Signed as i32)
}

/// Whether the conclusion notice was sent: its R10.2 clock is met.
async fn notice_sent(web: &State, conference: &Conference) -> bool {
    let token = web.sessions.portal_token();
    let request = ListObligationsRequest {
        unit_code: conference.unit_path.first().cloned().unwrap_or_default(),
        kind: ObligationKind::ConclusionNotice as i32,
        conference_id: conference.id.clone(),
        ..Default::default()
    };
    web.backends.deadlines().list_obligations(ask(request, &token)).await.is_ok_and(|answer| {
        answer.into_inner().obligations.iter().any(|o| {
            matches!(ObligationState::try_from(o.state), Ok(ObligationState::MetOnTime | ObligationState::MetLate))
        })
    })
}

/// The host's title and name, as the directory had the post on the day,
/// and the deputy's before it when the host delegated (R2.2).
async fn host(web: &State, conference: &Conference) -> Option<String> {
    let token = web.sessions.portal_token();
    let day = starts(conference).map(local_date).map(|d| d.to_string()).unwrap_or_default();
    let posts = every_page(usize::MAX, |page| {
        let request = ListPositionsRequest {
            unit_code: conference.unit_code.clone(),
            body: conference.body,
            on_date: day.clone(),
            page,
        };
        let token = &token;
        async move {
            let answer = web.backends.directory().list_positions(ask(request, token)).await?.into_inner();
            Ok::<_, tonic::Status>((answer.positions, answer.page))
        }
    })
    .await
    .ok()?;
    let named = |id: &str| posts.iter().find(|p| p.id == id).map(|p| format!("{} {}", p.title, p.person_name));
    let host = named(&conference.accountable_position_id);
    match &conference.delegation {
        Some(d) => named(&d.deputy_position_id).map(|deputy| format!("{deputy} ({})", host.unwrap_or_default())),
        None => host,
    }
}

/// `/conferences/{id}`.
pub async fn conference(
    web: Web,
    lang: Lang,
    MaybeViewer(viewer, _): MaybeViewer,
    Path(id): Path<String>,
) -> PageResult {
    let c = public_conference(&web, lang, &id).await?;
    let token = web.sessions.portal_token();
    let unit = web.directory.unit(&web.backends, &token, &web.settings.root_unit, &c.unit_code).await;
    let venue = web.directory.unit(&web.backends, &token, &web.settings.root_unit, &c.venue_unit_code).await;
    let (host, signed, sent) = futures::join!(host(&web, &c), minutes_signed(&web, &c), notice_sent(&web, &c));
    let state = ConferenceState::try_from(c.state).unwrap_or_default();
    let registration_open = state == ConferenceState::Announced && starts(&c).is_some_and(|s| s > web.clock.now());
    let agenda: Vec<_> = c.agenda.iter().filter(|item| !item.state_secret).collect();
    let body = html! {
        p.crumbs { a href={ "/units/" (c.unit_code) } { (unit.as_ref().map(|u| u.name.as_str()).unwrap_or(&c.unit_code)) } }
        h1 { (c.theme) }
        @if matches!(state, ConferenceState::Cancelled | ConferenceState::Postponed) {
            p.alert { (state.name(lang)) ": " (c.state_reason) }
        }
        dl.facts {
            dt { (lang.t("Thời gian", "When")) }
            dd { (starts(&c).map(|at| lang.date_time(at)).unwrap_or_default())
                 " (" (c.planned_minutes / 60) " " (lang.t("giờ", "hours")) ")" }
            dt { (lang.t("Địa điểm", "Venue")) }
            dd { (c.venue_address) @if let Some(v) = &venue { ", " (v.name) } }
            dt { (lang.t("Hình thức", "Form")) }
            dd { (name_of::<Form>(c.form, lang))
                 @if !c.online_link.is_empty() { " · " a href=(c.online_link) rel="nofollow noopener" { (lang.t("đường dẫn trực tuyến", "online link")) } } }
            dt { (lang.t("Loại hội nghị", "Kind")) }
            dd { (name_of::<ConferenceKind>(c.kind, lang)) " · " (name_of::<Regime>(c.regime, lang)) }
            dt { (lang.t("Người chủ trì", "Host")) }
            dd { (host.unwrap_or_else(|| name_of::<Body>(c.body, lang).to_owned())) }
            dt { (lang.t("Thông báo công khai (R7.3)", "Public notice (R7.3)")) }
            dd { @if let Some(n) = &c.notice {
                    (lang.t("Đăng trên ", "Published in ")) (n.media_channel) (lang.t(" ngày ", " on ")) (lang.iso_date(&n.publication_date))
                } @else { (lang.t("chưa thông báo", "not yet announced")) } }
            dt { (lang.t("Trạng thái", "State")) }
            dd { (state.name(lang)) }
        }
        p { a href={ "/conferences/" (c.id) "/calendar.ics" } { (lang.t("Thêm vào lịch (iCal)", "Add to a calendar (iCal)")) } }
        @if registration_open {
            p { a.button href={ "/conferences/" (c.id) "/register" } { (lang.t("Đăng ký tham dự và phát biểu", "Register to attend and speak")) } }
        }
        h2 { (lang.t("Nội dung đối thoại", "Agenda")) }
        @if agenda.is_empty() { p.muted { (lang.t("Chưa công bố nội dung.", "No agenda published yet.")) } }
        @else {
            ol { @for item in &agenda { li {
                (item.title) " "
                span.muted { "(" (name_of::<doithoai_proto::common::v1::Field>(item.field, lang))
                    @if !item.source.is_empty() { "; " (item.source) } ")" }
            } } }
        }
        h2 { (lang.t("Văn bản", "Documents")) }
        ul {
            @if signed { li { a href={ "/conferences/" (c.id) "/minutes.pdf" } { (lang.t("Biên bản hội nghị (bản công khai, PDF)", "The minutes (public extract, PDF)")) } } }
            @if sent { li { a href={ "/conferences/" (c.id) "/notice.pdf" } { (lang.t("Thông báo kết luận (PDF)", "The conclusion notice (PDF)")) } } }
            @if !signed && !sent { li.muted { (lang.t("Biên bản và thông báo kết luận được công bố sau hội nghị.", "The minutes and the conclusion notice are published after the conference.")) } }
        }
    };
    Ok(layout::page(lang, &c.theme, viewer.as_ref(), body).into_response())
}

/// `/conferences/{id}/calendar.ics`: one event (RFC 5545).
pub async fn ical(web: Web, lang: Lang, Path(id): Path<String>) -> PageResult {
    let c = public_conference(&web, lang, &id).await?;
    let Some(start) = starts(&c) else { return Err(Failed(Problem::NotFound, lang)) };
    let end = start + Duration::minutes(i64::from(c.planned_minutes + c.extension_minutes));
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("{}@doithoai", c.id))
        .summary(&c.theme)
        .location(&c.venue_address)
        .starts(start)
        .ends(end)
        .url(&format!("/conferences/{}", c.id));
    if ConferenceState::try_from(c.state) == Ok(ConferenceState::Cancelled) {
        event.status(icalendar::EventStatus::Cancelled);
    }
    let calendar = icalendar::Calendar::new().push(event.done()).done();
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"hoi-nghi.ics\""),
        ],
        calendar.to_string(),
    )
        .into_response())
}

/// The two documents a conference publishes.
enum Published {
    Minutes,
    Notice,
}

/// A published document as its PDF: NOT_FOUND until it is out.
async fn published(web: &State, lang: Lang, id: &str, document: Published) -> PageResult {
    let c = public_conference(web, lang, id).await?;
    let out = match document {
        Published::Minutes => minutes_signed(web, &c).await,
        Published::Notice => notice_sent(web, &c).await,
    };
    if !out {
        return Err(Failed(Problem::NotFound, lang));
    }
    let token = web.sessions.portal_token();
    let request = ask(RenderRequest { conference_id: c.id, format: DocumentFormat::Pdf as i32 }, &token);
    let mut minutes = web.backends.minutes();
    let rendered = match document {
        Published::Minutes => minutes.render_minutes(request).await,
        Published::Notice => minutes.render_conclusion_notice(request).await,
    }
    .or_problem(lang)?;
    Ok(pdf(&rendered.file_name, rendered.content))
}

/// `/conferences/{id}/minutes.pdf`: the public minutes, once signed.
pub async fn minutes_pdf(web: Web, lang: Lang, Path(id): Path<String>) -> PageResult {
    published(&web, lang, &id, Published::Minutes).await
}

/// `/conferences/{id}/notice.pdf`: the conclusion notice, once sent.
pub async fn notice_pdf(web: Web, lang: Lang, Path(id): Path<String>) -> PageResult {
    published(&web, lang, &id, Published::Notice).await
}
