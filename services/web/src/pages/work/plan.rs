//! `/work/plan`: the unit's plan for the year (R11.1), a planned conference
//! added or taken out, and which heads have held their periodic dialogue
//! (R6.2, R6.3).

use std::collections::HashMap;

use axum::{Form, extract::Query, http::StatusCode, response::IntoResponse};
use doithoai_proto::scheduling::v1::{
    AnnualPlan, GetAnnualPlanRequest, GetPeriodicDialogueReportRequest, PlannedConference, Rank, Regime,
};
use maud::html;
use serde::Deserialize;

use super::{
    Worker,
    actions::{Stop, check_csrf, settle},
    forms::{Filled, FormView, button},
    reads,
};
use crate::{
    State,
    backends::ask,
    i18n::{Lang, Named, name_of},
    layout,
    problem::{Failed, OrProblem, PageResult, Problem},
    session::Viewer,
};

#[derive(Deserialize, Default)]
pub struct Year {
    year: Option<i32>,
}

const REGIMES: [Regime; 3] = [Regime::Periodic, Regime::Regular, Regime::AdHoc];

async fn render(web: &State, lang: Lang, viewer: &Viewer, year: i32, filled: Option<&Filled>) -> PageResult {
    let request = GetAnnualPlanRequest { unit_code: viewer.unit.clone(), year };
    let plan = web.backends.plans().get_annual_plan(ask(request, &viewer.token)).await.or_problem(lang)?;
    let request = GetPeriodicDialogueReportRequest { unit_code: viewer.unit.clone(), year };
    let heads =
        web.backends.plans().get_periodic_dialogue_report(ask(request, &viewer.token)).await.or_problem(lang)?;
    let posts = reads::positions(web, lang, viewer, &viewer.unit).await?;
    let own_heads: Vec<(String, String)> = posts
        .iter()
        .filter(|p| p.unit_code == viewer.unit && p.rank == Rank::Head as i32 && p.term_end.is_empty())
        .map(|p| (p.id.clone(), reads::position_name(p)))
        .collect();
    let post_name = |id: &str| posts.iter().find(|p| p.id == id).map(reads::position_name).unwrap_or_default();
    let add = FormView::new(lang, "add", filled);
    let months: Vec<(String, String)> = (1..=12).map(|m| (m.to_string(), lang.month(m, year))).collect();
    let regimes: Vec<(String, String)> =
        REGIMES.iter().map(|r| ((*r as i32).to_string(), r.name(lang).to_owned())).collect();
    let body = html! {
        p.crumbs { a href="/work" { (lang.t("Việc của tôi", "My work")) } }
        h1 { (lang.t("Kế hoạch tiếp xúc, đối thoại năm ", "Dialogue plan for ")) (year) }
        p.muted { (lang.t("R11.1: kế hoạch năm nêu các cuộc đối thoại định kỳ của từng người đứng đầu.", "R11.1: the year's plan names each head's periodic dialogue.")) }
        div.table-wrap { table {
            caption.muted { (lang.t("Các hội nghị trong kế hoạch", "Planned conferences")) }
            thead { tr {
                th scope="col" { (lang.t("Tháng", "Month")) }
                th scope="col" { (lang.t("Người chủ trì", "Host")) }
                th scope="col" { (lang.t("Hình thức", "Regime")) }
                th scope="col" { (lang.t("Chủ đề", "Theme")) }
                th scope="col" { span.sr-only { (lang.t("Thao tác", "Actions")) } }
            } }
            tbody { @for (i, item) in plan.items.iter().enumerate() {
                tr {
                    td { (lang.month(item.month, year)) }
                    td { (post_name(&item.host_position_id)) }
                    td { (name_of::<Regime>(item.regime, lang)) }
                    td { (item.theme) }
                    td { (button(viewer, &format!("/work/plan?year={year}"), "remove", lang.t("Bỏ khỏi kế hoạch", "Take out"), &[("action", "remove"), ("index", &i.to_string())])) }
                }
            } }
        } }
        h2 { (lang.t("Thêm hội nghị vào kế hoạch", "Add a planned conference")) }
        form.stack method="post" action={ "/work/plan?year=" (year) } novalidate {
            (add.alert())
            (add.hidden(viewer, "plan"))
            input type="hidden" name="action" value="add";
            (add.select("host_position_id", lang.t("Người đứng đầu chủ trì", "Hosting head"), &own_heads, "", None, true))
            (add.select("regime", lang.t("Loại đối thoại (R6.2)", "Regime (R6.2)"), &regimes, &(Regime::Periodic as i32).to_string(), None, true))
            (add.select("month", lang.t("Tháng", "Month"), &months, "", None, true))
            (add.input("theme", lang.t("Chủ đề dự kiến", "Intended theme"), "text", "", None, false))
            button.primary type="submit" { (lang.t("Thêm vào kế hoạch", "Add to the plan")) }
        }
        h2 { (lang.t("Người đứng đầu đã đối thoại định kỳ trong năm (R6.2, R6.3)", "Heads who held this year's periodic dialogue (R6.2, R6.3)")) }
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (lang.t("Người đứng đầu", "Head")) }
                th scope="col" { (lang.t("Có trong kế hoạch", "Planned")) }
                th scope="col" { (lang.t("Đã tổ chức", "Held")) }
            } }
            tbody { @for h in &heads.heads {
                tr {
                    td { (h.head.as_ref().map(reads::position_name).unwrap_or_default()) }
                    td { (if h.planned { lang.t("Có", "Yes") } else { lang.t("Chưa", "No") }) }
                    td { @if h.held { span.tag.ok { (lang.t("Đã tổ chức", "Held")) } } @else { span.tag.bad { (lang.t("Chưa tổ chức", "Not yet")) } } }
                }
            } }
        } }
    };
    let status = if filled.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, layout::page(lang, lang.t("Kế hoạch năm", "The year's plan"), Some(viewer), body)).into_response())
}

