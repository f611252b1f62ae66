//! `/work/reports`: the six-month and annual reports on the dialogues each
//! head owes (R13.1), their due dates, and filing one. A head sees and files
//! their own; the office those of its unit's heads.

use std::collections::HashMap;

use axum::{Form, http::StatusCode, response::IntoResponse};
use doithoai_proto::deadlines::v1::{FileReportRequest, ListObligationsRequest, Obligation, ObligationKind};
use doithoai_runtime::Role;
use maud::html;

use super::{
    Worker,
    actions::{Stop, Values, check_csrf, settle},
    forms::{Filled, FormView},
    home::{my_posts, state_class},
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

fn is_report(o: &Obligation) -> bool {
    o.kind == ObligationKind::ReportHalfYear as i32 || o.kind == ObligationKind::ReportYear as i32
}

/// The reports the person sees: a head's own, or the office's unit's.
async fn reports(web: &State, lang: Lang, viewer: &Viewer) -> PageResult<Vec<Obligation>> {
    let mut all = Vec::new();
    if viewer.roles.contains(&Role::Office) {
        let request = ListObligationsRequest { unit_code: viewer.unit.clone(), ..Default::default() };
        let owed = reads::obligations(web, lang, viewer, request).await?;
        all.extend(owed.into_iter().filter(|o| is_report(o) && o.unit_path.last() == Some(&viewer.unit)));
    } else {
        for post in my_posts(web, lang, viewer).await? {
            let request = ListObligationsRequest {
                unit_code: viewer.unit.clone(),
                head_position_id: post.id,
                ..Default::default()
            };
            all.extend(reads::obligations(web, lang, viewer, request).await?.into_iter().filter(is_report));
        }
    }
    all.sort_by(|a, b| a.due_date.cmp(&b.due_date).then_with(|| a.head_position_id.cmp(&b.head_position_id)));
    Ok(all)
}

async fn render(web: &State, lang: Lang, viewer: &Viewer, filled: Option<&Filled>) -> PageResult {
    let all = reports(web, lang, viewer).await?;
    let posts = reads::positions(web, lang, viewer, &viewer.unit).await?;
    let head = |id: &str| posts.iter().find(|p| p.id == id).map(reads::position_name).unwrap_or_default();
    let today = web.clock.today().to_string();
    let body = html! {
        p.crumbs { a href="/work" { (lang.t("Việc của tôi", "My work")) } }
        h1 { (lang.t("Báo cáo kết quả tiếp xúc, đối thoại (R13.1)", "Reports on the dialogues (R13.1)")) }
        p.muted { (lang.t("Người đứng đầu báo cáo 6 tháng và hằng năm.", "Heads report every six months and every year.")) }
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (lang.t("Báo cáo", "Report")) }
                th scope="col" { (lang.t("Người đứng đầu", "Head")) }
                th scope="col" { (lang.t("Hạn", "Due")) }
                th scope="col" { (lang.t("Tình trạng", "State")) }
                th scope="col" { span.sr-only { (lang.t("Nộp", "File")) } }
            } }
            tbody { @for o in &all {
                @let form = FormView::item(lang, "file", filled, "obligation_id", &o.id).pinned("filed_on");
                tr {
                    td { (name_of::<ObligationKind>(o.kind, lang)) " " (o.anchor_date.get(..4).unwrap_or_default()) }
                    td { (head(&o.head_position_id)) }
                    td { (lang.iso_date(&o.due_date)) }
                    td { span.tag.(state_class(o)) { (reads::state(o).name(lang)) } @if !o.met_on.is_empty() { " " (lang.iso_date(&o.met_on)) } }
                    td { @if reads::owed(o) {
                        form.stack method="post" action="/work/reports" novalidate {
                            (form.alert())
                            (form.hidden(viewer, "reports"))
                            input type="hidden" name="obligation_id" value=(o.id);
                            input type="hidden" name="head_position_id" value=(o.head_position_id);
                            input type="hidden" name="kind" value=(name_of_kind(o.kind));
                            input type="hidden" name="year" value=(o.anchor_date.get(..4).unwrap_or_default());
                            (form.input("filed_on", lang.t("Ngày nộp", "Filed on"), "date", &today, None, true))
                            button.primary type="submit" { (lang.t("Nộp báo cáo", "File the report")) }
                        }
                    } }
                }
            } }
        } }
    };
    let status = if filled.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, layout::page(lang, lang.t("Báo cáo R13.1", "R13.1 reports"), Some(viewer), body)).into_response())
}

fn name_of_kind(kind: i32) -> &'static str {
    ObligationKind::try_from(kind).map_or("", |k| k.as_str_name())
}

/// `GET /work/reports`.
pub async fn page(web: super::super::Web, Worker(viewer, lang): Worker) -> PageResult {
    render(&web, lang, &viewer, None).await
}

/// `POST /work/reports`: one report filed.
pub async fn file(
    web: super::super::Web,
    Worker(viewer, lang): Worker,
    Form(values): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&viewer, &values, lang)?;
    let form = Values(values);
    let request = FileReportRequest {
        head_position_id: form.get("head_position_id"),
        kind: form.named("kind", ObligationKind::from_str_name),
        year: form.number("year"),
        filed_on: form.get("filed_on"),
        request_id: form.get("request_id"),
    };
    let filed = web.backends.deadlines().file_report(ask(request, &viewer.token)).await;
    let to = filed.map(|_| "/work/reports".to_owned()).map_err(|status| Stop::of(status, lang));
    settle(to, "file", form.0, async |filled| render(&web, lang, &viewer, Some(&filled)).await).await
}
