//! `/work/conferences`: the unit's conferences in every state, the
//! coordination requests it receives from higher levels (R4.2), and a new
//! conference's draft.

use std::collections::HashMap;

use axum::{Form, http::StatusCode, response::IntoResponse};
use chrono::{NaiveDate, NaiveTime, TimeZone};
use doithoai_proto::scheduling::v1::{
    Conference, ConferenceDraft, ConferenceKind, ConferenceState, CreateConferenceRequest, Form as Held, Rank, Regime,
};
use doithoai_runtime::time::{ZONE, instant, timestamp};
use maud::{Markup, html};

use super::{
    Worker,
    actions::{Stop, Values, check_csrf, invalid, settle},
    forms::{Filled, FormView},
    home::unit_conferences,
    reads,
};
use crate::{
    State,
    backends::ask,
    i18n::{Lang, Named, name_of},
    layout,
    problem::PageResult,
    session::Viewer,
};

fn table(lang: Lang, conferences: &[&Conference]) -> Markup {
    html! {
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (lang.t("Thời gian", "When")) }
                th scope="col" { (lang.t("Chủ đề", "Theme")) }
                th scope="col" { (lang.t("Đơn vị", "Unit")) }
                th scope="col" { (lang.t("Tình trạng", "State")) }
            } }
            tbody { @for c in conferences {
                tr {
                    td { (c.starts_at.as_ref().and_then(instant).map(|at| lang.date_time(at)).unwrap_or_default()) }
                    td { a href={ "/work/conferences/" (c.id) } { (c.theme) } }
                    td { (c.unit_code) }
                    td { (name_of::<ConferenceState>(c.state, lang)) }
                }
            } }
        } }
    }
}

/// `GET /work/conferences`.
pub async fn list(web: super::super::Web, Worker(viewer, lang): Worker) -> PageResult {
    let all = unit_conferences(&web, lang, &viewer, 0).await?;
    // R4.2: a higher level's conference held here, whose preparation this unit joins.
    let (coordinating, own): (Vec<&Conference>, Vec<&Conference>) =
        all.iter().partition(|c| !c.unit_path.contains(&viewer.unit));
    let body = html! {
        p.crumbs { a href="/work" { (lang.t("Việc của tôi", "My work")) } }
        h1 { (lang.t("Hội nghị của đơn vị", "The unit's conferences")) }
        p { a.button href="/work/conferences/new" { (lang.t("Tạo hội nghị mới", "New conference")) } }
        h2 id="coordination" { (lang.t("Đề nghị phối hợp của cấp trên (R4.2)", "Coordination requests from higher levels (R4.2)")) }
        @if coordinating.is_empty() {
            p { (lang.t("Không có đề nghị phối hợp nào.", "No coordination requests.")) }
        } @else {
            p.muted { (lang.t("Hội nghị của cấp trên tổ chức tại địa bàn; người đứng đầu đơn vị phối hợp chuẩn bị.", "Higher levels' conferences held here; the unit's heads take part in preparing them.")) }
            (table(lang, &coordinating))
        }
        h2 { (lang.t("Hội nghị do đơn vị tổ chức", "Conferences the unit holds")) }
        (table(lang, &own))
    };
    Ok(layout::page(lang, lang.t("Hội nghị của đơn vị", "The unit's conferences"), Some(&viewer), body).into_response())
}

const KINDS: [ConferenceKind; 4] = [
    ConferenceKind::CitizensDirect,
    ConferenceKind::Representatives,
    ConferenceKind::SectorCadres,
    ConferenceKind::Thematic,
];
const FORMS: [Held; 3] = [Held::InPerson, Held::Online, Held::Hybrid];
const REGIMES: [Regime; 3] = [Regime::Periodic, Regime::Regular, Regime::AdHoc];

fn choices<E: Named + Copy>(lang: Lang, values: &[E], name: impl Fn(&E) -> &'static str) -> Vec<(String, String)> {
    values.iter().map(|v| (name(v).to_owned(), v.name(lang).to_owned())).collect()
}

