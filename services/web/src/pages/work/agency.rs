//! The agency's inbox of assigned petitions (overdue first, then due soon),
//! and a petition's page: the notice's receipt acknowledged, the written
//! response recorded with the signed document as a PDF (R10.3), and, for the
//! office, a matter beyond the unit's authority proposed to a higher level
//! with the day the petitioner was told (R10.4).

use std::collections::HashMap;

use axum::{
    Form,
    extract::{Multipart, Path},
    http::StatusCode,
    response::IntoResponse,
};
use doithoai_proto::{
    common::v1::Field,
    deadlines::v1::{ListObligationsRequest, ObligationKind},
    minutes::v1::{
        AcknowledgeNoticeRequest, Classification, EscalatePetitionRequest, Outcome, Petition, PetitionRequest,
        PetitionStatus, RecordResponseRequest, Response as Written,
    },
};
use doithoai_runtime::Role;
use futures::future::join_all;
use maud::html;

use super::{
    Worker,
    actions::{Stop, Values, check_csrf, invalid, settle},
    forms::{Filled, FormView},
    home::{obligation_table, state_class},
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

/// The largest document the minutes service keeps with a response.
const MAX_ATTACHMENT: usize = 3 * 1024 * 1024;

async fn petition_of(web: &State, lang: Lang, viewer: &Viewer, id: &str) -> PageResult<Petition> {
    crate::pages::plausible_id(id, lang)?;
    let request = PetitionRequest { petition_id: id.to_owned() };
    web.backends.minutes().get_petition(ask(request, &viewer.token)).await.or_problem(lang)
}

/// `GET /work/inbox`.
pub async fn inbox(web: super::super::Web, Worker(viewer, lang): Worker) -> PageResult {
    let organization = viewer.organization.clone().unwrap_or_default();
    let request = ListObligationsRequest {
        unit_code: viewer.unit.clone(),
        organization_id: organization,
        kind: ObligationKind::AgencyResponse as i32,
        ..Default::default()
    };
    let mut owed = reads::obligations(&web, lang, &viewer, request).await?;
    owed.retain(reads::owed);
    reads::by_urgency(&mut owed);
    let petitions = join_all(owed.iter().map(|o| petition_of(&web, lang, &viewer, &o.petition_id))).await;
    let body = html! {
        p.crumbs { a href="/work" { (lang.t("Việc của tôi", "My work")) } }
        h1 { (lang.t("Kiến nghị được giao", "Assigned petitions")) }
        p.muted { (lang.t("Trả lời bằng văn bản trong 30 ngày làm việc kể từ khi nhận thông báo kết luận (R10.3). Quá hạn xếp trước, rồi sắp đến hạn.", "Answer in writing within 30 working days of receiving the conclusion notice (R10.3). Overdue first, then due soon.")) }
        @if owed.is_empty() { p { (lang.t("Không có kiến nghị nào đang chờ trả lời.", "No petition is waiting for an answer.")) } }
        @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { (lang.t("Hạn", "Due")) }
                    th scope="col" { (lang.t("Tình trạng", "State")) }
                    th scope="col" { (lang.t("Kiến nghị", "Petition")) }
                } }
                tbody { @for (o, p) in owed.iter().zip(&petitions) {
                    tr {
                        td { (lang.iso_date(&o.due_date)) }
                        td { span.tag.(state_class(o)) { (reads::state(o).name(lang)) } }
                        td { a href={ "/work/petitions/" (o.petition_id) } { @match p { Ok(p) => { (p.text) }, Err(_) => { (o.petition_id) } } } }
                    }
                } }
            } }
        }
    };
    Ok(layout::page(lang, lang.t("Kiến nghị được giao", "Assigned petitions"), Some(&viewer), body).into_response())
}

const OUTCOMES: [Outcome; 4] = [Outcome::Resolved, Outcome::PartlyResolved, Outcome::Explained, Outcome::NotAccepted];