fn year(web: &State, asked: &Year) -> i32 {
    asked.year.unwrap_or_else(|| super::super::this_year(web)).clamp(2000, 2100)
}

/// `GET /work/plan`.
pub async fn page(web: super::super::Web, Worker(viewer, lang): Worker, Query(asked): Query<Year>) -> PageResult {
    render(&web, lang, &viewer, year(&web, &asked), None).await
}

/// `POST /work/plan`: the plan with one planned conference more, or one fewer.
pub async fn save(
    web: super::super::Web,
    Worker(viewer, lang): Worker,
    Query(asked): Query<Year>,
    Form(values): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&viewer, &values, lang)?;
    let year = year(&web, &asked);
    let request = GetAnnualPlanRequest { unit_code: viewer.unit.clone(), year };
    let mut plan = web.backends.plans().get_annual_plan(ask(request, &viewer.token)).await.or_problem(lang)?;
    let value = |name: &str| values.get(name).map(|v| v.trim().to_owned()).unwrap_or_default();
    match value("action").as_str() {
        "remove" => {
            let index: usize = value("index").parse().map_err(|_| Failed(Problem::NotFound, lang))?;
            if index < plan.items.len() {
                plan.items.remove(index);
            }
        }
        _ => plan.items.push(PlannedConference {
            host_position_id: value("host_position_id"),
            regime: value("regime").parse().unwrap_or_default(),
            month: value("month").parse().unwrap_or_default(),
            theme: value("theme"),
        }),
    }
    let request =
        AnnualPlan { unit_code: viewer.unit.clone(), year, items: plan.items, request_id: value("request_id") };
    let saved = web.backends.plans().set_annual_plan(ask(request, &viewer.token)).await;
    let to = saved.map(|_| format!("/work/plan?year={year}")).map_err(|status| Stop::of(status, lang));
    let again = async |filled: Filled| render(&web, lang, &viewer, year, Some(&filled)).await;
    settle(to, &value("action"), values, again).await
}
