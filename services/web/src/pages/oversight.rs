//! The overseers' dashboards (signed in: the Internal Affairs Committee,
//! heads, offices, the Front, monitors), each read with the signed-in
//! person's own token, so the services' scope decides what they see: a
//! subtree's compliance with drill-down, agencies ranked by overdue with
//! their overdue petitions, heads without this year's dialogue and their
//! R13.1 reports, and the R13.1 report on screen, as PDF and as CSV.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::{
    extract::{Path, Query},
    http::header,
    response::IntoResponse,
};
use chrono::NaiveDate;
use doithoai_calendar::Calendar;
use doithoai_proto::{
    deadlines::v1::{
        LeaderboardRequest, ListObligationsRequest, Obligation, ObligationKind, ObligationState, RenderReportRequest,
        Report, ReportFormat, ReportRequest, Summary,
    },
    minutes::v1::{Petition, PetitionRequest},
    scheduling::v1::{Conference, ConferenceRef, GetPeriodicDialogueReportRequest},
};
use doithoai_runtime::{
    pagination::every_page,
    time::{instant, local_date},
};
use futures::{StreamExt, future::join_all, stream};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Web,
    figures::{definition_of_rate, percent, summary},
    petitions::{Lateness, lateness},
    this_year, unit_named,
};
use crate::{
    State,
    backends::ask,
    charts::{self, Series},
    i18n::{Lang, Named, name_of},
    layout,
    problem::{Failed, OrProblem, PageResult, Problem},
    session::{MaybeViewer, Viewer},
};

#[derive(Deserialize, Default)]
pub struct Period {
    year: Option<i32>,
    from: Option<String>,
    to: Option<String>,
}

impl Period {
    /// The year asked for, this year by default.
    fn year(&self, web: &State) -> i32 {
        self.year.unwrap_or_else(|| this_year(web)).clamp(2000, 2100)
    }
}

/// The signed-in overseer, or the way to the sign-in page.
fn overseer(viewer: Option<Viewer>, lang: Lang) -> PageResult<Viewer> {
    viewer.ok_or(Failed(Problem::SignInNeeded, lang))
}

fn count(summary: &Summary, states: &[ObligationState]) -> u32 {
    summary.counts.iter().filter(|c| states.iter().any(|s| *s as i32 == c.state)).map(|c| c.count).sum()
}

fn rated(summary: &Summary) -> bool {
    count(summary, &[ObligationState::MetOnTime, ObligationState::MetLate, ObligationState::Overdue]) > 0
}

fn summary_rows(lang: Lang, rows: &[(&str, &Summary)]) -> Markup {
    html! {
        div.table-wrap { table {
            caption.muted { (lang.t("Theo hạn trong năm", "By due date in the year")) }
            thead { tr {
                th scope="col" { (lang.t("Nghĩa vụ", "Obligation")) }
                th.n scope="col" { (lang.t("Đúng hạn", "On time")) }
                th.n scope="col" { (lang.t("Trễ hạn", "Late")) }
                th.n scope="col" { (lang.t("Đang trong hạn", "Open")) }
                th.n scope="col" { (lang.t("Quá hạn", "Overdue")) }
                th.n scope="col" { (lang.t("Tỷ lệ đúng hạn", "On-time rate")) }
                th.n scope="col" { (lang.t("Trung vị (ngày làm việc)", "Median (working days)")) }
                th.n scope="col" { (lang.t("Phân vị 90", "90th percentile")) }
            } }
            tbody { @for (name, s) in rows { tr {
                th scope="row" { (name) }
                td.n { (count(s, &[ObligationState::MetOnTime])) }
                td.n { (count(s, &[ObligationState::MetLate])) }
                td.n { (count(s, &[ObligationState::Open, ObligationState::DueSoon])) }
                td.n.bad { (count(s, &[ObligationState::Overdue])) }
                td.n { @if rated(s) { (percent(s.on_time_rate)) } @else { "—" } }
                td.n { (format!("{:.1}", s.median_working_days).replace('.', ",")) }
                td.n { (format!("{:.1}", s.p90_working_days).replace('.', ",")) }
            } } }
        } }
    }
}

