//! The conference: what a draft must hold, where it may be held (R4.2), what
//! it may discuss (R5.1), its notice (R7.3), its length and secretary (R8.1),
//! and its lifecycle: DRAFT → ANNOUNCED → IN_PROGRESS → ENDED, or CANCELLED /
//! POSTPONED. The aggregate is the wire message itself; these functions are
//! the only way it changes.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use doithoai_proto::scheduling::v1::{
    AgendaItem, Conference, ConferenceDraft, ConferenceState as State, Delegation, Form, PublicNotice,
};
use doithoai_runtime::{
    Checked, Refusal,
    time::{instant, local_date, timestamp},
};
use uuid::Uuid;

pub const MAX_PLANNED_MINUTES: u32 = 240;
pub const MAX_EXTENSION_MINUTES: u32 = 60;
pub const NOTICE_DAYS: i64 = 7;
/// How far ahead a conference is planned: an annual plan's year and the next.
pub const PLANNING_HORIZON_DAYS: i64 = 2 * 366;
const MAX_TEXT: usize = 2000;

pub fn starts_at(conference: &Conference) -> Option<DateTime<Utc>> {
    conference.starts_at.as_ref().and_then(instant)
}

/// The date of the conference in Vietnam.
pub fn date_of(conference: &Conference) -> Option<NaiveDate> {
    starts_at(conference).map(local_date)
}

pub fn state(conference: &Conference) -> State {
    State::try_from(conference.state).unwrap_or(State::Unspecified)
}

