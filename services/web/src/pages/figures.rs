//! Published figures of the province and each unit, with their definitions:
//! conferences held this year, the on-time rates of conclusion notices
//! (R10.2) and written responses (R10.3), and the heads who held their
//! periodic dialogue (R6.2).

use axum::{extract::Path, response::IntoResponse};
use doithoai_proto::{
    deadlines::v1::{ObligationKind, Summary, SummaryRequest},
    scheduling::v1::{ConferenceState, GetPeriodicDialogueReportRequest},
};
use maud::{Markup, html};

use super::{Web, conferences_of, this_year, unit_named};
use crate::{
    State,
    backends::ask,
    i18n::Lang,
    layout,
    problem::{OrProblem, PageResult},
    session::MaybeViewer,
};

pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0).replace('.', ",")
}

pub async fn summary(
    web: &State,
    lang: Lang,
    token: &str,
    unit: &str,
    kind: ObligationKind,
    year: i32,
) -> PageResult<Summary> {
    let request = SummaryRequest {
        unit_code: unit.to_owned(),
        kind: kind as i32,
        due_from: format!("{year}-01-01"),
        due_to: format!("{year}-12-31"),
    };
    web.backends.deadlines().get_summary(ask(request, token)).await.or_problem(lang)
}

pub fn definition_of_rate(lang: Lang) -> Markup {
    html! {
        p.muted { (lang.t(
            "Tỷ lệ đúng hạn = số việc hoàn thành đúng hạn ÷ (số việc đã hoàn thành + số việc đang quá hạn), tính trên các việc có hạn trong năm.",
            "On-time rate = met on time ÷ (all met + open overdue), over the obligations falling due in the year.",
        )) }
    }
}

pub async fn root(web: Web, lang: Lang, viewer: MaybeViewer) -> PageResult {
    let code = web.settings.root_unit.clone();
    unit(web, lang, viewer, Path(code)).await
}

/// `/figures/{code}`.
pub async fn unit(web: Web, lang: Lang, MaybeViewer(viewer, _): MaybeViewer, Path(code): Path<String>) -> PageResult {
    let unit = unit_named(&web, lang, &code).await?;
    let year = this_year(&web);
    let token = web.sessions.portal_token();
    let conferences = conferences_of(&web, lang, &unit.code, year).await?;
    let held = conferences.iter().filter(|c| c.state == ConferenceState::Ended as i32).count();
    let notices = summary(&web, lang, &token, &unit.code, ObligationKind::ConclusionNotice, year).await?;
    let responses = summary(&web, lang, &token, &unit.code, ObligationKind::AgencyResponse, year).await?;
    let request = GetPeriodicDialogueReportRequest { unit_code: unit.code.clone(), year };
    let heads = web.backends.plans().get_periodic_dialogue_report(ask(request, &token)).await.or_problem(lang)?;
    let heads_held = heads.heads.iter().filter(|h| h.held).count();
    let body = html! {
        h1 { (lang.t("Số liệu công khai", "Published figures")) ": " (unit.name) ", " (year) }
        div.cards {
            div.card { div.big { (held) } (lang.t("hội nghị đối thoại đã tổ chức trong năm", "dialogue conferences held this year")) }
            div.card { div.big { (percent(notices.on_time_rate)) } (lang.t("thông báo kết luận đúng hạn (R10.2)", "conclusion notices on time (R10.2)")) }
            div.card { div.big { (percent(responses.on_time_rate)) } (lang.t("kiến nghị được trả lời bằng văn bản đúng hạn (R10.3)", "petitions answered in writing on time (R10.3)")) }
            div.card { div.big { (heads_held) " / " (heads.heads.len()) } (lang.t("người đứng đầu đã đối thoại định kỳ (R6.2)", "heads who held their periodic dialogue (R6.2)")) }
        }
        h2 { (lang.t("Định nghĩa", "Definitions")) }
        ul {
            li { (lang.t("Hội nghị đã tổ chức: hội nghị bắt đầu trong năm và đã kết thúc.", "Conferences held: conferences starting in the year that have ended.")) }
            li { (lang.t("Thông báo kết luận: trong 10 ngày làm việc sau hội nghị (R10.2).", "Conclusion notices: within 10 working days after the conference (R10.2).")) }
            li { (lang.t("Trả lời bằng văn bản: trong 30 ngày làm việc kể từ khi cơ quan nhận thông báo (R10.3).", "Written responses: within 30 working days of the agency receiving the notice (R10.3).")) }
            li { (lang.t("Đối thoại định kỳ: mỗi người đứng đầu ít nhất một lần trong năm (R6.2, R6.3).", "Periodic dialogue: each head at least once a year (R6.2, R6.3).")) }
        }
        (definition_of_rate(lang))
        p { a href={ "/units/" (unit.code) } { (lang.t("Các hội nghị của đơn vị", "The unit's conferences")) } }
    };
    Ok(layout::page(lang, lang.t("Số liệu", "Figures"), viewer.as_ref(), body).into_response())
}
