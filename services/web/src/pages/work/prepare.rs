//! `/work/conferences/{id}`: a conference as the office prepares it. The
//! agenda drawn from the Front's summary and the agencies' reports, each
//! matter with its urgency and who prepares the answer (R7.2); the secretary
//! (R8.1); the host's deputy, with the reason (R2.2); the agency leaders
//! invited, with their answers (R7.4); the public notice, with the last day
//! it may run (R7.3); participants registered in person or by letter; and
//! the deadlines it set.

use chrono::Duration;
use doithoai_proto::{
    common::v1::Field,
    deadlines::v1::{ListObligationsRequest, ObligationKind},
    participants::v1::InvitationStatus,
    scheduling::v1::{Conference, ConferenceState, Rank, Urgency},
};
use doithoai_runtime::time::{instant, local_date};
use maud::{Markup, html};

use super::{
    Worker,
    forms::{Filled, FormView, button},
    home::obligation_table,
    reads,
};
use crate::{
    State,
    i18n::{Lang, Named, name_of},
    layout,
    problem::PageResult,
    session::Viewer,
};

pub fn conference_state(c: &Conference) -> ConferenceState {
    ConferenceState::try_from(c.state).unwrap_or_default()
}

/// The header every page of a conference's workspace shares: what and when,
/// and the way to its other pages.
pub fn heading(lang: Lang, c: &Conference, here: &str) -> Markup {
    let state = conference_state(c);
    let started = !matches!(state, ConferenceState::Draft | ConferenceState::Postponed | ConferenceState::Cancelled);
    let pages = [
        ("prepare", format!("/work/conferences/{}", c.id), lang.t("Chuẩn bị", "Preparation"), true),
        (
            "live",
            format!("/work/conferences/{}/live", c.id),
            lang.t("Diễn biến hội nghị", "During the conference"),
            started,
        ),
        (
            "notice",
            format!("/work/conferences/{}/notice", c.id),
            lang.t("Thông báo kết luận", "Conclusion notice"),
            state == ConferenceState::Ended,
        ),
    ];
    html! {
        p.crumbs { a href="/work/conferences" { (lang.t("Hội nghị của đơn vị", "The unit's conferences")) } }
        h1 { (c.theme) }
        p {
            span.tag { (state.name(lang)) } " "
            (c.starts_at.as_ref().and_then(instant).map(|at| lang.date_time(at)).unwrap_or_default())
            " · " (c.venue_address)
        }
        nav.tabs aria-label=(lang.t("Các phần của hội nghị", "Parts of the conference")) { ul {
            @for (name, href, label, shown) in pages {
                @if shown {
                    li { a href=(href) aria-current=[(name == here).then_some("page")] { (label) } }
                }
            }
            @if crate::pages::public(c) { li { a href={ "/conferences/" (c.id) } { (lang.t("Trang công khai", "Public page")) } } }
        } }
    }
}

const URGENCIES: [Urgency; 2] = [Urgency::Urgent, Urgency::Normal];

fn urgency_name(lang: Lang, urgency: i32) -> &'static str {
    match Urgency::try_from(urgency).unwrap_or_default() {
        Urgency::Urgent => lang.t("Khẩn", "Urgent"),
        Urgency::Normal => lang.t("Thường", "Normal"),
        Urgency::Unspecified => "—",
    }
}

fn invitation_status(lang: Lang, status: i32) -> &'static str {
    match InvitationStatus::try_from(status).unwrap_or_default() {
        InvitationStatus::Sent => lang.t("Đã gửi giấy mời", "Invitation sent"),
        InvitationStatus::Accepted => lang.t("Nhận lời", "Accepted"),
        InvitationStatus::Declined => lang.t("Từ chối", "Declined"),
        InvitationStatus::Attended => lang.t("Đã có mặt", "Attended"),
        InvitationStatus::Unspecified => "—",
    }
}

pub fn field_choices(lang: Lang) -> Vec<(String, String)> {
    crate::pages::register::FIELDS.iter().map(|f| (f.as_str_name().to_owned(), f.name(lang).to_owned())).collect()
}