fn part_rate(on_time: u32, late: u32, overdue: u32) -> String {
    let all = on_time + late + overdue;
    if all == 0 { "—".into() } else { percent(f64::from(on_time) / f64::from(all)) }
}

async fn read_report(web: &State, lang: Lang, token: &str, unit: &str, from: &str, to: &str) -> PageResult<Report> {
    let request = ReportRequest { unit_code: unit.to_owned(), from: from.to_owned(), to: to.to_owned() };
    web.backends.deadlines().get_report(ask(request, token)).await.or_problem(lang)
}

/// `/oversight/{code}`.
pub async fn compliance(
    web: Web,
    lang: Lang,
    MaybeViewer(viewer, _): MaybeViewer,
    Path(code): Path<String>,
    Query(period): Query<Period>,
) -> PageResult {
    let viewer = overseer(viewer, lang)?;
    let token = viewer.token.clone();
    let unit = unit_named(&web, lang, &code).await?;
    let year = period.year(&web);
    // The monthly trend: each month's obligations falling due in it.
    let months = join_all((1..=12u32).flat_map(|month| {
        [ObligationKind::ConclusionNotice, ObligationKind::AgencyResponse].map(|kind| {
            let (web, token, unit) = (&web, token.clone(), unit.code.clone());
            async move {
                let first = NaiveDate::from_ymd_opt(year, month, 1)?;
                let last = first.checked_add_months(chrono::Months::new(1))?.pred_opt()?;
                let request = doithoai_proto::deadlines::v1::SummaryRequest {
                    unit_code: unit,
                    kind: kind as i32,
                    due_from: first.to_string(),
                    due_to: last.to_string(),
                };
                web.backends.deadlines().get_summary(ask(request, &token)).await.ok().map(|s| s.into_inner())
            }
        })
    }));
    let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
    let leaderboard = async {
        let request = LeaderboardRequest { unit_code: unit.code.clone(), limit: 10 };
        web.backends.deadlines().get_overdue_leaderboard(ask(request, &token)).await.or_problem(lang)
    };
    // Every read of the page at once: its time is the slowest read's, not their sum.
    let (notices, responses, months, the_year, leaderboard) = futures::join!(
        summary(&web, lang, &token, &unit.code, ObligationKind::ConclusionNotice, year),
        summary(&web, lang, &token, &unit.code, ObligationKind::AgencyResponse, year),
        months,
        read_report(&web, lang, &token, &unit.code, &from, &to),
        leaderboard,
    );
    let (notices, responses, the_year, leaderboard) = (notices?, responses?, the_year?, leaderboard?);
    let rate = |s: &Option<Summary>| s.as_ref().filter(|s| rated(s)).map(|s| s.on_time_rate * 100.0);
    let notice_rates: Vec<Option<f64>> = months.iter().step_by(2).map(rate).collect();
    let response_rates: Vec<Option<f64>> = months.iter().skip(1).step_by(2).map(rate).collect();
    let chart = charts::monthly_rates(
        lang.t("Tỷ lệ đúng hạn theo tháng đến hạn", "On-time rate by month due"),
        &[
            Series {
                name: lang.t("Thông báo kết luận (R10.2)", "Conclusion notices (R10.2)"),
                values: notice_rates.clone(),
                color: charts::NOTICES,
            },
            Series {
                name: lang.t("Trả lời bằng văn bản (R10.3)", "Written responses (R10.3)"),
                values: response_rates.clone(),
                color: charts::RESPONSES,
            },
        ],
    );
    let portal = web.sessions.portal_token();
    let mut agencies = Vec::new();
    for a in &leaderboard.agencies {
        let name =
            web.directory.organization(&web.backends, &portal, &web.settings.root_unit, &a.organization_id).await;
        agencies.push((a, name.map(|o| o.name).unwrap_or_else(|| a.organization_id.clone())));
    }
    let shown = |v: &Option<f64>| v.map(|v| format!("{v:.0}%")).unwrap_or_else(|| "—".into());
    let body = html! {
        h1 { (lang.t("Giám sát việc thực hiện", "Compliance")) ": " (unit.name) ", " (year) }
        p { a href={ "/oversight/" (unit.code) "?year=" (year - 1) } { "‹ " (year - 1) } " · "
            a href={ "/oversight/" (unit.code) "?year=" (year + 1) } { (year + 1) " ›" } " · "
            a href={ "/oversight/" (unit.code) "/heads?year=" (year) } { (lang.t("Người đứng đầu và báo cáo (R6.2, R13.1)", "Heads and reports (R6.2, R13.1)")) } " · "
            a href={ "/oversight/" (unit.code) "/report?from=" (year) "-01-01&to=" (year) "-12-31" } { (lang.t("Báo cáo R13.1", "The R13.1 report")) } }
        (summary_rows(lang, &[
            (lang.t("Thông báo kết luận (R10.2)", "Conclusion notices (R10.2)"), &notices),
            (lang.t("Trả lời bằng văn bản (R10.3)", "Written responses (R10.3)"), &responses),
        ]))
        (definition_of_rate(lang))
        h2 { (lang.t("Xu hướng theo tháng", "Trend by month")) }
        figure.chart { (layout::svg(&chart)) }
        details { summary { (lang.t("Số liệu của biểu đồ", "The chart's numbers")) }
            div.table-wrap { table {
                thead { tr { th scope="col" { (lang.t("Tháng", "Month")) } @for m in 1..=12 { th.n scope="col" { "T" (m) } } } }
                tbody {
                    tr { th scope="row" { "R10.2" } @for v in &notice_rates { td.n { (shown(v)) } } }
                    tr { th scope="row" { "R10.3" } @for v in &response_rates { td.n { (shown(v)) } } }
                }
            } } }
        h2 { (lang.t("Theo đơn vị", "By unit")) }
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (lang.t("Đơn vị", "Unit")) }
                th.n scope="col" { (lang.t("TBKL đúng hạn", "Notices on time")) }
                th.n scope="col" { (lang.t("TBKL trễ / quá hạn", "Notices late / overdue")) }
                th.n scope="col" { (lang.t("Trả lời đúng hạn", "Responses on time")) }
                th.n scope="col" { (lang.t("Trả lời trễ hạn", "Responses late")) }
                th.n scope="col" { (lang.t("Trả lời quá hạn", "Responses overdue")) }
                th.n scope="col" { (lang.t("Tỷ lệ trả lời đúng hạn", "Responses on-time rate")) }
            } }
            tbody { @for part in &the_year.parts { @if let Some(f) = &part.figures { tr {
                th scope="row" {
                    @if part.unit_code == unit.code { (part.unit_name) " " span.muted { (lang.t("(cấp này)", "(this level)")) } }
                    @else { a href={ "/oversight/" (part.unit_code) "?year=" (year) } { (part.unit_name) } }
                    @if !part.ended_on.is_empty() { " " span.muted { (lang.t("đến ", "until ")) (lang.iso_date(&part.ended_on)) } }
                }
                td.n { (f.notices_on_time) }
                td.n { (f.notices_late) " / " (f.notices_overdue) }
                td.n { (f.responses_on_time) }
                td.n { (f.responses_late) }
                td.n.bad { (f.responses_overdue) }
                td.n { (part_rate(f.responses_on_time, f.responses_late, f.responses_overdue)) }
            } } } }
        } }
        h2 { (lang.t("Cơ quan có nhiều việc quá hạn nhất", "Agencies with the most overdue")) }
        @if agencies.is_empty() { p.ok { (lang.t("Không có cơ quan nào quá hạn.", "No agency is overdue.")) } }
        @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "#" } th scope="col" { (lang.t("Cơ quan", "Agency")) }
                    th.n scope="col" { (lang.t("Quá hạn", "Overdue")) } th.n scope="col" { (lang.t("Đang mở", "Open")) } } }
                tbody { @for (n, (a, name)) in agencies.iter().enumerate() { tr {
                    td { (n + 1) }
                    td { a href={ "/oversight/" (unit.code) "/agencies/" (a.organization_id) } { (name) } }
                    td.n.bad { (a.overdue) }
                    td.n { (a.open) }
                } } }
            } }
        }
    };
    Ok(layout::page(lang, lang.t("Giám sát", "Oversight"), Some(&viewer), body).into_response())
}