async fn render(web: &State, lang: Lang, viewer: &Viewer, id: &str, filled: Option<&Filled>) -> PageResult {
    let p = petition_of(web, lang, viewer, id).await?;
    let c = reads::conference(web, lang, viewer, &p.conference_id).await?;
    let minutes = reads::minutes(web, lang, viewer, &p.conference_id).await?.unwrap_or_default();
    let request =
        ListObligationsRequest { unit_code: viewer.unit.clone(), petition_id: p.id.clone(), ..Default::default() };
    let obligations = reads::obligations(web, lang, viewer, request).await?;
    let mine = viewer.organization.as_deref().unwrap_or_default();
    let agency = viewer.roles.contains(&Role::Agency);
    let unacknowledged = minutes.notice.as_ref().filter(|n| {
        agency
            && n.assignments
                .iter()
                .any(|a| a.petition_id == p.id && a.organization_id == mine && a.received_on.is_empty())
    });
    let status = PetitionStatus::try_from(p.status).unwrap_or_default();
    let today = web.clock.today().to_string();
    let acknowledge = FormView::new(lang, "acknowledge", filled).pinned("received_on");
    let respond = FormView::new(lang, "respond", filled).pinned("document_number");
    let escalate = FormView::new(lang, "escalate", filled).pinned("to_unit_code");
    let outcomes: Vec<(String, String)> =
        OUTCOMES.iter().map(|o| (o.as_str_name().to_owned(), o.name(lang).to_owned())).collect();
    let higher: Vec<(String, String)> = p
        .unit_code
        .is_empty()
        .then(Vec::new)
        .unwrap_or_else(|| c.unit_path.iter().rev().skip(1).map(|u| (u.clone(), u.clone())).collect());
    let body = html! {
        p.crumbs { a href=(if agency { "/work/inbox" } else { "/work" }) { (if agency { lang.t("Kiến nghị được giao", "Assigned petitions") } else { lang.t("Việc của tôi", "My work") }) } }
        h1 { (lang.t("Kiến nghị ", "Petition ")) code { (p.receipt_code) } }
        dl.facts {
            dt { (lang.t("Nội dung", "Petition")) } dd { (p.text) }
            dt { (lang.t("Phân loại", "Classification")) } dd { (name_of::<Classification>(p.classification, lang)) " · " (name_of::<Field>(p.field, lang)) }
            dt { (lang.t("Hội nghị", "Conference")) } dd { (c.theme) }
            dt { (lang.t("Tình trạng", "Status")) } dd { (status.name(lang)) }
            @if let Some(r) = &p.response {
                dt { (lang.t("Văn bản trả lời", "Written response")) }
                dd {
                    (lang.t("Số ", "No. ")) (r.document_number) ", " (lang.iso_date(&r.responded_on)) " — " (name_of::<Outcome>(r.outcome, lang)) br; (r.summary)
                    @if !r.attachment_file_name.is_empty() { br; a href={ "/work/petitions/" (p.id) "/response.pdf" } { (r.attachment_file_name) } }
                }
            }
        }
        @if !obligations.is_empty() { (obligation_table(lang, &obligations)) }
        @if let Some(notice) = unacknowledged {
            section aria-labelledby="acknowledge" {
                h2 id="acknowledge" { (lang.t("Xác nhận đã nhận thông báo kết luận", "Acknowledge the conclusion notice")) }
                p.muted { (lang.t("Thời hạn 30 ngày làm việc tính từ ngày nhận (R10.3).", "The 30 working days count from the day it was received (R10.3).")) }
                form.stack method="post" action={ "/work/petitions/" (p.id) "/do/acknowledge" } novalidate {
                    (acknowledge.alert())
                    (acknowledge.hidden(viewer, "petition"))
                    input type="hidden" name="notice_id" value=(notice.id);
                    (acknowledge.input("received_on", lang.t("Ngày nhận", "Received on"), "date", &today, None, true))
                    button.primary type="submit" { (lang.t("Xác nhận đã nhận", "Acknowledge")) }
                }
            }
        }
        @if agency && status == PetitionStatus::Assigned && p.assigned_organization_id == mine {
            section aria-labelledby="respond" {
                h2 id="respond" { (lang.t("Trả lời bằng văn bản (R10.3)", "Answer in writing (R10.3)")) }
                form.stack method="post" action={ "/work/petitions/" (p.id) "/response" } enctype="multipart/form-data" novalidate {
                    (respond.alert())
                    (respond.hidden(viewer, "petition"))
                    (respond.input("document_number", lang.t("Số văn bản", "Document number"), "text", "", None, true))
                    (respond.input("responded_on", lang.t("Ngày văn bản", "Date"), "date", &today, None, true))
                    (respond.select("outcome", lang.t("Kết quả", "Outcome"), &outcomes, "", None, true))
                    (respond.textarea("summary", lang.t("Tóm tắt nội dung trả lời", "Summary of the answer"), "", true))
                    (respond.checkbox("reported_to_heads", lang.t("Đã báo cáo Bí thư, Chủ tịch HĐND và Chủ tịch UBND cùng cấp", "Reported to the Bí thư, the Chủ tịch HĐND and the Chủ tịch UBND of the same tier")))
                    label for="respond-attachment" { (lang.t("Văn bản đã ký (PDF, tối đa 3 MB)", "The signed document (PDF, at most 3 MB)")) " " span.muted { (lang.t("(không bắt buộc)", "(optional)")) } }
                    @if let Some(e) = respond.error("attachment") { p.error id="respond-attachment-error" { (e) } }
                    input id="respond-attachment" name="attachment" type="file" accept="application/pdf";
                    button.primary type="submit" { (lang.t("Ghi văn bản trả lời", "Record the response")) }
                }
            }
        }
        @if viewer.roles.contains(&Role::Office) && matches!(status, PetitionStatus::Assigned | PetitionStatus::Recorded) {
            section aria-labelledby="escalate" {
                h2 id="escalate" { (lang.t("Đề xuất lên cấp có thẩm quyền (R10.4)", "Propose to the competent level (R10.4)")) }
                form.stack method="post" action={ "/work/petitions/" (p.id) "/do/escalate" } novalidate {
                    (escalate.alert())
                    (escalate.hidden(viewer, "petition"))
                    (escalate.select("to_unit_code", lang.t("Cấp tiếp nhận", "Receiving level"), &higher, "", None, true))
                    (escalate.input("petitioner_notified_on", lang.t("Ngày đã báo người kiến nghị", "Day the petitioner was told"), "date", &today, None, true))
                    button.primary type="submit" { (lang.t("Đề xuất lên cấp trên", "Escalate")) }
                }
            }
        }
    };
    let code = if filled.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((code, layout::page(lang, lang.t("Kiến nghị", "Petition"), Some(viewer), body)).into_response())
}