async fn render(web: &State, lang: Lang, viewer: &Viewer, filled: Option<&Filled>) -> PageResult {
    let heads: Vec<(String, String)> = reads::positions(web, lang, viewer, &viewer.unit)
        .await?
        .iter()
        .filter(|p| p.unit_code == viewer.unit && p.rank == Rank::Head as i32 && p.term_end.is_empty())
        .map(|p| (p.id.clone(), reads::position_name(p)))
        .collect();
    let token = web.sessions.portal_token();
    let root = &web.settings.root_unit;
    let mut venues = vec![(viewer.unit.clone(), viewer.unit.clone())];
    if let Some(unit) = web.directory.unit(&web.backends, &token, root, &viewer.unit).await {
        venues = vec![(unit.code.clone(), unit.name.clone())];
        let children = web.directory.children(&web.backends, &token, root, &unit.code).await;
        venues.extend(children.iter().filter(|u| u.valid_to.is_empty()).map(|u| (u.code.clone(), u.name.clone())));
    }
    let f = FormView::new(lang, "create", filled);
    let body = html! {
        p.crumbs { a href="/work/conferences" { (lang.t("Hội nghị của đơn vị", "The unit's conferences")) } }
        h1 { (lang.t("Tạo hội nghị mới", "New conference")) }
        form.stack method="post" action="/work/conferences/new" novalidate {
            (f.alert())
            (f.hidden(viewer, "new"))
            (f.input("theme", lang.t("Chủ đề", "Theme"), "text", "", None, true))
            (f.select("host_position_id", lang.t("Người đứng đầu chủ trì (R2.1)", "Hosting head (R2.1)"), &heads, "", None, true))
            (f.select("regime", lang.t("Loại đối thoại (R6.2)", "Regime (R6.2)"), &choices(lang, &REGIMES, Regime::as_str_name), Regime::Periodic.as_str_name(), None, true))
            (f.select("kind", lang.t("Hình thức đối thoại (R6.1)", "Kind (R6.1)"), &choices(lang, &KINDS, ConferenceKind::as_str_name), ConferenceKind::CitizensDirect.as_str_name(), None, true))
            (f.select("form", lang.t("Cách thức tổ chức", "Form"), &choices(lang, &FORMS, Held::as_str_name), Held::InPerson.as_str_name(), None, true))
            (f.select("venue_unit_code", lang.t("Địa bàn tổ chức (R4.2)", "Where it is held (R4.2)"), &venues, &viewer.unit, Some(lang.t("Trong phạm vi đơn vị; cấp dưới nơi tổ chức sẽ phối hợp.", "Inside the unit; the lower unit where it is held coordinates.")), true))
            (f.input("venue_address", lang.t("Địa điểm", "Address"), "text", "", None, true))
            (f.input("date", lang.t("Ngày tổ chức", "Date"), "date", "", None, true))
            (f.input("time", lang.t("Giờ bắt đầu", "Start time"), "time", "08:00", None, true))
            (f.input("planned_minutes", lang.t("Thời lượng dự kiến (phút, tối đa 240 — R8.1)", "Planned length (minutes, at most 240 — R8.1)"), "number", "180", None, true))
            button.primary type="submit" { (lang.t("Tạo dự thảo", "Create the draft")) }
        }
    };
    let status = if filled.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, layout::page(lang, lang.t("Tạo hội nghị mới", "New conference"), Some(viewer), body)).into_response())
}

/// `GET /work/conferences/new`.
pub async fn new(web: super::super::Web, Worker(viewer, lang): Worker) -> PageResult {
    render(&web, lang, &viewer, None).await
}

/// The start a date and a time in Hà Nội name.
pub(super) fn starts_at(lang: Lang, form: &Values) -> Result<prost_types::Timestamp, Stop> {
    let date = NaiveDate::parse_from_str(&form.get("date"), "%Y-%m-%d")
        .map_err(|_| invalid(lang, "date", "Chọn ngày tổ chức.", "Choose the date."))?;
    let time = NaiveTime::parse_from_str(&form.get("time"), "%H:%M")
        .map_err(|_| invalid(lang, "time", "Nhập giờ bắt đầu (giờ:phút).", "Give the start time (hours:minutes)."))?;
    let local = ZONE
        .from_local_datetime(&date.and_time(time))
        .single()
        .ok_or_else(|| invalid(lang, "time", "Giờ không hợp lệ.", "Not a valid time."))?;
    Ok(timestamp(local.to_utc()))
}

async fn create_draft(web: &State, lang: Lang, viewer: &Viewer, form: &Values) -> Result<Conference, Stop> {
    let posts = reads::positions(web, lang, viewer, &viewer.unit).await?;
    let host = form.get("host_position_id");
    let body = posts.iter().find(|p| p.id == host).map(|p| p.body).unwrap_or_default();
    let draft = ConferenceDraft {
        unit_code: viewer.unit.clone(),
        body,
        host_position_id: host,
        regime: form.named("regime", Regime::from_str_name),
        kind: form.named("kind", ConferenceKind::from_str_name),
        form: form.named("form", Held::from_str_name),
        venue_unit_code: form.get("venue_unit_code"),
        venue_address: form.get("venue_address"),
        theme: form.get("theme"),
        starts_at: Some(starts_at(lang, form)?),
        planned_minutes: form.number("planned_minutes"),
        ..Default::default()
    };
    let request = CreateConferenceRequest { draft: Some(draft), request_id: form.get("request_id") };
    let created = web.backends.conferences().create_conference(ask(request, &viewer.token)).await;
    created.map(tonic::Response::into_inner).map_err(|status| Stop::of(status, lang))
}

/// `POST /work/conferences/new`.
pub async fn create(
    web: super::super::Web,
    Worker(viewer, lang): Worker,
    Form(values): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&viewer, &values, lang)?;
    let form = Values(values);
    let created = create_draft(&web, lang, &viewer, &form).await;
    let to = created.map(|c| format!("/work/conferences/{}", c.id));
    settle(to, "create", form.0, async |filled| render(&web, lang, &viewer, Some(&filled)).await).await
}
