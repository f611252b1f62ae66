//! `/work/conferences/{id}/live`: the conference as it runs, on the
//! secretary's tablet and the host's screen. The clock (4 hours, one
//! extension of at most 1 hour asked by the host, R8.1); check-in; the
//! speakers in registration order (R8.3), called, spoken or absent, the same
//! on every screen that watches (each reloads the queue every few seconds);
//! each petition recorded as it is raised, with its receipt code for the
//! citizen; the host's answers, or an invited agency's official's (R8.4,
//! R9.1); complaints referred (R1.2); refusals on an R2.4 ground (R9.2);
//! the conclusion and both signatures.

use axum::{
    extract::Path,
    http::header,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use doithoai_proto::{
    common::v1::Field,
    minutes::v1::{Classification, Minutes, MinutesState, Petition, PetitionStatus},
    participants::v1::{InvitationStatus, RefusalReason, SpeakerRegistration, SpeakerStatus},
    scheduling::v1::{Conference, ConferenceState},
};
use doithoai_runtime::{Role, time::instant};
use maud::{Markup, html};

use super::{
    Worker,
    forms::{Filled, FormView, button},
    prepare::{conference_state, field_choices, heading},
    reads,
};
use crate::{
    State,
    i18n::{Lang, Named, name_of},
    layout,
    problem::PageResult,
    session::Viewer,
};

/// R8.1: a conference lasts at most 4 hours, and one extension of at most 1.
const MAX_MINUTES: u32 = 240;
const MAX_EXTENSION: u32 = 60;

fn speaker_status(lang: Lang, status: i32) -> &'static str {
    match SpeakerStatus::try_from(status).unwrap_or_default() {
        SpeakerStatus::Queued => lang.t("Chờ phát biểu", "Waiting"),
        SpeakerStatus::Confirmed => lang.t("Đã xác nhận", "Confirmed"),
        SpeakerStatus::Merged => lang.t("Gộp với nội dung khác", "Merged"),
        SpeakerStatus::OutOfScope => lang.t("Ngoài phạm vi", "Out of scope"),
        SpeakerStatus::Called => lang.t("Đang phát biểu", "Speaking"),
        SpeakerStatus::Spoke => lang.t("Đã phát biểu", "Spoke"),
        SpeakerStatus::Absent => lang.t("Vắng mặt", "Absent"),
        SpeakerStatus::Removed => lang.t("Bị từ chối (R2.4)", "Refused (R2.4)"),
        SpeakerStatus::Unspecified => "—",
    }
}

fn refusal_reason(lang: Lang, reason: RefusalReason) -> &'static str {
    match reason {
        RefusalReason::NoCivilCapacity => {
            lang.t("Mất hoặc không có năng lực hành vi dân sự", "Lacks civil act capacity")
        }
        RefusalReason::ProsecutedOrDeprived => {
            lang.t("Đang bị truy cứu hoặc bị tước quyền công dân", "Prosecuted or deprived of civic rights")
        }
        RefusalReason::DisturbingOrder => lang.t("Gây rối trật tự", "Disturbing order"),
        RefusalReason::Intoxicated => lang.t("Say rượu, bia, chất kích thích", "Intoxicated"),
        RefusalReason::Uncooperative => lang.t("Không hợp tác", "Uncooperative"),
        RefusalReason::Unspecified => "—",
    }
}

const REFUSALS: [RefusalReason; 5] = [
    RefusalReason::NoCivilCapacity,
    RefusalReason::ProsecutedOrDeprived,
    RefusalReason::DisturbingOrder,
    RefusalReason::Intoxicated,
    RefusalReason::Uncooperative,
];

const CLASSIFICATIONS: [Classification; 5] = [
    Classification::Petition,
    Classification::Proposal,
    Classification::Feedback,
    Classification::Complaint,
    Classification::Denunciation,
];