fn text(field: &'static str, value: &str, required: bool) -> Checked {
    if required && value.trim().is_empty() {
        return Err(Refusal::invalid(field, format!("{field} is required"), format!("thiếu {field}")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(Refusal::invalid(
            field,
            format!("{field} is longer than {MAX_TEXT} characters"),
            format!("{field} dài quá {MAX_TEXT} ký tự"),
        ));
    }
    Ok(())
}

/// Checks the input of a draft: every field present and well-formed. The
/// rules that need the directory (R2.1, R4.2) are checked by the caller.
pub fn check_draft(draft: &ConferenceDraft, now: DateTime<Utc>) -> Checked {
    specified::<doithoai_proto::scheduling::v1::Body>("body", draft.body)?;
    specified::<doithoai_proto::scheduling::v1::Regime>("regime", draft.regime)?;
    specified::<doithoai_proto::scheduling::v1::ConferenceKind>("kind", draft.kind)?;
    let form: Form = specified("form", draft.form)?;
    Uuid::parse_str(&draft.host_position_id).map_err(|_| {
        Refusal::invalid("host_position_id", "host_position_id is not an id", "host_position_id không hợp lệ")
    })?;
    text("theme", &draft.theme, true)?;
    let in_person = matches!(form, Form::InPerson | Form::Hybrid);
    text("venue_address", &draft.venue_address, in_person)?;
    if in_person && draft.venue_unit_code.is_empty() {
        return Err(Refusal::invalid(
            "venue_unit_code",
            "an in-person conference needs the venue's unit",
            "hội nghị trực tiếp phải có đơn vị nơi tổ chức",
        ));
    }
    text("online_link", &draft.online_link, matches!(form, Form::Online | Form::Hybrid))?;
    for item in &draft.agenda {
        text("agenda.title", &item.title, true)?;
        specified::<doithoai_proto::common::v1::Field>("agenda.field", item.field)?;
        if !item.preparing_organization_id.is_empty() && Uuid::parse_str(&item.preparing_organization_id).is_err() {
            return Err(Refusal::invalid("agenda.preparing_organization_id", "not an id", "mã cơ quan không hợp lệ"));
        }
    }
    for id in &draft.invited_organization_ids {
        Uuid::parse_str(id).map_err(|_| {
            Refusal::invalid(
                "invited_organization_ids",
                format!("{id:?} is not an id"),
                format!("{id:?} không phải mã cơ quan"),
            )
        })?;
    }
    let start = draft.starts_at.as_ref().and_then(instant);
    match start {
        None => return Err(Refusal::invalid("starts_at", "starts_at is required", "thiếu thời gian bắt đầu")),
        Some(start) if start <= now => {
            return Err(Refusal::invalid(
                "starts_at",
                "a conference is planned for the future",
                "hội nghị phải được lên kế hoạch cho thời gian sắp tới",
            ));
        }
        Some(start) if start > now + chrono::TimeDelta::days(PLANNING_HORIZON_DAYS) => {
            return Err(Refusal::invalid(
                "starts_at",
                "a conference is planned at most two years ahead",
                "hội nghị chỉ được lên kế hoạch trước tối đa hai năm",
            ));
        }
        Some(_) => {}
    }
    r5_1_no_state_secrets(&draft.agenda)?;
    r8_1_planned_duration(draft.planned_minutes)
}

/// R5.1: matters that are State secrets are excluded from dialogue.
pub fn r5_1_no_state_secrets(agenda: &[AgendaItem]) -> Checked {
    match agenda.iter().find(|item| item.state_secret) {
        Some(item) => Err(Refusal::rule(
            "R5.1",
            format!("agenda item {:?} is a State secret and cannot be discussed", item.title),
            format!("nội dung {:?} thuộc bí mật nhà nước, không được đưa ra đối thoại", item.title),
        )),
        None => Ok(()),
    }
}

/// R8.1: a conference lasts at most 4 hours.
pub fn r8_1_planned_duration(minutes: u32) -> Checked {
    if minutes == 0 {
        return Err(Refusal::invalid(
            "planned_minutes",
            "planned_minutes must be positive",
            "thời lượng phải lớn hơn 0",
        ));
    }
    if minutes > MAX_PLANNED_MINUTES {
        return Err(Refusal::rule(
            "R8.1",
            format!("a conference lasts at most {MAX_PLANNED_MINUTES} minutes, not {minutes}"),
            format!("hội nghị kéo dài không quá 4 giờ ({MAX_PLANNED_MINUTES} phút), không phải {minutes} phút"),
        ));
    }
    Ok(())
}

/// An enum a draft must set to a value this version knows.
fn specified<E: TryFrom<i32>>(field: &'static str, value: i32) -> Checked<E> {
    if value == 0 {
        return Err(Refusal::invalid(field, format!("{field} must be specified"), format!("chưa chọn {field}")));
    }
    E::try_from(value).map_err(|_| {
        Refusal::invalid(
            field,
            format!("{field} {value} is not a known value"),
            format!("{field} {value} không hợp lệ"),
        )
    })
}

/// R4.2: the venue lies in the host's unit subtree; the units below the
/// host's unit down to the venue are asked to coordinate.
pub fn r4_2_coordinating_units(unit_code: &str, venue_path: &[String]) -> Checked<Vec<String>> {
    match venue_path.iter().position(|code| code == unit_code) {
        Some(index) => Ok(venue_path[index + 1..].to_vec()),
        None => Err(Refusal::rule(
            "R4.2",
            format!(
                "the venue {} is outside unit {unit_code}: a head holds dialogue with the people of their own unit",
                venue_path.last().map_or("", String::as_str)
            ),
            format!(
                "nơi tổ chức {} nằm ngoài đơn vị {unit_code}: người đứng đầu đối thoại với nhân dân trên địa bàn mình",
                venue_path.last().map_or("", String::as_str)
            ),
        )),
    }
}

/// R4.2: a unit named to coordinate lies below the host's unit (in its
/// subtree, and not the unit itself).
pub fn r4_2_only_lower_units_coordinate(unit_code: &str, unit_path: &[String]) -> Checked {
    if r4_2_coordinating_units(unit_code, unit_path)?.is_empty() {
        return Err(Refusal::rule("R4.2", "only lower units coordinate", "chỉ đơn vị cấp dưới phối hợp"));
    }
    Ok(())
}

/// R4.2: a unit asked to coordinate reads the conference, though it is
/// another unit's.
pub fn r4_2_asked_to_coordinate(conference: &Conference, unit_code: &str) -> bool {
    conference.coordinating_unit_codes.iter().any(|code| code == unit_code)
}

/// R7.3: the public notice is published on local mass media at least 7 days
/// before the conference.
pub fn r7_3_notice_period(publication: NaiveDate, conference_date: NaiveDate) -> Checked {
    let days = (conference_date - publication).num_days();
    if days < NOTICE_DAYS {
        return Err(Refusal::rule(
            "R7.3",
            format!(
                "the notice must be published at least {NOTICE_DAYS} days before the conference; {publication} is {days} day(s) before {conference_date}"
            ),
            format!(
                "phải thông báo công khai ít nhất {NOTICE_DAYS} ngày trước hội nghị; ngày {publication} chỉ trước {conference_date} {days} ngày"
            ),
        ));
    }
    Ok(())
}

fn lifecycle(action_en: &str, action_vi: &str, state: State) -> Refusal {
    let name = state.as_str_name().trim_start_matches("CONFERENCE_STATE_");
    Refusal::lifecycle(
        format!("a conference that is {name} cannot be {action_en}"),
        format!("hội nghị đang ở trạng thái {name} không thể {action_vi}"),
    )
}

/// Editing the plan: only a draft or a postponed conference.
pub fn may_edit(conference: &Conference) -> Checked {
    match state(conference) {
        State::Draft | State::Postponed => Ok(()),
        other => Err(lifecycle("edited (postpone it first)", "sửa (hãy hoãn trước)", other)),
    }
}

/// Applies a checked draft to the aggregate.
pub fn apply_draft(
    conference: &mut Conference,
    draft: ConferenceDraft,
    unit_path: Vec<String>,
    coordinating: Vec<String>,
) {
    conference.unit_code = draft.unit_code;
    conference.unit_path = unit_path;
    conference.body = draft.body;
    conference.host_position_id = draft.host_position_id.clone();
    conference.accountable_position_id = draft.host_position_id;
    conference.regime = draft.regime;
    conference.kind = draft.kind;
    conference.form = draft.form;
    conference.venue_unit_code = draft.venue_unit_code;
    conference.venue_address = draft.venue_address;
    conference.online_link = draft.online_link;
    conference.theme = draft.theme;
    conference.agenda = draft.agenda;
    conference.starts_at = draft.starts_at;
    conference.planned_minutes = draft.planned_minutes;
    conference.invited_organization_ids = draft.invited_organization_ids;
    conference.coordinating_unit_codes = coordinating;
}

pub fn assign_secretary(conference: &mut Conference, subject: &str, name: &str) -> Checked {
    match state(conference) {
        State::Draft | State::Announced | State::Postponed => {}
        other => return Err(lifecycle("given a new secretary", "thay đổi thư ký", other)),
    }
    text("secretary_subject", subject, true)?;
    text("secretary_name", name, true)?;
    conference.secretary_subject = subject.trim().to_owned();
    conference.secretary_name = name.trim().to_owned();
    Ok(())
}

/// R2.2 is checked against the posts by the caller; this records it.
pub fn delegate(conference: &mut Conference, delegation: Delegation) -> Checked {
    match state(conference) {
        State::Draft | State::Announced | State::Postponed => {}
        other => return Err(lifecycle("delegated", "ủy quyền chủ trì", other)),
    }
    conference.delegation = Some(delegation);
    Ok(())
}

pub fn announce(
    conference: &mut Conference,
    notice: PublicNotice,
    publication: NaiveDate,
    today: NaiveDate,
) -> Checked {
    match state(conference) {
        State::Draft | State::Postponed => {}
        other => return Err(lifecycle("announced again", "thông báo lại", other)),
    }
    text("media_channel", &notice.media_channel, true)?;
    if publication < doithoai_runtime::parse::FIRST_DAY {
        return Err(Refusal::invalid(
            "publication_date",
            "the publication date is before the regulation",
            "ngày đăng thông báo trước khi có quy chế",
        ));
    }
    let date = date_of(conference)
        .ok_or_else(|| Refusal::invalid("starts_at", "the conference has no date", "hội nghị chưa có ngày"))?;
    r7_3_notice_period(publication, date)?;
    // The office records a notice that ran (today or before: it counts when
    // it ran seven days ahead), not one it plans.
    if publication > today {
        return Err(Refusal::invalid(
            "publication_date",
            format!("the notice has not run yet ({publication} is after today, {today}): record it once it has"),
            format!("thông báo chưa được đăng ({publication} sau ngày hôm nay, {today}): ghi nhận sau khi đã đăng"),
        ));
    }
    conference.notice = Some(notice);
    conference.state = State::Announced as i32;
    conference.state_reason.clear();
    Ok(())
}

/// Starts on (or after) its date, once announced (R7.3) and with a secretary (R8.1).
pub fn start(conference: &mut Conference, now: DateTime<Utc>) -> Checked {
    match state(conference) {
        State::Announced => {}
        State::Draft | State::Postponed => {
            return Err(Refusal::rule(
                "R7.3",
                "a conference starts only after its public notice",
                "hội nghị chỉ được bắt đầu sau khi đã thông báo công khai",
            ));
        }
        other => return Err(lifecycle("started", "bắt đầu", other)),
    }
    if conference.secretary_subject.is_empty() {
        return Err(Refusal::rule(
            "R8.1",
            "a secretary must be appointed before the conference starts",
            "phải cử thư ký trước khi hội nghị bắt đầu",
        ));
    }
    let date = date_of(conference).unwrap_or(NaiveDate::MAX);
    if local_date(now) < date {
        return Err(Refusal::lifecycle(
            format!("the conference is on {date}; it cannot start before"),
            format!("hội nghị diễn ra ngày {date}; không thể bắt đầu trước ngày đó"),
        ));
    }
    conference.state = State::InProgress as i32;
    conference.started_at = Some(timestamp(now));
    Ok(())
}

/// R8.1: the host may extend once, by at most one hour, while in progress.
pub fn r8_1_extend(conference: &mut Conference, minutes: u32) -> Checked {
    match state(conference) {
        State::InProgress => {}
        other => return Err(lifecycle("extended", "kéo dài", other)),
    }
    if conference.extension_minutes > 0 {
        return Err(Refusal::rule(
            "R8.1",
            "the conference has already been extended once",
            "hội nghị đã được kéo dài một lần",
        ));
    }
    if minutes == 0 || minutes > MAX_EXTENSION_MINUTES {
        return Err(Refusal::rule(
            "R8.1",
            format!("an extension is 1 to {MAX_EXTENSION_MINUTES} minutes, not {minutes}"),
            format!("chỉ được kéo dài từ 1 đến {MAX_EXTENSION_MINUTES} phút, không phải {minutes} phút"),
        ));
    }
    conference.extension_minutes = minutes;
    Ok(())
}

pub fn end(conference: &mut Conference, now: DateTime<Utc>) -> Checked {
    match state(conference) {
        State::InProgress => {}
        other => return Err(lifecycle("ended", "kết thúc", other)),
    }
    conference.state = State::Ended as i32;
    conference.ended_at = Some(timestamp(now));
    Ok(())
}

/// The planned end, extension included.
pub fn planned_end(conference: &Conference) -> Option<DateTime<Utc>> {
    let started = conference.started_at.as_ref().and_then(instant).or_else(|| starts_at(conference))?;
    Some(started + TimeDelta::minutes(i64::from(conference.planned_minutes + conference.extension_minutes)))
}

pub fn cancel(conference: &mut Conference, reason: &str) -> Checked {
    match state(conference) {
        State::Draft | State::Announced | State::Postponed => {}
        other => return Err(lifecycle("cancelled", "hủy", other)),
    }
    text("reason", reason, true)?;
    conference.state = State::Cancelled as i32;
    conference.state_reason = reason.trim().to_owned();
    Ok(())
}

/// A postponed conference loses its notice: it needs a new one (R7.3).
pub fn postpone(
    conference: &mut Conference,
    reason: &str,
    new_start: Option<prost_types::Timestamp>,
    now: DateTime<Utc>,
) -> Checked {
    match state(conference) {
        State::Draft | State::Announced => {}
        other => return Err(lifecycle("postponed", "hoãn", other)),
    }
    text("reason", reason, true)?;
    if let Some(start) = &new_start {
        if instant(start).is_none_or(|at| at <= now) {
            return Err(Refusal::invalid("new_starts_at", "the new start is in the past", "thời gian mới đã qua"));
        }
        if instant(start).is_some_and(|at| at > now + chrono::TimeDelta::days(PLANNING_HORIZON_DAYS)) {
            return Err(Refusal::invalid(
                "new_starts_at",
                "a conference is planned at most two years ahead",
                "hội nghị chỉ được lên kế hoạch trước tối đa hai năm",
            ));
        }
        conference.starts_at = Some(*start);
    }
    conference.state = State::Postponed as i32;
    conference.state_reason = reason.trim().to_owned();
    conference.notice = None;
    Ok(())
}

#[cfg(test)]
mod tests {
    use doithoai_proto::scheduling::v1::{ConferenceKind, Regime};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn draft() -> ConferenceDraft {
        ConferenceDraft {
            unit_code: "323".into(),
            body: 1,
            host_position_id: Uuid::now_v7().to_string(),
            regime: Regime::Periodic as i32,
            kind: ConferenceKind::CitizensDirect as i32,
            form: Form::InPerson as i32,
            venue_unit_code: "11950".into(),
            venue_address: "Hội trường UBND phường Lam Sơn".into(),
            theme: "Giải phóng mặt bằng".into(),
            agenda: vec![AgendaItem { title: "Bồi thường".into(), field: 1, ..Default::default() }],
            // 09:00 in Hà Nội on 20 March 2026.
            starts_at: Some(timestamp(at("2026-03-20T02:00:00Z"))),
            planned_minutes: 180,
            ..Default::default()
        }
    }

    fn conference() -> Conference {
        let mut conference = Conference { state: State::Draft as i32, ..Default::default() };
        apply_draft(&mut conference, draft(), vec!["33".into(), "323".into()], vec!["11950".into()]);
        conference
    }

    fn notice() -> PublicNotice {
        PublicNotice {
            media_channel: "Đài PT-TH Hưng Yên".into(),
            publication_date: "2026-03-13".into(),
            recorded_at: None,
        }
    }

    #[test]
    fn r4_2_a_unit_asked_to_coordinate_reads_the_conference() {
        let conference =
            Conference { coordinating_unit_codes: vec!["323".into(), "11950".into()], ..Default::default() };
        assert!(r4_2_asked_to_coordinate(&conference, "11950"));
        assert!(!r4_2_asked_to_coordinate(&conference, "11951"));
    }

    #[test]
    fn a_complete_draft_is_accepted() {
        assert_eq!(check_draft(&draft(), at("2026-03-01T00:00:00Z")), Ok(()));
    }

    #[test]
    fn a_draft_names_its_missing_field() {
        let mut missing = draft();
        missing.theme.clear();
        assert_eq!(check_draft(&missing, at("2026-03-01T00:00:00Z")).unwrap_err().id(), "INVALID:theme");
        let mut past = draft();
        past.starts_at = Some(timestamp(at("2026-02-01T00:00:00Z")));
        assert_eq!(check_draft(&past, at("2026-03-01T00:00:00Z")).unwrap_err().id(), "INVALID:starts_at");
        let mut online = draft();
        online.form = Form::Online as i32;
        assert_eq!(check_draft(&online, at("2026-03-01T00:00:00Z")).unwrap_err().id(), "INVALID:online_link");
    }

    #[test]
    fn r5_1_state_secret_items_are_refused() {
        let mut secret = draft();
        secret.agenda.push(AgendaItem {
            title: "Bố trí lực lượng".into(),
            field: 2,
            state_secret: true,
            ..Default::default()
        });
        assert_eq!(check_draft(&secret, at("2026-03-01T00:00:00Z")).unwrap_err().id(), "R5.1");
    }

    #[test]
    fn r8_1_planned_duration_is_at_most_four_hours() {
        assert!(r8_1_planned_duration(240).is_ok());
        assert_eq!(r8_1_planned_duration(241).unwrap_err().id(), "R8.1");
        assert_eq!(r8_1_planned_duration(0).unwrap_err().id(), "INVALID:planned_minutes");
    }

    #[test]
    fn r4_2_venue_must_be_in_the_host_units_subtree() {
        let path = |codes: &[&str]| codes.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(r4_2_coordinating_units("323", &path(&["33", "323"])).unwrap(), Vec::<String>::new());
        assert_eq!(r4_2_coordinating_units("33", &path(&["33", "323", "11950"])).unwrap(), ["323", "11950"]);
        assert_eq!(r4_2_coordinating_units("325", &path(&["33", "323", "11950"])).unwrap_err().id(), "R4.2");
    }

    #[test]
    fn r4_2_only_lower_units_coordinate() {
        let path = |codes: &[&str]| codes.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert!(super::r4_2_only_lower_units_coordinate("323", &path(&["33", "323", "11950"])).is_ok());
        let itself = super::r4_2_only_lower_units_coordinate("323", &path(&["33", "323"])).unwrap_err();
        assert_eq!(itself.id(), "R4.2");
        assert_eq!(itself.en, "R4.2: only lower units coordinate");
        assert_eq!(super::r4_2_only_lower_units_coordinate("323", &path(&["33"])).unwrap_err().id(), "R4.2");
        assert_eq!(super::r4_2_only_lower_units_coordinate("323", &path(&["33", "325"])).unwrap_err().id(), "R4.2");
    }

    #[test]
    fn r7_3_notice_at_least_seven_days_before() {
        assert!(r7_3_notice_period(date("2026-03-13"), date("2026-03-20")).is_ok());
        let refused = r7_3_notice_period(date("2026-03-14"), date("2026-03-20")).unwrap_err();
        assert_eq!(refused.id(), "R7.3");
    }

    #[test]
    fn r7_3_a_notice_already_published_counts_when_it_ran_seven_days_before() {
        // The office records on 16 March the notice that ran on 10 March, for 20 March.
        let mut conference = conference();
        announce(&mut conference, notice(), date("2026-03-10"), date("2026-03-16")).unwrap();
        let mut late = self::conference();
        assert_eq!(announce(&mut late, notice(), date("2026-03-14"), date("2026-03-16")).unwrap_err().id(), "R7.3");
        let mut planned = self::conference();
        let refused = announce(&mut planned, notice(), date("2026-03-12"), date("2026-03-10")).unwrap_err();
        assert_eq!(refused.id(), "INVALID:publication_date", "a notice is recorded once it has run");
    }

    #[test]
    fn a_conference_is_planned_at_most_two_years_ahead() {
        let mut far = draft();
        far.starts_at = Some(timestamp(at("2028-06-01T02:00:00Z")));
        assert_eq!(check_draft(&far, at("2026-03-01T00:00:00Z")).unwrap_err().id(), "INVALID:starts_at");
    }

    #[test]
    fn r7_3_the_conference_date_is_its_date_in_vietnam() {
        // 23:30 UTC on 19 March is 06:30 on 20 March in Hà Nội.
        let mut early = conference();
        early.starts_at = Some(timestamp(at("2026-03-19T23:30:00Z")));
        assert!(announce(&mut early, notice(), date("2026-03-13"), date("2026-03-16")).is_ok());
    }

    #[test]
    fn r8_1_secretary_before_start_and_one_extension_of_an_hour() {
        let mut conference = conference();
        announce(&mut conference, notice(), date("2026-03-13"), date("2026-03-16")).unwrap();
        assert_eq!(start(&mut conference, at("2026-03-20T02:00:00Z")).unwrap_err().id(), "R8.1");
        assign_secretary(&mut conference, "secretary-323", "Nguyễn Văn Thư").unwrap();
        start(&mut conference, at("2026-03-20T02:00:00Z")).unwrap();
        assert_eq!(r8_1_extend(&mut conference, 61).unwrap_err().id(), "R8.1");
        r8_1_extend(&mut conference, 60).unwrap();
        assert_eq!(r8_1_extend(&mut conference, 10).unwrap_err().id(), "R8.1");
        assert_eq!(planned_end(&conference), Some(at("2026-03-20T06:00:00Z")));
    }

    #[test]
    fn a_conference_cannot_start_unannounced_or_before_its_date() {
        let mut conference = conference();
        conference.secretary_subject = "s".into();
        assert_eq!(start(&mut conference, at("2026-03-20T02:00:00Z")).unwrap_err().id(), "R7.3");
        announce(&mut conference, notice(), date("2026-03-13"), date("2026-03-16")).unwrap();
        assert_eq!(start(&mut conference, at("2026-03-19T10:00:00Z")).unwrap_err().id(), "LIFECYCLE");
        assert!(start(&mut conference, at("2026-03-19T18:00:00Z")).is_ok(), "01:00 on 20 March in Hà Nội");
    }

    #[test]
    fn a_conference_ends_once_and_is_frozen_after() {
        let mut conference = conference();
        conference.secretary_subject = "s".into();
        announce(&mut conference, notice(), date("2026-03-13"), date("2026-03-16")).unwrap();
        start(&mut conference, at("2026-03-20T02:00:00Z")).unwrap();
        end(&mut conference, at("2026-03-20T05:00:00Z")).unwrap();
        assert_eq!(end(&mut conference, at("2026-03-20T05:00:00Z")).unwrap_err().id(), "LIFECYCLE");
        assert_eq!(may_edit(&conference).unwrap_err().id(), "LIFECYCLE");
        assert_eq!(cancel(&mut conference, "x").unwrap_err().id(), "LIFECYCLE");
    }

    #[test]
    fn a_postponed_conference_needs_a_new_notice() {
        let mut conference = conference();
        announce(&mut conference, notice(), date("2026-03-13"), date("2026-03-16")).unwrap();
        let later = timestamp(at("2026-04-10T02:00:00Z"));
        postpone(&mut conference, "Mưa bão", Some(later), at("2026-03-15T00:00:00Z")).unwrap();
        assert_eq!(state(&conference), State::Postponed);
        assert!(conference.notice.is_none());
        conference.secretary_subject = "s".into();
        assert_eq!(start(&mut conference, at("2026-04-10T02:00:00Z")).unwrap_err().id(), "R7.3");
        let new_notice = PublicNotice { publication_date: "2026-04-01".into(), ..notice() };
        announce(&mut conference, new_notice, date("2026-04-01"), date("2026-04-01")).unwrap();
        assert!(start(&mut conference, at("2026-04-10T02:00:00Z")).is_ok());
    }

    #[test]
    fn cancelling_needs_a_reason() {
        let mut conference = conference();
        assert_eq!(cancel(&mut conference, " ").unwrap_err().id(), "INVALID:reason");
        cancel(&mut conference, "Trùng lịch").unwrap();
        assert_eq!(state(&conference), State::Cancelled);
    }
}