/// Every obligation a request lists, page after page (at most `cap`).
async fn every_obligation(
    web: &State,
    lang: Lang,
    token: &str,
    request: ListObligationsRequest,
    cap: usize,
) -> PageResult<Vec<Obligation>> {
    every_page(cap, |page| {
        let request = ListObligationsRequest { page, ..request.clone() };
        async move {
            let answer = web.backends.deadlines().list_obligations(ask(request, token)).await.or_problem(lang)?;
            Ok((answer.obligations, answer.page))
        }
    })
    .await
}

/// How many reads one page keeps in flight to one service.
const AT_ONCE: usize = 16;

/// `/oversight/{code}/agencies/{organization}`: an agency's overdue petitions.
pub async fn agency(
    web: Web,
    lang: Lang,
    MaybeViewer(viewer, _): MaybeViewer,
    Path((code, organization)): Path<(String, String)>,
) -> PageResult {
    let viewer = overseer(viewer, lang)?;
    super::plausible_id(&organization, lang)?;
    let token = viewer.token.clone();
    let unit = unit_named(&web, lang, &code).await?;
    let portal = web.sessions.portal_token();
    let name = web
        .directory
        .organization(&web.backends, &portal, &web.settings.root_unit, &organization)
        .await
        .map(|o| o.name)
        .ok_or(Failed(Problem::NotFound, lang))?;
    let request = ListObligationsRequest {
        unit_code: unit.code.clone(),
        organization_id: organization.clone(),
        state: ObligationState::Overdue as i32,
        ..Default::default()
    };
    let overdue = every_obligation(&web, lang, &token, request, 500).await?;
    let today = local_date(web.clock.now());
    // An agency may have hundreds overdue: their petitions and conferences
    // are read a few at a time, not all at once nor one by one.
    // Owned ids and a shared state: the reads outlive no borrow of the page's.
    let state: State = web.0.clone();
    let ids: Vec<String> = overdue.iter().map(|o| o.petition_id.clone()).collect();
    let petitions: Vec<Option<Petition>> = stream::iter(ids)
        .map(|id| {
            let (state, token) = (state.clone(), token.clone());
            async move {
                if id.is_empty() {
                    return None;
                }
                let request = ask(PetitionRequest { petition_id: id }, &token);
                state.backends.minutes().get_petition(request).await.ok().map(|p| p.into_inner())
            }
        })
        .buffered(AT_ONCE)
        .collect()
        .await;
    let distinct: BTreeSet<String> =
        overdue.iter().map(|o| o.conference_id.clone()).filter(|id| !id.is_empty()).collect();
    let conferences: HashMap<String, Option<Conference>> = stream::iter(distinct)
        .map(|id| {
            let (state, token) = (state.clone(), token.clone());
            async move {
                let request = ask(ConferenceRef { id: id.clone() }, &token);
                let found = state.backends.conferences().get_conference(request).await.ok();
                (id, found.map(|c| c.into_inner()))
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let late = |o: &Obligation| {
        NaiveDate::parse_from_str(&o.due_date, "%Y-%m-%d")
            .ok()
            .and_then(|d| lateness(Calendar::builtin(), d, today))
            .map(|l| match l {
                Lateness::DueIn(_) => 0,
                Lateness::Overdue(n) | Lateness::LongOverdue(n) => n,
            })
    };
    let mut rows: Vec<_> = overdue.iter().zip(&petitions).collect();
    rows.sort_by_key(|(o, _)| std::cmp::Reverse(late(o)));
    let body = html! {
        p.crumbs { a href={ "/oversight/" (unit.code) } { (unit.name) } }
        h1 { (name) ": " (rows.len()) " " (lang.t("việc quá hạn", "overdue")) }
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (lang.t("Nội dung", "Petition")) }
                th scope="col" { (lang.t("Nghĩa vụ", "Obligation")) }
                th scope="col" { (lang.t("Hạn", "Due")) }
                th.n scope="col" { (lang.t("Quá hạn (ngày làm việc)", "Overdue (working days)")) }
                th scope="col" { (lang.t("Từ hội nghị", "From the conference")) }
            } }
            tbody { @for (o, p) in &rows { tr {
                td { (p.as_ref().map(|p| p.text.as_str()).unwrap_or("—")) }
                td { (name_of::<ObligationKind>(o.kind, lang)) }
                td { (lang.iso_date(&o.due_date)) }
                td.n.bad { (late(o).map(|n| n.to_string()).unwrap_or_default()) }
                td { @match conferences.get(&o.conference_id).and_then(|c| c.as_ref()) {
                    Some(c) => { a href={ "/conferences/" (c.id) } { (c.theme) } br; span.muted { (c.starts_at.as_ref().and_then(instant).map(|t| lang.date(local_date(t))).unwrap_or_default()) } }
                    None => { "—" }
                } }
            } } }
        } }
    };
    Ok(layout::page(lang, &name, Some(&viewer), body).into_response())
}

