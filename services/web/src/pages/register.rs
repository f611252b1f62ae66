//! Online registration for an announced conference (R2.3, R5.1, R8.3): a
//! citizen gives a name, the unit where they live or work, optionally a
//! phone and an identity number, and the topic they will speak on with its
//! field; they get a receipt and their place in the speakers' queue. The
//! form is rate-limited per client, carries a signed token that must be a
//! few seconds old, and a field only machines fill; a refusal keeps what was
//! typed and shows the rule next to the field.

use axum::{
    Form,
    extract::Path,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use doithoai_proto::{
    common::v1::{Field, Tier},
    participants::v1::{Person, RegisterParticipantRequest, RegisterSpeakerRequest, register_participant_request::Who},
    scheduling::v1::ConferenceState,
};
use maud::{Markup, html};
use serde::Deserialize;

use super::{Connected, Web, client};
use crate::{
    State,
    backends::ask,
    i18n::{Lang, Named},
    layout,
    problem::{Failed, PageResult, Problem, Refused},
    session::{FormProblem, MaybeViewer},
};

pub(in crate::pages) const FIELDS: [Field; 6] = [
    Field::EconomyAndSociety,
    Field::DefenceAndSecurity,
    Field::SocialOrderAndSafety,
    Field::PartyBuilding,
    Field::GovernmentBuilding,
    Field::FrontAndOrganizations,
];

#[derive(Deserialize, Default, Clone)]
pub struct Typed {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    national_id: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    field: String,
    /// Left empty by people: hidden from them, filled by form-filling machines.
    #[serde(default)]
    website: String,
    #[serde(default)]
    form: String,
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    speaker_request_id: String,
}

/// The living units of the province, grouped under their districts (or the
/// province), for the "where you live or work" choice.
pub(in crate::pages) async fn unit_choices(web: &State, conference_root: &str) -> Vec<(String, Vec<(String, String)>)> {
    let token = web.sessions.portal_token();
    let root = &web.settings.root_unit;
    let mut groups = Vec::new();
    let Some(province) = web.directory.unit(&web.backends, &token, root, conference_root).await else { return groups };
    let children = web.directory.children(&web.backends, &token, root, &province.code).await;
    let mut direct = vec![(province.code.clone(), province.name.clone())];
    for child in children.iter().filter(|u| u.valid_to.is_empty()) {
        if child.tier == Tier::District as i32 {
            let communes = web.directory.children(&web.backends, &token, root, &child.code).await;
            let mut options = vec![(child.code.clone(), child.name.clone())];
            options.extend(communes.iter().filter(|u| u.valid_to.is_empty()).map(|u| (u.code.clone(), u.name.clone())));
            groups.push((child.name.clone(), options));
        } else {
            direct.push((child.code.clone(), child.name.clone()));
        }
    }
    groups.insert(0, (province.name.clone(), direct));
    groups
}

/// A refusal's words for one field, with its rule.
fn error(refused: Option<&Refused>, field: &str) -> Option<String> {
    refused.and_then(|r| r.for_field(field).map(|why| format!("{why} ({})", r.reason)))
}

fn fresh_ids(typed: &mut Typed) {
    if typed.request_id.is_empty() {
        typed.request_id = uuid::Uuid::new_v4().to_string();
    }
    if typed.speaker_request_id.is_empty() {
        typed.speaker_request_id = uuid::Uuid::new_v4().to_string();
    }
}

fn described(id: &str, hint: bool, error: bool) -> String {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("{id}-hint"));
    }
    if error {
        ids.push(format!("{id}-error"));
    }
    ids.join(" ")
}

#[allow(clippy::too_many_arguments)]
fn input(
    lang: Lang,
    id: &str,
    label: &str,
    hint: Option<&str>,
    value: &str,
    error: Option<String>,
    required: bool,
    kind: &str,
    autocomplete: &str,
) -> Markup {
    html! {
        label for=(id) { (label) @if !required { " " span.muted { (lang.t("(không bắt buộc)", "(optional)")) } } }
        @if let Some(hint) = hint { p.hint id={ (id) "-hint" } { (hint) } }
        @if let Some(error) = &error { p.error id={ (id) "-error" } { (error) } }
        input id=(id) name=(id) type=(kind) value=(value) required[required] autocomplete=(autocomplete)
            aria-invalid=[error.as_ref().map(|_| "true")]
            aria-describedby=(described(id, hint.is_some(), error.is_some()));
    }
}