/// The secretary's arrangements of a registration still waiting: confirmed,
/// merged into another on the same topic, out of scope (with the reason), or
/// moved (with the reason); R8.3 keeps the order otherwise.
fn arrange(
    lang: Lang,
    viewer: &Viewer,
    action: &str,
    s: &SpeakerRegistration,
    speakers: &[SpeakerRegistration],
    filled: Option<&Filled>,
) -> Markup {
    let others: Vec<(String, String)> = speakers
        .iter()
        .filter(|o| o.id != s.id)
        .map(|o| (o.id.clone(), format!("#{} {}", o.position, o.topic)))
        .collect();
    let merge = FormView::item(lang, "merge", filled, "registration_id", &s.id);
    let scope = FormView::item(lang, "out-of-scope", filled, "registration_id", &s.id).pinned("reason");
    let moved = FormView::item(lang, "move", filled, "registration_id", &s.id).pinned("new_position");
    let refused = ["merge", "out-of-scope", "move"]
        .iter()
        .any(|f| filled.is_some_and(|x| x.form == *f && x.values.get("registration_id") == Some(&s.id)));
    html! {
        details open[refused] {
            summary { (lang.t("Sắp xếp", "Arrange")) span.sr-only { " #" (s.position) } }
            @if s.status == SpeakerStatus::Queued as i32 {
                (button(viewer, &format!("{action}confirm"), "live", lang.t("Xác nhận nội dung", "Confirm the topic"), &[("registration_id", &s.id)]))
            }
            form.stack method="post" action={ (action) "merge" } novalidate {
                (merge.alert()) (merge.hidden(viewer, "live"))
                input type="hidden" name="registration_id" value=(s.id);
                (merge.select("into_registration_id", lang.t("Gộp với nội dung trùng", "Merge into the same topic"), &others, "", None, true))
                button.primary type="submit" { (lang.t("Gộp", "Merge")) }
            }
            form.stack method="post" action={ (action) "out-of-scope" } novalidate {
                (scope.alert()) (scope.hidden(viewer, "live"))
                input type="hidden" name="registration_id" value=(s.id);
                (scope.input("reason", lang.t("Lý do ngoài phạm vi", "Why it is out of scope"), "text", "", None, true))
                button.primary type="submit" { (lang.t("Ngoài phạm vi", "Out of scope")) }
            }
            form.stack method="post" action={ (action) "move" } novalidate {
                (moved.alert()) (moved.hidden(viewer, "live"))
                input type="hidden" name="registration_id" value=(s.id);
                (moved.input("new_position", lang.t("Thứ tự mới", "New place"), "number", "", None, true))
                (moved.input("reason", lang.t("Lý do đổi thứ tự", "Why the order changes"), "text", "", None, true))
                button.primary type="submit" { (lang.t("Đổi thứ tự", "Move")) }
            }
        }
    }
}