/// `/oversight/{code}/heads`: heads without this year's dialogue, and their reports.
pub async fn heads(
    web: Web,
    lang: Lang,
    MaybeViewer(viewer, _): MaybeViewer,
    Path(code): Path<String>,
    Query(period): Query<Period>,
) -> PageResult {
    let viewer = overseer(viewer, lang)?;
    let token = viewer.token.clone();
    let unit = unit_named(&web, lang, &code).await?;
    let year = period.year(&web);
    let request = GetPeriodicDialogueReportRequest { unit_code: unit.code.clone(), year };
    let dialogue =
        async { web.backends.plans().get_periodic_dialogue_report(ask(request, &token)).await.or_problem(lang) };
    let owed = |kind: ObligationKind| {
        let request = ListObligationsRequest {
            unit_code: unit.code.clone(),
            kind: kind as i32,
            due_from: format!("{year}-01-01"),
            due_to: format!("{}-03-31", year + 1),
            ..Default::default()
        };
        every_obligation(&web, lang, &token, request, 5000)
    };
    let (dialogue, half_year, whole_year) =
        futures::join!(dialogue, owed(ObligationKind::ReportHalfYear), owed(ObligationKind::ReportYear));
    let mut dialogue = dialogue?.heads;
    dialogue.sort_by_key(|h| (h.held, h.head.as_ref().map(|p| p.unit_code.clone())));
    let mut reports: BTreeMap<String, [u32; 4]> = BTreeMap::new();
    for o in half_year?.into_iter().chain(whole_year?) {
        let slot = match ObligationState::try_from(o.state) {
            Ok(ObligationState::Open | ObligationState::DueSoon) => 0,
            Ok(ObligationState::MetOnTime) => 1,
            Ok(ObligationState::MetLate) => 2,
            Ok(ObligationState::Overdue) => 3,
            _ => continue,
        };
        reports.entry(o.head_position_id.clone()).or_default()[slot] += 1;
    }
    let not_held = dialogue.iter().filter(|h| !h.held).count();
    let body = html! {
        p.crumbs { a href={ "/oversight/" (unit.code) "?year=" (year) } { (unit.name) } }
        h1 { (lang.t("Người đứng đầu", "Heads")) ": " (unit.name) ", " (year) }
        p { strong { (not_held) } " / " (dialogue.len()) " "
            (lang.t("người đứng đầu chưa tổ chức đối thoại định kỳ năm nay (R6.2, R6.3).", "heads have not held this year's periodic dialogue (R6.2, R6.3).")) }
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (lang.t("Chức danh", "Title")) }
                th scope="col" { (lang.t("Họ tên", "Name")) }
                th scope="col" { (lang.t("Đối thoại định kỳ", "Periodic dialogue")) }
                th.n scope="col" { (lang.t("Báo cáo phải nộp", "Reports owed")) }
                th.n scope="col" { (lang.t("Đã nộp đúng hạn", "Filed on time")) }
                th.n scope="col" { (lang.t("Nộp trễ", "Filed late")) }
                th.n scope="col" { (lang.t("Quá hạn chưa nộp", "Overdue, not filed")) }
            } }
            tbody { @for h in &dialogue { @if let Some(p) = &h.head {
                @let r = reports.get(&p.id).copied().unwrap_or_default();
                tr {
                    td { (p.title) } td { (p.person_name) }
                    td { @if h.held { span.ok { (lang.t("Đã tổ chức", "Held")) } }
                         @else if h.planned { span.late { (lang.t("Có kế hoạch, chưa tổ chức", "Planned, not yet held")) } }
                         @else { span.bad { (lang.t("Chưa có kế hoạch", "Not planned")) } } }
                    td.n { (r[0]) } td.n { (r[1]) } td.n { (r[2]) } td.n.bad { (r[3]) }
                }
            } } }
        } }
    };
    Ok(layout::page(lang, lang.t("Người đứng đầu", "Heads"), Some(&viewer), body).into_response())
}