/// `GET /work/petitions/{id}`.
pub async fn petition(web: super::super::Web, Worker(viewer, lang): Worker, Path(id): Path<String>) -> PageResult {
    render(&web, lang, &viewer, &id, None).await
}

/// `GET /work/petitions/{id}/response.pdf`: the agency's signed response.
pub async fn document(web: super::super::Web, Worker(viewer, lang): Worker, Path(id): Path<String>) -> PageResult {
    crate::pages::plausible_id(&id, lang)?;
    let request = PetitionRequest { petition_id: id };
    let document = web.backends.minutes().get_response_document(ask(request, &viewer.token)).await.or_problem(lang)?;
    Ok(crate::pages::pdf(&document.file_name, document.content))
}

/// `POST /work/petitions/{id}/do/{action}`: acknowledge, escalate.
pub async fn act(
    web: super::super::Web,
    Worker(viewer, lang): Worker,
    Path((id, action)): Path<(String, String)>,
    Form(values): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&viewer, &values, lang)?;
    crate::pages::plausible_id(&id, lang)?;
    let form = Values(values);
    let fail = |status| Stop::of(status, lang);
    let mut minutes = web.backends.minutes();
    let done = match action.as_str() {
        "acknowledge" => {
            let request = AcknowledgeNoticeRequest {
                notice_id: form.get("notice_id"),
                organization_id: viewer.organization.clone().unwrap_or_default(),
                received_on: form.get("received_on"),
                request_id: form.get("request_id"),
            };
            minutes.acknowledge_notice(ask(request, &viewer.token)).await.map(|_| ()).map_err(fail)
        }
        "escalate" => {
            let request = EscalatePetitionRequest {
                petition_id: id.clone(),
                to_unit_code: form.get("to_unit_code"),
                to_organization_id: String::new(),
                petitioner_notified_on: form.get("petitioner_notified_on"),
                request_id: form.get("request_id"),
            };
            minutes.escalate_petition(ask(request, &viewer.token)).await.map(|_| ()).map_err(fail)
        }
        _ => return Err(Failed(Problem::NotFound, lang)),
    };
    let to = done.map(|()| format!("/work/petitions/{id}"));
    settle(to, &action, form.0, async |filled| render(&web, lang, &viewer, &id, Some(&filled)).await).await
}