async fn render(
    web: &State,
    lang: Lang,
    viewer: Option<&crate::session::Viewer>,
    c: &doithoai_proto::scheduling::v1::Conference,
    mut typed: Typed,
    refused: Option<&Refused>,
) -> Markup {
    fresh_ids(&mut typed);
    let token = web.sessions.form_token(crate::session::wall_now());
    let groups = unit_choices(web, c.unit_path.first().map(String::as_str).unwrap_or(&c.unit_code)).await;
    let unit_error = error(refused, "unit_code");
    let field_error = error(refused, "field");
    let topic_error = error(refused, "topic");
    let body = html! {
        p.crumbs { a href={ "/conferences/" (c.id) } { (c.theme) } }
        h1 { (lang.t("Đăng ký tham dự và phát biểu", "Register to attend and speak")) }
        @if let Some(r) = refused {
            div.alert role="alert" { p { strong { (lang.t("Chưa đăng ký được: ", "Not registered: ")) } (r.message) " (" (r.reason) ")" } }
        }
        form.stack method="post" action={ "/conferences/" (c.id) "/register" } novalidate {
            input type="hidden" name="form" value=(token);
            input type="hidden" name="request_id" value=(typed.request_id);
            input type="hidden" name="speaker_request_id" value=(typed.speaker_request_id);
            div.honey aria-hidden="true" {
                label for="website" { "Website" }
                input id="website" name="website" tabindex="-1" autocomplete="off" value="";
            }
            (input(lang, "full_name", lang.t("Họ và tên", "Full name"), None, &typed.full_name, error(refused, "full_name"), true, "text", "name"))
            label for="unit_code" { (lang.t("Nơi cư trú hoặc làm việc (R2.3)", "Where you live or work (R2.3)")) }
            p.hint id="unit_code-hint" { (lang.t("Người tham dự phải cư trú, làm việc hoặc học tập trên địa bàn.", "Participants live, work or study in the area.")) }
            @if let Some(e) = &unit_error { p.error id="unit_code-error" { (e) } }
            select id="unit_code" name="unit_code" required aria-describedby=(described("unit_code", true, unit_error.is_some())) {
                option value="" { (lang.t("— Chọn đơn vị —", "— Choose a unit —")) }
                @for (group, options) in &groups {
                    optgroup label=(group) {
                        @for (code, name) in options { option value=(code) selected[*code == typed.unit_code] { (name) } }
                    }
                }
            }
            (input(lang, "phone", lang.t("Số điện thoại", "Phone"), Some(lang.t("Để văn phòng báo khi hội nghị thay đổi.", "So the office can tell you if the conference changes.")), &typed.phone, error(refused, "phone"), false, "tel", "tel"))
            (input(lang, "national_id", lang.t("Số định danh cá nhân (CCCD)", "National identity number"), Some(lang.t("Chỉ dùng để phát hiện đăng ký trùng; không được lưu.", "Used only to find double registrations; never stored.")), &typed.national_id, error(refused, "national_id"), false, "text", "off"))
            label for="topic" { (lang.t("Nội dung muốn phát biểu", "What you will speak on")) " " span.muted { (lang.t("(không bắt buộc)", "(optional)")) } }
            @if let Some(e) = &topic_error { p.error id="topic-error" { (e) } }
            textarea id="topic" name="topic" rows="4" aria-describedby=(described("topic", false, topic_error.is_some())) { (typed.topic) }
            label for="field" { (lang.t("Lĩnh vực (R5.1)", "Field (R5.1)")) }
            p.hint id="field-hint" { (lang.t("Không nêu nội dung thuộc bí mật nhà nước.", "Nothing that is a State secret.")) }
            @if let Some(e) = &field_error { p.error id="field-error" { (e) } }
            select id="field" name="field" aria-describedby=(described("field", true, field_error.is_some())) {
                option value="" { (lang.t("— Chọn lĩnh vực —", "— Choose a field —")) }
                @for f in FIELDS { option value=(f.as_str_name()) selected[typed.field == f.as_str_name()] { (f.name(lang)) } }
            }
            button.primary type="submit" { (lang.t("Gửi đăng ký", "Register")) }
        }
    };
    layout::page(lang, lang.t("Đăng ký tham dự", "Register"), viewer, body)
}

/// `GET /conferences/{id}/register`.
pub async fn form(web: Web, lang: Lang, MaybeViewer(viewer, _): MaybeViewer, Path(id): Path<String>) -> PageResult {
    let c = super::conferences::public_conference(&web, lang, &id).await?;
    if ConferenceState::try_from(c.state) != Ok(ConferenceState::Announced) {
        return Err(Failed(Problem::Refused(closed(lang)), lang));
    }
    Ok(render(&web, lang, viewer.as_ref(), &c, Typed::default(), None).await.into_response())
}

fn closed(lang: Lang) -> Refused {
    Refused {
        reason: "R7.3".into(),
        message: lang
            .t(
                "Hội nghị này không nhận đăng ký (chưa thông báo, đã bắt đầu hoặc đã kết thúc).",
                "This conference does not take registrations (not announced, started or over).",
            )
            .into(),
        fields: Vec::new(),
    }
}