/// The speakers' queue, as every screen that watches shows it.
fn queue(
    lang: Lang,
    viewer: &Viewer,
    c: &Conference,
    speakers: &[SpeakerRegistration],
    filled: Option<&Filled>,
) -> Markup {
    let arranges = viewer.roles.iter().any(|r| matches!(r, Role::Secretary | Role::Office));
    let action = format!("/work/conferences/{}/do/", c.id);
    let running = conference_state(c) == ConferenceState::InProgress;
    let speaking = speakers.iter().find(|s| s.status == SpeakerStatus::Called as i32);
    let waiting = |s: &&SpeakerRegistration| {
        matches!(
            SpeakerStatus::try_from(s.status).unwrap_or_default(),
            SpeakerStatus::Queued | SpeakerStatus::Confirmed
        )
    };
    html! {
        p.now role="status" {
            @match speaking {
                Some(s) => { (lang.t("Đang phát biểu: ", "Speaking now: ")) strong { "#" (s.position) " " (s.speaker_name) } }
                None => { (lang.t("Chưa có người phát biểu.", "No one is speaking.")) }
            }
            " · " (lang.t("Còn chờ: ", "Waiting: ")) strong.waiting { (speakers.iter().filter(waiting).count()) }
        }
        @if running && speaking.is_none() && speakers.iter().any(|s| waiting(&s)) {
            (button(viewer, &format!("{action}call"), "live", lang.t("Mời người tiếp theo phát biểu", "Call the next speaker"), &[]))
        }
        div.table-wrap { table.queue {
            caption.muted { (lang.t("Theo thứ tự đăng ký (R8.3)", "In registration order (R8.3)")) }
            thead { tr {
                th scope="col" { "#" }
                th scope="col" { (lang.t("Người phát biểu", "Speaker")) }
                th scope="col" { (lang.t("Nội dung", "Topic")) }
                th scope="col" { (lang.t("Tình trạng", "Status")) }
                th scope="col" { span.sr-only { (lang.t("Thao tác", "Actions")) } }
            } }
            tbody { @for s in speakers {
                tr.called[s.status == SpeakerStatus::Called as i32] {
                    td.n { (s.position) }
                    td { (s.speaker_name) }
                    td { (s.topic) br; span.muted { (name_of::<Field>(s.field, lang)) } }
                    td { (speaker_status(lang, s.status)) }
                    td {
                        @if waiting(&s) {
                            (button(viewer, &format!("{action}checkin"), "live", lang.t("Có mặt", "Checked in"), &[("participant_id", &s.participant_id)]))
                            @if arranges { (arrange(lang, viewer, &action, s, speakers, filled)) }
                        }
                        @if s.status == SpeakerStatus::Called as i32 {
                            (button(viewer, &format!("{action}spoke"), "live", lang.t("Đã phát biểu", "Spoke"), &[("registration_id", &s.id)]))
                            " "
                            (button(viewer, &format!("{action}absent"), "live", lang.t("Vắng mặt", "Absent"), &[("registration_id", &s.id)]))
                        }
                    }
                }
            } }
        } }
    }
}

fn clock(lang: Lang, viewer: &Viewer, c: &Conference, now: DateTime<Utc>, filled: Option<&Filled>) -> Markup {
    let action = format!("/work/conferences/{}/do/", c.id);
    let state = conference_state(c);
    let started = c.started_at.as_ref().and_then(instant);
    let length = c.planned_minutes + c.extension_minutes;
    let ends = started.map(|s| s + chrono::Duration::minutes(i64::from(length)));
    let left = ends.map(|e| (e - now).num_minutes());
    let extend = FormView::new(lang, "extend", filled).pinned("minutes");
    let start = FormView::new(lang, "start", filled);
    let end = FormView::new(lang, "end", filled);
    html! {
        section aria-labelledby="clock" {
            h2 id="clock" { (lang.t("Thời gian hội nghị (R8.1)", "The conference's time (R8.1)")) }
            (start.alert()) (end.alert())
            dl.facts {
                dt { (lang.t("Thời lượng", "Length")) }
                dd { (c.planned_minutes) (lang.t(" phút", " minutes")) @if c.extension_minutes > 0 { " + " (c.extension_minutes) (lang.t(" phút kéo dài", " minutes' extension")) } " " span.muted { (lang.t("(tối đa 4 giờ, kéo dài một lần không quá 1 giờ)", "(at most 4 hours, one extension of at most 1 hour)")) } }
                @if let Some(started) = started { dt { (lang.t("Bắt đầu", "Started")) } dd { (lang.date_time(started)) } }
                @if let (Some(ends), ConferenceState::InProgress) = (ends, state) {
                    dt { (lang.t("Kết thúc dự kiến", "Planned end")) } dd { (lang.date_time(ends)) }
                    dt { (lang.t("Còn lại", "Left")) } dd.big-clock { @match left { Some(m) if m >= 0 => { (m) (lang.t(" phút", " minutes")) } _ => { span.bad { (lang.t("Đã hết giờ", "Over time")) } } } }
                }
            }
            @match state {
                ConferenceState::Announced => { (button(viewer, &format!("{action}start"), "live", lang.t("Bắt đầu hội nghị", "Start the conference"), &[])) }
                ConferenceState::InProgress => {
                    @if c.extension_minutes == 0 && viewer.roles.contains(&Role::Host) {
                        form.stack method="post" action={ (action) "extend" } novalidate {
                            (extend.alert())
                            (extend.hidden(viewer, "live"))
                            (extend.input("minutes", lang.t("Kéo dài thêm (phút)", "Extend by (minutes)"), "number", "30", Some(&format!("{} {} {}", lang.t("Tối đa", "At most"), MAX_EXTENSION.min(MAX_MINUTES + MAX_EXTENSION - c.planned_minutes), lang.t("phút, theo đề nghị của người chủ trì.", "minutes, as the host asks.")) ), true))
                            button.primary type="submit" { (lang.t("Kéo dài", "Extend")) }
                        }
                    }
                    (button(viewer, &format!("{action}end"), "live", lang.t("Kết thúc hội nghị", "End the conference"), &[]))
                }
                _ => {}
            }
        }
    }
}