/// The page, with a refused form as it was typed.
pub async fn render(web: &State, lang: Lang, viewer: &Viewer, id: &str, filled: Option<&Filled>) -> PageResult<Markup> {
    let c = reads::conference(web, lang, viewer, id).await?;
    let state = conference_state(&c);
    let editable = matches!(state, ConferenceState::Draft | ConferenceState::Postponed);
    let organizations = reads::organizations(web, lang, viewer, &c.unit_code).await?;
    let posts = reads::positions(web, lang, viewer, &c.unit_code).await?;
    let invitations = reads::invitations(web, lang, viewer, id).await?;
    let request =
        ListObligationsRequest { unit_code: c.unit_code.clone(), conference_id: c.id.clone(), ..Default::default() };
    let mut obligations = reads::obligations(web, lang, viewer, request).await?;
    obligations.retain(|o| o.kind != ObligationKind::PeriodicDialogue as i32 || o.conference_id == c.id);
    let post_name = |id: &str| posts.iter().find(|p| p.id == id).map(reads::position_name).unwrap_or_default();
    let deputies: Vec<(String, String)> = posts
        .iter()
        .filter(|p| {
            p.unit_code == c.unit_code && p.body == c.body && p.rank == Rank::Deputy as i32 && p.term_end.is_empty()
        })
        .map(|p| (p.id.clone(), reads::position_name(p)))
        .collect();
    let starts = c.starts_at.as_ref().and_then(instant).map(local_date);
    // R7.3: the notice runs at least 7 days before the conference.
    let latest = starts.map(|d| d - Duration::days(7));
    let today = web.clock.today();
    let agencies = reads::organization_choices(&organizations);
    let urgencies: Vec<(String, String)> =
        URGENCIES.iter().map(|u| (u.as_str_name().to_owned(), urgency_name(lang, *u as i32).to_owned())).collect();
    let agenda = FormView::new(lang, "agenda", filled);
    let secretary = FormView::new(lang, "secretary", filled);
    let delegate = FormView::new(lang, "delegate", filled);
    let invite = FormView::new(lang, "invite", filled);
    let announce = FormView::new(lang, "announce", filled).pinned("publication_date");
    let register = FormView::new(lang, "register", filled);
    let cancel = FormView::new(lang, "cancel", filled).pinned("reason");
    let edit = FormView::new(lang, "edit", filled).pinned("date");
    let start_time = c
        .starts_at
        .as_ref()
        .and_then(instant)
        .map(|at| at.with_timezone(&doithoai_runtime::time::ZONE).format("%H:%M").to_string())
        .unwrap_or_default();
    let action = format!("/work/conferences/{id}/do/");
    let units: Vec<(String, String)> =
        crate::pages::register::unit_choices(web, c.unit_path.first().map_or(&c.unit_code, |u| u))
            .await
            .into_iter()
            .flat_map(|(_, options)| options)
            .collect();
    let body = html! {
        (heading(lang, &c, "prepare"))
        dl.facts {
            dt { (lang.t("Người chủ trì", "Host")) } dd { (post_name(&c.host_position_id)) }
            @if let Some(d) = &c.delegation {
                dt { (lang.t("Ủy quyền chủ trì (R2.2)", "Delegated (R2.2)")) } dd { (post_name(&d.deputy_position_id)) " — " (d.reason) }
            }
            dt { (lang.t("Thư ký (R8.1)", "Secretary (R8.1)")) } dd { @if c.secretary_subject.is_empty() { (lang.t("Chưa phân công", "Not assigned")) } @else { (c.secretary_name) " (" (c.secretary_subject) ")" } }
            @if !c.coordinating_unit_codes.is_empty() {
                dt { (lang.t("Đơn vị phối hợp (R4.2)", "Coordinating units (R4.2)")) } dd { (c.coordinating_unit_codes.join(", ")) }
            }
            @if let Some(n) = &c.notice {
                dt { (lang.t("Thông báo công khai (R7.3)", "Public notice (R7.3)")) } dd { (n.media_channel) ", " (lang.iso_date(&n.publication_date)) }
            }
            @if !c.state_reason.is_empty() { dt { (lang.t("Lý do", "Reason")) } dd { (c.state_reason) } }
        }

        @if editable {
            details open[edit.error("theme").is_some() || filled.is_some_and(|f| f.form == "edit")] {
                summary id="details" { (lang.t("Sửa thời gian, địa điểm, chủ đề", "Change the time, place or theme")) }
                form.stack method="post" action={ (action) "edit" } novalidate {
                    (edit.alert())
                    (edit.hidden(viewer, "prepare"))
                    (edit.input("theme", lang.t("Chủ đề", "Theme"), "text", &c.theme, None, true))
                    (edit.input("venue_address", lang.t("Địa điểm", "Address"), "text", &c.venue_address, None, true))
                    (edit.input("date", lang.t("Ngày tổ chức", "Date"), "date", &starts.map(|d| d.to_string()).unwrap_or_default(), None, true))
                    (edit.input("time", lang.t("Giờ bắt đầu", "Start time"), "time", &start_time, None, true))
                    (edit.input("planned_minutes", lang.t("Thời lượng dự kiến (phút, tối đa 240 — R8.1)", "Planned length (minutes, at most 240 — R8.1)"), "number", &c.planned_minutes.to_string(), None, true))
                    button.primary type="submit" { (lang.t("Lưu", "Save")) }
                }
            }
        }

        section aria-labelledby="agenda" {
            h2 id="agenda" { (lang.t("Nội dung đối thoại (R7.2)", "Agenda (R7.2)")) }
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { (lang.t("Vấn đề", "Matter")) }
                    th scope="col" { (lang.t("Nguồn", "Source")) }
                    th scope="col" { (lang.t("Mức độ", "Urgency")) }
                    th scope="col" { (lang.t("Cơ quan chuẩn bị", "Prepared by")) }
                    @if editable { th scope="col" { span.sr-only { (lang.t("Thao tác", "Actions")) } } }
                } }
                tbody { @for (i, item) in c.agenda.iter().enumerate() {
                    tr {
                        td { (item.title) br; span.muted { (name_of::<Field>(item.field, lang)) } }
                        td { (item.source) }
                        td { (urgency_name(lang, item.urgency)) }
                        td { (reads::organization_name(&organizations, &item.preparing_organization_id)) @if !item.preparing_official.is_empty() { br; (item.preparing_official) } }
                        @if editable { td { (button(viewer, &format!("{action}agenda-remove"), "prepare", lang.t("Bỏ", "Remove"), &[("index", &i.to_string())])) } }
                    }
                } }
            } }
            @if editable {
                form.stack method="post" action={ (action) "agenda" } novalidate {
                    (agenda.alert())
                    (agenda.hidden(viewer, "prepare"))
                    (agenda.input("title", lang.t("Vấn đề", "Matter"), "text", "", None, true))
                    (agenda.select("field", lang.t("Lĩnh vực (R5.1)", "Field (R5.1)"), &field_choices(lang), "", None, true))
                    (agenda.input("source", lang.t("Nguồn tổng hợp", "Drawn from"), "text", lang.t("Tổng hợp ý kiến của MTTQ", "The Front's summary"), None, false))
                    (agenda.select("urgency", lang.t("Mức độ cấp bách", "Urgency"), &urgencies, Urgency::Normal.as_str_name(), None, true))
                    (agenda.select("preparing_organization_id", lang.t("Cơ quan chuẩn bị trả lời", "Agency preparing the answer"), &agencies, "", None, false))
                    (agenda.input("preparing_official", lang.t("Cán bộ chuẩn bị", "Official preparing it"), "text", "", None, false))
                    button.primary type="submit" { (lang.t("Thêm vào nội dung", "Add to the agenda")) }
                }
            }
        }

        @if editable || state == ConferenceState::Announced {
            section aria-labelledby="secretary" {
                h2 id="secretary" { (lang.t("Phân công thư ký (R8.1)", "Assign the secretary (R8.1)")) }
                form.stack method="post" action={ (action) "secretary" } novalidate {
                    (secretary.alert())
                    (secretary.hidden(viewer, "prepare"))
                    (secretary.input("secretary_subject", lang.t("Tên đăng nhập của thư ký", "The secretary's login"), "text", &c.secretary_subject, None, true))
                    (secretary.input("secretary_name", lang.t("Họ và tên thư ký", "The secretary's name"), "text", &c.secretary_name, None, true))
                    button.primary type="submit" { (lang.t("Phân công", "Assign")) }
                }
            }
            section aria-labelledby="host" {
                h2 id="host" { (lang.t("Ủy quyền chủ trì (R2.2)", "Delegate hosting (R2.2)")) }
                p.muted { (lang.t("Chỉ khi có lý do bất khả kháng; người đứng đầu vẫn chịu trách nhiệm.", "Only for force majeure; the head stays accountable.")) }
                form.stack method="post" action={ (action) "delegate" } novalidate {
                    (delegate.alert())
                    (delegate.hidden(viewer, "prepare"))
                    (delegate.select("deputy_position_id", lang.t("Cấp phó được ủy quyền", "The deputy"), &deputies, "", None, true))
                    (delegate.input("reason", lang.t("Lý do", "Reason"), "text", "", None, true))
                    button.primary type="submit" { (lang.t("Ủy quyền", "Delegate")) }
                }
            }
        }

        section aria-labelledby="invitations" {
            h2 id="invitations" { (lang.t("Mời lãnh đạo cơ quan (R7.4)", "Agency leaders invited (R7.4)")) }
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { (lang.t("Cơ quan", "Agency")) }
                    th scope="col" { (lang.t("Người được mời", "Invitee")) }
                    th scope="col" { (lang.t("Trả lời", "Answer")) }
                    th scope="col" { span.sr-only { (lang.t("Thao tác", "Actions")) } }
                } }
                tbody { @for i in &invitations {
                    tr {
                        td { (reads::organization_name(&organizations, &i.organization_id)) }
                        td { (i.invitee_name) ", " (i.invitee_title) br; a href={ "/work/invitations/" (i.id) "/letter.pdf" } { (lang.t("Giấy mời (PDF)", "Invitation (PDF)")) span.sr-only { " " (i.invitee_name) } } }
                        td { (invitation_status(lang, i.status)) }
                        td { @if i.status == InvitationStatus::Sent as i32 {
                            (button(viewer, &format!("{action}rsvp"), "prepare", lang.t("Nhận lời", "Accepted"), &[("invitation_id", &i.id), ("status", InvitationStatus::Accepted.as_str_name())]))
                            " "
                            (button(viewer, &format!("{action}rsvp"), "prepare", lang.t("Từ chối", "Declined"), &[("invitation_id", &i.id), ("status", InvitationStatus::Declined.as_str_name())]))
                        } }
                    }
                } }
            } }
            @if editable {
                p.muted { (lang.t("Giấy mời được gửi sau khi hội nghị đã thông báo công khai.", "Invitations go out once the conference is announced.")) }
            }
            @if matches!(state, ConferenceState::Announced | ConferenceState::InProgress) {
                form.stack method="post" action={ (action) "invite" } novalidate {
                    (invite.alert())
                    (invite.hidden(viewer, "prepare"))
                    (invite.select("organization_id", lang.t("Cơ quan được mời", "Agency"), &agencies, "", None, true))
                    (invite.input("invitee_name", lang.t("Họ và tên người được mời", "Invitee's name"), "text", "", None, true))
                    (invite.input("invitee_title", lang.t("Chức vụ", "Title"), "text", "", None, true))
                    button.primary type="submit" { (lang.t("Gửi giấy mời", "Send the invitation")) }
                }
            }
        }

        @if editable {
            section aria-labelledby="announce" {
                h2 id="announce" { (lang.t("Thông báo công khai (R7.3)", "Public notice (R7.3)")) }
                @if let Some(latest) = latest {
                    p.notice id="announce-latest" { (lang.t("Thông báo phải được đăng chậm nhất ngày ", "The notice must be published by ")) strong { (lang.date(latest)) } (lang.t(", ít nhất 7 ngày trước hội nghị.", ", at least 7 days before the conference.")) }
                }
                form.stack method="post" action={ (action) "announce" } novalidate {
                    (announce.alert())
                    (announce.hidden(viewer, "prepare"))
                    (announce.input("media_channel", lang.t("Phương tiện thông tin đại chúng", "Mass media"), "text", lang.t("Báo Hưng Yên, Đài Phát thanh và Truyền hình tỉnh", "Báo Hưng Yên, the provincial radio and television"), None, true))
                    label for="announce-publication_date" { (lang.t("Ngày đăng thông báo", "Publication date")) }
                    @if let Some(error) = announce.error("publication_date") { p.error id="announce-publication_date-error" { (error) } }
                    input id="announce-publication_date" name="publication_date" type="date" required
                        value=(announce.value("publication_date", &today.to_string()))
                        data-latest=[latest.map(|d| d.to_string())]
                        aria-invalid=[announce.error("publication_date").map(|_| "true")]
                        aria-describedby="announce-latest announce-check";
                    p.error id="announce-check" aria-live="polite" data-message=(lang.t("Ngày này chưa đủ 7 ngày trước hội nghị (R7.3).", "This day is less than 7 days before the conference (R7.3).")) {}
                    button.primary type="submit" { (lang.t("Thông báo hội nghị", "Announce the conference")) }
                }
            }
        }

        @if state == ConferenceState::Announced {
            section aria-labelledby="register" {
                h2 id="register" { (lang.t("Đăng ký người tham dự đến trực tiếp hoặc gửi thư", "Register a participant who came in person or wrote in")) }
                form.stack method="post" action={ (action) "register" } novalidate {
                    (register.alert())
                    (register.hidden(viewer, "prepare"))
                    input type="hidden" name="speaker_request_id" value=({ let v = register.value("speaker_request_id", ""); if v.is_empty() { uuid::Uuid::new_v4().to_string() } else { v } });
                    (register.input("full_name", lang.t("Họ và tên", "Full name"), "text", "", None, true))
                    (register.select("unit_code", lang.t("Nơi cư trú hoặc làm việc (R2.3)", "Where they live or work (R2.3)"), &units, "", None, true))
                    (register.input("phone", lang.t("Số điện thoại", "Phone"), "tel", "", None, false))
                    (register.textarea("topic", lang.t("Nội dung đăng ký phát biểu", "What they will speak on"), "", false))
                    (register.select("field", lang.t("Lĩnh vực (R5.1)", "Field (R5.1)"), &field_choices(lang), "", None, false))
                    button.primary type="submit" { (lang.t("Đăng ký", "Register")) }
                }
            }
        }

        @if matches!(state, ConferenceState::Draft | ConferenceState::Announced | ConferenceState::Postponed) {
            section aria-labelledby="state" {
                h2 id="state" { (lang.t("Hoãn hoặc hủy hội nghị", "Postpone or cancel")) }
                form.stack method="post" action={ (action) "cancel" } novalidate {
                    (cancel.alert())
                    (cancel.hidden(viewer, "prepare"))
                    (cancel.select("what", lang.t("Việc cần làm", "What to do"), &[("postpone".into(), lang.t("Hoãn (cần thông báo lại, R7.3)", "Postpone (needs a new notice, R7.3)").into()), ("cancel".into(), lang.t("Hủy", "Cancel").into())], "", None, true))
                    (cancel.input("reason", lang.t("Lý do", "Reason"), "text", "", None, true))
                    button.primary type="submit" { (lang.t("Xác nhận", "Confirm")) }
                }
            }
        }

        section aria-labelledby="deadlines" {
            h2 id="deadlines" { (lang.t("Các thời hạn của hội nghị", "The conference's deadlines")) }
            @if obligations.is_empty() { p { (lang.t("Chưa có thời hạn nào.", "No deadlines yet.")) } }
            @else { (obligation_table(lang, &obligations)) }
        }
    };
    Ok(layout::page(lang, &c.theme, Some(viewer), html! { (body) script src="/assets/work.js" defer {} }))
}

/// `GET /work/conferences/{id}`.
pub async fn page(
    web: super::super::Web,
    Worker(viewer, lang): Worker,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> PageResult {
    use axum::response::IntoResponse;
    Ok(render(&web, lang, &viewer, &id, None).await?.into_response())
}