/// `POST /conferences/{id}/register`.
pub async fn submit(
    web: Web,
    lang: Lang,
    MaybeViewer(viewer, _): MaybeViewer,
    headers: HeaderMap,
    connected: Connected,
    Path(id): Path<String>,
    Form(typed): Form<Typed>,
) -> PageResult {
    let c = super::conferences::public_conference(&web, lang, &id).await?;
    web.limits
        .registration(client(&headers, connected.0, web.settings.behind_proxy))
        .map_err(|wait| Failed(Problem::TooMany(wait), lang))?;
    let refuse = |message: &str| Refused { reason: "FORM".into(), message: message.into(), fields: Vec::new() };
    let checked = if !typed.website.is_empty() {
        Err(refuse(lang.t("Biểu mẫu không hợp lệ.", "The form is not valid.")))
    } else {
        web.sessions.check_form_token(&typed.form, crate::session::wall_now()).map_err(|problem| match problem {
            FormProblem::TooFast => refuse(lang.t(
                "Biểu mẫu được gửi quá nhanh. Xin kiểm tra lại và gửi lần nữa.",
                "The form was sent too fast. Please check it and send it again.",
            )),
            FormProblem::Stale => {
                refuse(lang.t("Biểu mẫu đã quá hạn. Xin gửi lại.", "The form has expired. Please send it again."))
            }
            FormProblem::Forged => refuse(
                lang.t("Biểu mẫu không hợp lệ. Xin tải lại trang.", "The form is not valid. Please reload the page."),
            ),
        })
    };
    if let Err(refused) = checked {
        let page = render(&web, lang, viewer.as_ref(), &c, typed, Some(&refused)).await;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let token = web.sessions.portal_token();
    let field = Field::from_str_name(&typed.field);
    if !typed.topic.trim().is_empty() && field.is_none() {
        let refused = Refused {
            reason: "R5.1".into(),
            message: lang.t("Nội dung phát biểu cần thuộc một lĩnh vực.", "A topic needs its field.").into(),
            fields: vec![(
                "field".into(),
                lang.t("Chọn lĩnh vực của nội dung phát biểu.", "Choose the topic's field.").into(),
            )],
        };
        let page = render(&web, lang, viewer.as_ref(), &c, typed, Some(&refused)).await;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let person = Person {
        full_name: typed.full_name.trim().into(),
        phone: typed.phone.trim().into(),
        national_id: typed.national_id.trim().into(),
    };
    let request = RegisterParticipantRequest {
        conference_id: c.id.clone(),
        who: Some(Who::Person(person)),
        unit_code: typed.unit_code.clone(),
        request_id: typed.request_id.clone(),
    };
    let participant = match web.backends.participants().register_participant(ask(request, &token)).await {
        Ok(answer) => answer.into_inner(),
        Err(status) => return refused_page(&web, lang, viewer.as_ref(), &c, typed, &status).await,
    };
    let mut position = None;
    if let Some(field) = field.filter(|_| !typed.topic.trim().is_empty()) {
        let request = RegisterSpeakerRequest {
            conference_id: c.id.clone(),
            participant_id: participant.id.clone(),
            topic: typed.topic.trim().into(),
            field: field as i32,
            request_id: typed.speaker_request_id.clone(),
        };
        match web.backends.participants().register_speaker(ask(request, &token)).await {
            Ok(answer) => position = Some(answer.into_inner().position),
            Err(status) => return refused_page(&web, lang, viewer.as_ref(), &c, typed, &status).await,
        }
    }
    let receipt = participant.id.replace('-', "")[..12].to_uppercase();
    let body = html! {
        h1 { (lang.t("Đã đăng ký", "Registered")) }
        div.notice role="status" {
            p { (lang.t("Mã đăng ký của bạn:", "Your registration code:")) }
            p.code { (receipt) }
            @if let Some(position) = position {
                p { (lang.t("Thứ tự phát biểu theo thứ tự đăng ký (R8.3): ", "Your place among the speakers, in registration order (R8.3): ")) strong { (position) } }
            }
        }
        p { (lang.t("Xin mang theo mã này và giấy tờ tùy thân khi đến hội nghị.", "Bring this code and an identity document to the conference.")) }
        p { a href={ "/conferences/" (c.id) } { (c.theme) } }
    };
    Ok(layout::page(lang, lang.t("Đã đăng ký", "Registered"), viewer.as_ref(), body).into_response())
}

async fn refused_page(
    web: &State,
    lang: Lang,
    viewer: Option<&crate::session::Viewer>,
    c: &doithoai_proto::scheduling::v1::Conference,
    typed: Typed,
    status: &tonic::Status,
) -> PageResult {
    match Problem::from_status(status, lang) {
        Problem::Refused(refused) | Problem::Denied(refused) => {
            let page = render(web, lang, viewer, c, typed, Some(&refused)).await;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        other => Err(Failed(other, lang)),
    }
}