fn petitions(
    lang: Lang,
    viewer: &Viewer,
    c: &Conference,
    minutes: &Minutes,
    invited: &[(String, String)],
    today: &str,
    filled: Option<&Filled>,
) -> Markup {
    let action = format!("/work/conferences/{}/do/", c.id);
    let open = minutes.state == MinutesState::Open as i32;
    html! {
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (lang.t("Mã tiếp nhận", "Receipt code")) }
                th scope="col" { (lang.t("Nội dung", "Petition")) }
                th scope="col" { (lang.t("Tình trạng", "Status")) }
            } }
            tbody { @for p in &minutes.petitions {
                tr id={ "petition-" (p.id) } {
                    td.receipt { code { (p.receipt_code) } br; a href={ "/work/petitions/" (p.id) "/receipt.pdf" } { (lang.t("In phiếu", "Print")) span.sr-only { " " (p.receipt_code) } } }
                    td {
                        (p.text) br;
                        span.muted { (name_of::<Classification>(p.classification, lang)) " · " (name_of::<Field>(p.field, lang)) }
                        @if let Some(a) = &p.answer { p { strong { (lang.t("Trả lời: ", "Answer: ")) } (a.text) @if !a.answered_by_name.is_empty() { " — " (a.answered_by_name) } } }
                        @if let Some(r) = &p.referral { p { (lang.t("Chuyển: ", "Referred to: ")) (r.receiving_body) ", " (lang.iso_date(&r.referred_on)) } }
                        @if open && p.status == PetitionStatus::Recorded as i32 { (petition_steps(lang, viewer, &action, p, invited, today, filled)) }
                    }
                    td { (name_of::<PetitionStatus>(p.status, lang)) }
                }
            } }
        } }
    }
}

/// What can still happen to a petition at the conference: answered there, or
/// (a complaint or denunciation) referred to citizen reception.
fn petition_steps(
    lang: Lang,
    viewer: &Viewer,
    action: &str,
    p: &Petition,
    invited: &[(String, String)],
    today: &str,
    filled: Option<&Filled>,
) -> Markup {
    let outside = matches!(
        Classification::try_from(p.classification).unwrap_or_default(),
        Classification::Complaint | Classification::Denunciation
    );
    let answer = FormView::item(lang, "answer", filled, "petition_id", &p.id).pinned("text");
    let refer = FormView::item(lang, "refer", filled, "petition_id", &p.id).pinned("receiving_body");
    html! {
        @if outside {
            details open[refer.error("receiving_body").is_some()] {
                summary { (lang.t("Chuyển cơ quan tiếp công dân (R1.2)", "Refer to citizen reception (R1.2)")) }
                form.stack method="post" action={ (action) "refer" } novalidate {
                    (refer.alert())
                    (refer.hidden(viewer, "live"))
                    input type="hidden" name="petition_id" value=(p.id);
                    (refer.input("receiving_body", lang.t("Cơ quan tiếp nhận", "Receiving body"), "text", lang.t("Ban Tiếp công dân", "The citizen reception board"), None, true))
                    (refer.input("referred_on", lang.t("Ngày chuyển", "Referred on"), "date", today, None, true))
                    button.primary type="submit" { (lang.t("Chuyển", "Refer")) }
                }
            }
        } @else {
            details open[answer.error("text").is_some()] {
                summary { (lang.t("Trả lời tại hội nghị (R8.4, R9.1)", "Answer at the conference (R8.4, R9.1)")) }
                form.stack method="post" action={ (action) "answer" } novalidate {
                    (answer.alert())
                    (answer.hidden(viewer, "live"))
                    input type="hidden" name="petition_id" value=(p.id);
                    (answer.textarea("text", lang.t("Nội dung trả lời", "The answer"), "", true))
                    (answer.select("organization_id", lang.t("Người chủ trì giao cơ quan được mời trả lời", "The host designates an invited agency to answer"), invited, "", Some(lang.t("Để trống nếu người chủ trì tự trả lời.", "Leave empty when the host answers.")), false))
                    (answer.input("official_name", lang.t("Cán bộ trả lời", "Answering official"), "text", "", None, false))
                    button.primary type="submit" { (lang.t("Ghi trả lời", "Record the answer")) }
                }
            }
        }
    }
}