fn period_of(period: &Period, year: i32) -> (String, String) {
    let valid = |d: &Option<String>| d.clone().filter(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
    (
        valid(&period.from).unwrap_or_else(|| format!("{year}-01-01")),
        valid(&period.to).unwrap_or_else(|| format!("{year}-06-30")),
    )
}

fn counts(
    lang: Lang,
    title: &str,
    counts: &[doithoai_proto::deadlines::v1::Count],
    label: impl Fn(&str) -> String,
) -> Markup {
    html! {
        h3 { (title) }
        @if counts.is_empty() { p.muted { (lang.t("Không có.", "None.")) } }
        @else { table { tbody { @for c in counts { tr { th scope="row" { (label(&c.key)) } td.n { (c.count) } } } } } }
    }
}

/// `/oversight/{code}/report?from=…&to=…`.
pub async fn report_page(web: &State, lang: Lang, viewer: Viewer, code: &str, period: Period) -> PageResult {
    let unit = unit_named(web, lang, code).await?;
    let (from, to) = period_of(&period, this_year(web));
    let r = read_report(web, lang, &viewer.token, &unit.code, &from, &to).await?;
    let field = |key: &str| {
        doithoai_proto::common::v1::Field::from_str_name(key).map_or(key.to_owned(), |f| f.name(lang).to_owned())
    };
    let class = |key: &str| {
        doithoai_proto::minutes::v1::Classification::from_str_name(key)
            .map_or(key.to_owned(), |f| f.name(lang).to_owned())
    };
    let kind = |key: &str| {
        doithoai_proto::scheduling::v1::ConferenceKind::from_str_name(key)
            .map_or(key.to_owned(), |f| f.name(lang).to_owned())
    };
    let regime = |key: &str| {
        doithoai_proto::scheduling::v1::Regime::from_str_name(key).map_or(key.to_owned(), |f| f.name(lang).to_owned())
    };
    let query = format!("from={from}&to={to}");
    let body = html! {
        p.crumbs { a href={ "/oversight/" (unit.code) } { (unit.name) } }
        h1 { (lang.t("Báo cáo kết quả tiếp xúc, đối thoại (R13.1)", "Report on contact and dialogue (R13.1)")) }
        p { (unit.name) ", " (lang.t("từ ", "from ")) (lang.iso_date(&from)) (lang.t(" đến ", " to ")) (lang.iso_date(&to)) }
        form.stack method="get" action={ "/oversight/" (unit.code) "/report" } {
            label for="from" { (lang.t("Từ ngày", "From")) } input #from type="date" name="from" value=(from);
            label for="to" { (lang.t("Đến ngày", "To")) } input #to type="date" name="to" value=(to);
            button.primary type="submit" { (lang.t("Xem báo cáo", "Show the report")) }
        }
        p { a.button href={ "/oversight/" (unit.code) "/report.pdf?" (query) } { (lang.t("Tải PDF", "Download the PDF")) } " "
            a.button href={ "/oversight/" (unit.code) "/report.csv?" (query) } { (lang.t("Tải CSV", "Download the CSV")) } }
        div.cards {
            div.card { div.big { (r.heads_held) } (lang.t("người đứng đầu đã đối thoại định kỳ", "heads held their periodic dialogue")) }
            div.card { div.big.bad { (r.heads_not_held) } (lang.t("người đứng đầu chưa đối thoại", "heads did not")) }
            div.card { div.big { (r.petitions_answered_at_conference) } (lang.t("ý kiến trả lời tại hội nghị", "answered at the conference")) }
            div.card { div.big { (r.petitions_referred) } (lang.t("khiếu nại, tố cáo chuyển xử lý (R1.2)", "complaints referred (R1.2)")) }
            div.card { div.big { (r.petitions_escalated) } (lang.t("đề xuất lên cấp trên (R10.4)", "escalated (R10.4)")) }
        }
        (counts(lang, lang.t("Hội nghị theo loại", "Conferences by kind"), &r.conferences_by_kind, kind))
        (counts(lang, lang.t("Hội nghị theo chế độ", "Conferences by regime"), &r.conferences_by_regime, regime))
        (counts(lang, lang.t("Ý kiến theo lĩnh vực", "Petitions by field"), &r.petitions_by_field, field))
        (counts(lang, lang.t("Ý kiến theo loại", "Petitions by kind"), &r.petitions_by_classification, class))
        h3 { (lang.t("Thời hạn", "Deadlines")) }
        table { thead { tr { th {} th.n { (lang.t("Đúng hạn", "On time")) } th.n { (lang.t("Trễ hạn", "Late")) } th.n { (lang.t("Quá hạn", "Overdue")) } } }
            tbody {
                tr { th scope="row" { (lang.t("Thông báo kết luận (R10.2)", "Conclusion notices (R10.2)")) } td.n { (r.notices_on_time) } td.n { (r.notices_late) } td.n { (r.notices_overdue) } }
                tr { th scope="row" { (lang.t("Trả lời bằng văn bản (R10.3)", "Written responses (R10.3)")) } td.n { (r.responses_on_time) } td.n { (r.responses_late) } td.n { (r.responses_overdue) } }
            } }
    };
    Ok(layout::page(lang, lang.t("Báo cáo", "Report"), Some(&viewer), body).into_response())
}

pub async fn report(
    web: Web,
    lang: Lang,
    MaybeViewer(viewer, _): MaybeViewer,
    Path(code): Path<String>,
    Query(period): Query<Period>,
) -> PageResult {
    report_page(&web, lang, overseer(viewer, lang)?, &code, period).await
}

/// `/oversight/{code}/report.pdf` and `.csv`: as the deadlines service renders them.
pub async fn report_file(
    web: Web,
    lang: Lang,
    MaybeViewer(viewer, _): MaybeViewer,
    Path((code, format)): Path<(String, String)>,
    Query(period): Query<Period>,
) -> PageResult {
    let viewer = overseer(viewer, lang)?;
    let format = match format.as_str() {
        "pdf" => ReportFormat::Pdf,
        "csv" => ReportFormat::Csv,
        "docx" => ReportFormat::Docx,
        _ => return Err(Failed(Problem::NotFound, lang)),
    };
    let (from, to) = period_of(&period, this_year(&web));
    let request = RenderReportRequest {
        report: Some(ReportRequest { unit_code: code, from, to }),
        format: format as i32,
        ..Default::default()
    };
    let rendered = web.backends.deadlines().render_report(ask(request, &viewer.token)).await.or_problem(lang)?;
    let disposition = format!("attachment; filename=\"{}\"", rendered.file_name.replace('"', ""));
    Ok(([(header::CONTENT_TYPE, rendered.content_type), (header::CONTENT_DISPOSITION, disposition)], rendered.content)
        .into_response())
}
