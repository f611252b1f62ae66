//! `/work/conferences/{id}/notice`: after the conference, the office
//! composes the head's conclusion notice (R10.2): every petition not answered
//! at the conference assigned once to the agency that must answer it, with a
//! live count of what is still missing; then issues it, prints it, and
//! follows each agency's deadline (R10.3).

use axum::{extract::Path, response::IntoResponse};
use doithoai_proto::{
    common::v1::Field,
    deadlines::v1::{ListObligationsRequest, ObligationKind},
    minutes::v1::{Classification, PetitionStatus},
};
use maud::{Markup, html};

use super::{
    Worker,
    forms::{Filled, FormView},
    home::obligation_table,
    prepare::heading,
    reads,
};
use crate::{
    State,
    i18n::{Lang, name_of},
    layout,
    problem::PageResult,
    session::Viewer,
};

/// The page, with a refused notice as it was composed.
pub async fn render(web: &State, lang: Lang, viewer: &Viewer, id: &str, filled: Option<&Filled>) -> PageResult<Markup> {
    let c = reads::conference(web, lang, viewer, id).await?;
    let minutes = reads::minutes(web, lang, viewer, id).await?.unwrap_or_default();
    let organizations = reads::organizations(web, lang, viewer, &c.unit_code).await?;
    let request =
        ListObligationsRequest { unit_code: c.unit_code.clone(), conference_id: c.id.clone(), ..Default::default() };
    let obligations = reads::obligations(web, lang, viewer, request).await?;
    let notice_due = obligations.iter().find(|o| o.kind == ObligationKind::ConclusionNotice as i32);
    let unanswered: Vec<_> = minutes.petitions.iter().filter(|p| p.status == PetitionStatus::Recorded as i32).collect();
    let agencies = reads::organization_choices(&organizations);
    // The service names a petition left out by its id: the office knows it by its receipt code,
    // and sees the refusal beside that petition's choice.
    let named = filled.map(|f| {
        let mut message = f.refused.message.clone();
        for p in &minutes.petitions {
            message = message.replace(&p.id, &p.receipt_code);
        }
        let refused = crate::problem::Refused { message, ..f.refused.clone() };
        Filled { form: f.form.clone(), values: f.values.clone(), refused }
    });
    let left_out = filled
        .and_then(|f| unanswered.iter().find(|p| f.refused.message.contains(&p.id)))
        .map_or_else(|| "number".to_owned(), |p| format!("assign.{}", p.id));
    let f = FormView::new(lang, "notice", named.as_ref()).pinned(&left_out);
    let today = web.clock.today().to_string();
    let body = html! {
        (heading(lang, &c, "notice"))
        h2 { (lang.t("Thông báo kết luận (R10.2)", "Conclusion notice (R10.2)")) }
        @if let Some(due) = notice_due {
            p.notice { (lang.t("Văn phòng gửi thông báo kết luận chậm nhất ngày ", "The office sends the conclusion notice by ")) strong { (lang.iso_date(&due.due_date)) } (lang.t(" (10 ngày làm việc sau hội nghị).", " (10 working days after the conference).")) }
        }
        @match &minutes.notice {
            Some(notice) => {
                section aria-labelledby="issued" {
                    h3 id="issued" { (lang.t("Đã ban hành thông báo số ", "Notice issued, number ")) (notice.number) }
                    dl.facts {
                        dt { (lang.t("Ngày gửi", "Sent on")) } dd { (lang.iso_date(&notice.sent_on)) }
                        dt { (lang.t("Người ký", "Signed by")) } dd { (notice.signer) }
                    }
                    p { a.button href={ "/conferences/" (c.id) "/notice.pdf" } { (lang.t("In thông báo (PDF)", "Print the notice (PDF)")) } }
                    div.table-wrap { table {
                        thead { tr {
                            th scope="col" { (lang.t("Kiến nghị", "Petition")) }
                            th scope="col" { (lang.t("Cơ quan giải quyết", "Agency")) }
                            th scope="col" { (lang.t("Ngày nhận thông báo", "Received on")) }
                        } }
                        tbody { @for a in &notice.assignments {
                            tr {
                                td { (minutes.petitions.iter().find(|p| p.id == a.petition_id).map(|p| p.text.as_str()).unwrap_or_default()) }
                                td { (reads::organization_name(&organizations, &a.organization_id)) }
                                td { @if a.received_on.is_empty() { span.muted { (lang.t("Chưa xác nhận", "Not acknowledged")) } } @else { (lang.iso_date(&a.received_on)) } }
                            }
                        } }
                    } }
                }
            }
            None => {
                form.stack method="post" action={ "/work/conferences/" (c.id) "/do/notice" } novalidate {
                    (f.alert())
                    (f.hidden(viewer, "notice"))
                    p { (lang.t("Mỗi kiến nghị chưa được trả lời tại hội nghị phải được giao một cơ quan giải quyết.", "Every petition not answered at the conference is assigned to one agency.")) }
                    div.table-wrap { table {
                        thead { tr {
                            th scope="col" { (lang.t("Mã", "Code")) }
                            th scope="col" { (lang.t("Kiến nghị", "Petition")) }
                            th scope="col" { (lang.t("Cơ quan giải quyết", "Agency")) }
                        } }
                        tbody { @for p in &unanswered {
                            @let field = format!("assign.{}", p.id);
                            tr {
                                td { code { (p.receipt_code) } }
                                td { (p.text) br; span.muted { (name_of::<Classification>(p.classification, lang)) " · " (name_of::<Field>(p.field, lang)) } }
                                td.assign { (f.select(&field, &format!("{} {}", lang.t("Cơ quan giải quyết kiến nghị", "Agency for petition"), p.receipt_code), &agencies, "", None, true)) }
                            }
                        } }
                    } }
                    p.error id="notice-missing" aria-live="polite"
                        data-one=(lang.t("Còn {n} kiến nghị chưa giao cơ quan giải quyết (R10.2).", "{n} petition(s) not yet assigned (R10.2)."))
                        data-none=(lang.t("", "")) {}
                    (f.input("number", lang.t("Số thông báo", "Number"), "text", "", None, true))
                    (f.input("sent_on", lang.t("Ngày gửi", "Sent on"), "date", &today, None, true))
                    (f.input("signer", lang.t("Người ký", "Signed by"), "text", "", None, true))
                    button.primary type="submit" { (lang.t("Ban hành thông báo kết luận", "Issue the conclusion notice")) }
                }
            }
        }
        section aria-labelledby="deadlines" {
            h2 id="deadlines" { (lang.t("Theo dõi thời hạn trả lời (R10.3)", "Following the answers' deadlines (R10.3)")) }
            @if obligations.is_empty() { p { (lang.t("Chưa có thời hạn nào.", "No deadlines yet.")) } }
            @else { (obligation_table(lang, &obligations)) }
        }
    };
    Ok(layout::page(lang, &c.theme, Some(viewer), html! { (body) script src="/assets/work.js" defer {} }))
}

/// `GET /work/conferences/{id}/notice`.
pub async fn page(web: super::super::Web, Worker(viewer, lang): Worker, Path(id): Path<String>) -> PageResult {
    Ok(render(&web, lang, &viewer, &id, None).await?.into_response())
}