/// The page, with a refused form as it was typed.
pub async fn render(web: &State, lang: Lang, viewer: &Viewer, id: &str, filled: Option<&Filled>) -> PageResult<Markup> {
    let c = reads::conference(web, lang, viewer, id).await?;
    let speakers = reads::speakers(web, lang, viewer, id).await?;
    let invitations = reads::invitations(web, lang, viewer, id).await?;
    let attendance = reads::attendance(web, lang, viewer, id).await?;
    let minutes = reads::minutes(web, lang, viewer, id).await?;
    let organizations = reads::organizations(web, lang, viewer, &c.unit_code).await?;
    let invited: Vec<(String, String)> = invitations
        .iter()
        .filter(|i| !i.organization_id.is_empty())
        .map(|i| (i.organization_id.clone(), reads::organization_name(&organizations, &i.organization_id).to_owned()))
        .collect();
    let today = web.clock.today().to_string();
    let action = format!("/work/conferences/{id}/do/");
    let petition = FormView::new(lang, "petition", filled);
    let opening = FormView::new(lang, "opening", filled);
    let conclusion = FormView::new(lang, "conclusion", filled).pinned("conclusion");
    let refuse = FormView::new(lang, "refuse", filled);
    let sign = FormView::new(lang, "sign", filled);
    let call = FormView::new(lang, "call", filled);
    let queue_steps = ["checkin", "spoke", "absent", "confirm"].map(|name| FormView::new(lang, name, filled));
    let entry = FormView::new(lang, "entry", filled).pinned("text");
    let kinds: Vec<(String, String)> = [
        ("REVIEW_NOTE", lang.t("Rút kinh nghiệm sau hội nghị (R10.1)", "Review after the conference (R10.1)")),
        ("IMPLEMENTATION_REPORT", lang.t("Báo cáo kết quả thực hiện (R10.5)", "Implementation report (R10.5)")),
        (
            "CORRECTION",
            lang.t("Đính chính biên bản đã ký (ghi rõ lý do)", "Correction of the signed minutes (with the reason)"),
        ),
    ]
    .map(|(k, t)| (k.to_owned(), t.to_owned()))
    .into();
    let speaker_choices: Vec<(String, String)> =
        speakers.iter().map(|s| (s.id.clone(), format!("#{} {} — {}", s.position, s.speaker_name, s.topic))).collect();
    let participants: Vec<(String, String)> =
        speakers.iter().map(|s| (s.participant_id.clone(), format!("#{} {}", s.position, s.speaker_name))).collect();
    let classifications: Vec<(String, String)> =
        CLASSIFICATIONS.iter().map(|c| (c.as_str_name().to_owned(), c.name(lang).to_owned())).collect();
    let reasons: Vec<(String, String)> =
        REFUSALS.iter().map(|r| (r.as_str_name().to_owned(), refusal_reason(lang, *r).to_owned())).collect();
    let running = conference_state(&c) == ConferenceState::InProgress;
    let body = html! {
        (heading(lang, &c, "live"))
        (clock(lang, viewer, &c, web.clock.now(), filled))
        section aria-labelledby="attendance" {
            h2 id="attendance" { (lang.t("Điểm danh", "Check-in")) }
            p { (lang.t("Đăng ký: ", "Registered: ")) strong { (attendance.registered) } " · " (lang.t("Có mặt: ", "Checked in: ")) strong { (attendance.checked_in) } " · " (lang.t("Khách mời có mặt: ", "Invitees present: ")) strong { (attendance.invitees_attended) } "/" (attendance.invited) }
            @if !invitations.is_empty() {
                ul { @for i in &invitations {
                    li {
                        (i.invitee_name) ", " (i.invitee_title) " — " (reads::organization_name(&organizations, &i.organization_id))
                        @if i.status != InvitationStatus::Attended as i32 && i.status != InvitationStatus::Declined as i32 {
                            " " (button(viewer, &format!("{action}checkin"), "live", lang.t("Có mặt", "Present"), &[("invitation_id", &i.id)]))
                        }
                    }
                } }
            }
        }
        section aria-labelledby="queue-heading" {
            h2 id="queue-heading" { (lang.t("Danh sách phát biểu", "Speakers")) }
            (call.alert()) @for step in &queue_steps { (step.alert()) }
            div id="queue" data-refresh={ "/work/conferences/" (c.id) "/queue" } aria-live="polite" { (queue(lang, viewer, &c, &speakers, filled)) }
            @if running && !participants.is_empty() {
                details open[refuse.error("reason").is_some() || filled.is_some_and(|f| f.form == "refuse")] {
                    summary { (lang.t("Người chủ trì từ chối đối thoại (R2.4, R9.2)", "The host refuses a participant (R2.4, R9.2)")) }
                    form.stack method="post" action={ (action) "refuse" } novalidate {
                        (refuse.alert())
                        (refuse.hidden(viewer, "live"))
                        (refuse.select("participant_id", lang.t("Người tham dự", "Participant"), &participants, "", None, true))
                        (refuse.select("reason", lang.t("Căn cứ (R2.4)", "Ground (R2.4)"), &reasons, "", None, true))
                        (refuse.input("note", lang.t("Ghi chú", "Note"), "text", "", None, false))
                        button.primary type="submit" { (lang.t("Từ chối", "Refuse")) }
                    }
                }
            }
        }
        @if running && minutes.is_none() {
            p.notice role="status" data-reload="1500" { (lang.t("Đang mở biên bản hội nghị…", "Opening the minutes…")) }
        }
        @if let Some(minutes) = &minutes {
            @if minutes.purpose.is_empty() && minutes.state == MinutesState::Open as i32 {
                section aria-labelledby="opening" {
                    h2 id="opening" { (lang.t("Khai mạc (R8.2)", "Opening (R8.2)")) }
                    form.stack method="post" action={ (action) "opening" } novalidate {
                        (opening.alert())
                        (opening.hidden(viewer, "live"))
                        (opening.input("purpose", lang.t("Mục đích", "Purpose"), "text", "", None, true))
                        (opening.input("requirements", lang.t("Yêu cầu", "Requirements"), "text", "", None, true))
                        (opening.input("content", lang.t("Nội dung chính", "Main content"), "text", &c.theme, None, true))
                        button.primary type="submit" { (lang.t("Ghi biên bản khai mạc", "Record the opening")) }
                    }
                }
            }
            section aria-labelledby="petitions" {
                h2 id="petitions" { (lang.t("Ý kiến, kiến nghị", "Petitions")) }
                @if minutes.state == MinutesState::Open as i32 {
                    form.stack method="post" action={ (action) "petition" } novalidate {
                        (petition.alert())
                        (petition.hidden(viewer, "live"))
                        (petition.select("speaker_registration_id", lang.t("Người nêu ý kiến", "Raised by"), &speaker_choices, "", None, false))
                        (petition.textarea("text", lang.t("Nội dung ý kiến, kiến nghị", "What was raised"), "", true))
                        (petition.select("field", lang.t("Lĩnh vực (R5.1)", "Field (R5.1)"), &field_choices(lang), "", None, true))
                        (petition.select("classification", lang.t("Phân loại (R5.2–R5.4, R1.2)", "Classification (R5.2–R5.4, R1.2)"), &classifications, "", None, true))
                        (petition.checkbox("state_secret", lang.t("Thuộc bí mật nhà nước (không công khai, R5.1)", "A State secret (never public, R5.1)")))
                        button.primary type="submit" { (lang.t("Ghi ý kiến", "Record")) }
                    }
                }
                (petitions(lang, viewer, &c, minutes, &invited, &today, filled))
            }
            section aria-labelledby="conclusion" {
                h2 id="conclusion" { (lang.t("Kết luận và ký biên bản (R8.4)", "Conclusion and signatures (R8.4)")) }
                (sign.alert())
                @if !minutes.conclusion.is_empty() { p { strong { (lang.t("Kết luận: ", "Conclusion: ")) } (minutes.conclusion) } }
                @if minutes.state == MinutesState::Open as i32 {
                    form.stack method="post" action={ (action) "conclusion" } novalidate {
                        (conclusion.alert())
                        (conclusion.hidden(viewer, "live"))
                        (conclusion.textarea("conclusion", lang.t("Kết luận của người chủ trì", "The host's conclusion"), "", true))
                        button.primary type="submit" { (lang.t("Ghi kết luận", "Record the conclusion")) }
                    }
                }
                dl.facts {
                    dt { (lang.t("Thư ký ký", "Secretary signed")) } dd { @match &minutes.secretary_signature { Some(s) => { (s.subject) }, None => { (lang.t("Chưa ký", "Not yet")) } } }
                    dt { (lang.t("Người chủ trì ký", "Host signed")) } dd { @match &minutes.host_signature { Some(s) => { (s.subject) }, None => { (lang.t("Chưa ký", "Not yet")) } } }
                }
                @if minutes.state == MinutesState::Concluded as i32 {
                    (button(viewer, &format!("{action}sign"), "live", lang.t("Ký biên bản", "Sign the minutes"), &[]))
                }
                @if minutes.state != MinutesState::Open as i32 {
                    p { a href={ "/work/conferences/" (c.id) "/minutes.pdf" } { (lang.t("Biên bản đầy đủ (PDF, lưu hành nội bộ)", "The full minutes (PDF, internal)")) } }
                }
            }
            section aria-labelledby="entries" {
                h2 id="entries" { (lang.t("Ghi bổ sung vào biên bản", "Entries added to the minutes")) }
                @if !minutes.entries.is_empty() {
                    ul { @for e in &minutes.entries {
                        li { strong { (e.kind) } " — " (e.text) " " span.muted { "(" (e.author) ")" } }
                    } }
                }
                form.stack method="post" action={ (action) "entry" } novalidate {
                    (entry.alert())
                    (entry.hidden(viewer, "live"))
                    (entry.select("kind", lang.t("Loại", "Kind"), &kinds, "", None, true))
                    (entry.textarea("text", lang.t("Nội dung", "Text"), "", true))
                    button.primary type="submit" { (lang.t("Ghi vào biên bản", "Add to the minutes")) }
                }
            }
        }
    };
    Ok(layout::page(lang, &c.theme, Some(viewer), html! { (body) script src="/assets/work.js" defer {} }))
}

/// `GET /work/conferences/{id}/live`.
pub async fn page(web: super::super::Web, Worker(viewer, lang): Worker, Path(id): Path<String>) -> PageResult {
    Ok(render(&web, lang, &viewer, &id, None).await?.into_response())
}

/// `GET /work/conferences/{id}/queue`: the queue alone, for the screens that watch it.
pub async fn queue_part(web: super::super::Web, Worker(viewer, lang): Worker, Path(id): Path<String>) -> PageResult {
    let c = reads::conference(&web, lang, &viewer, &id).await?;
    let speakers = reads::speakers(&web, lang, &viewer, &id).await?;
    let part: Response = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        queue(lang, &viewer, &c, &speakers, None).into_string(),
    )
        .into_response();
    Ok(part)
}