/// The response form's fields, and its document when one was attached.
async fn read_response(mut multipart: Multipart, lang: Lang) -> Result<(Values, Option<(String, Vec<u8>)>), Stop> {
    let mut values = HashMap::new();
    let mut attachment = None;
    let too_big = || invalid(lang, "attachment", "Tệp quá lớn (tối đa 3 MB).", "The file is too big (at most 3 MB).");
    while let Some(field) = multipart.next_field().await.map_err(|_| too_big())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachment" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|_| too_big())?;
            if bytes.len() > MAX_ATTACHMENT {
                return Err(too_big());
            }
            if !bytes.is_empty() {
                attachment = Some((file_name, bytes.to_vec()));
            }
        } else {
            values.insert(name, field.text().await.unwrap_or_default());
        }
    }
    Ok((Values(values), attachment))
}

/// `POST /work/petitions/{id}/response` (multipart, with the PDF).
pub async fn respond(
    web: super::super::Web,
    Worker(viewer, lang): Worker,
    Path(id): Path<String>,
    multipart: Multipart,
) -> PageResult {
    crate::pages::plausible_id(&id, lang)?;
    let (form, attachment) = match read_response(multipart, lang).await {
        Ok(read) => read,
        Err(stop) => {
            let again = async |filled: Filled| render(&web, lang, &viewer, &id, Some(&filled)).await;
            return settle(Err(stop), "respond", HashMap::new(), again).await;
        }
    };
    check_csrf(&viewer, &form.0, lang)?;
    let (attachment_file_name, attachment) = attachment.unwrap_or_default();
    let request = RecordResponseRequest {
        petition_id: id.clone(),
        response: Some(Written {
            organization_id: viewer.organization.clone().unwrap_or_default(),
            responded_on: form.get("responded_on"),
            document_number: form.get("document_number"),
            outcome: form.named("outcome", Outcome::from_str_name),
            summary: form.get("summary"),
            reported_to_heads: form.get("reported_to_heads") == "on",
            ..Default::default()
        }),
        request_id: form.get("request_id"),
        attachment,
        attachment_file_name,
    };
    let done = web
        .backends
        .minutes()
        .record_response(ask(request, &viewer.token))
        .await
        .map(|_| ())
        .map_err(|s| Stop::of(s, lang));
    let to = done.map(|()| format!("/work/petitions/{id}"));
    settle(to, "respond", form.0, async |filled| render(&web, lang, &viewer, &id, Some(&filled)).await).await
}
