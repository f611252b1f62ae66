//! The participants' rules as pure functions: who may take part (R2.3), on
//! what grounds the host refuses (R2.4, R9.2), what a topic is (R5.1), when
//! registration is open, and the speaker queue (R8.3).

use doithoai_proto::{
    common::v1::Field,
    participants::v1::{InvitationStatus, ParticipantStatus, RefusalReason, SpeakerStatus},
    scheduling::v1::ConferenceState,
};
use doithoai_runtime::{Checked, Refusal, parse};

pub const MAX_TOPIC_CHARS: usize = 1000;
pub const MAX_NAME_CHARS: usize = 200;

/// R2.3: participants live, work or study in the province: their unit lies
/// in the subtree of the conference's province.
pub fn r2_3_in_the_province(conference_path: &[String], participant_path: &[String]) -> Checked {
    let province = conference_path.first().map_or("", String::as_str);
    if participant_path.first().map(String::as_str) == Some(province) {
        return Ok(());
    }
    Err(Refusal::rule(
        "R2.3",
        format!("participants live, work or study in the province {province}"),
        format!("người tham gia phải sinh sống, làm việc hoặc học tập trên địa bàn tỉnh {province}"),
    ))
}

/// Registration is open while the conference is announced, until it starts.
pub fn registration_open(state: ConferenceState) -> Checked {
    match state {
        ConferenceState::Announced => Ok(()),
        ConferenceState::Cancelled => Err(Refusal::rule("R7.3", "the conference was cancelled", "hội nghị đã bị hủy")),
        ConferenceState::Postponed => Err(Refusal::rule(
            "R7.3",
            "the conference was postponed; registration reopens with its new notice",
            "hội nghị đã hoãn; đăng ký mở lại khi có thông báo mới",
        )),
        _ => Err(Refusal::rule(
            "R8.3",
            "registration is closed: it is open from the notice until the conference starts",
            "đã hết hạn đăng ký: chỉ đăng ký từ khi thông báo đến khi hội nghị bắt đầu",
        )),
    }
}

pub fn check_name(field: &str, name: &str) -> Checked<String> {
    parse::text(field, name, MAX_NAME_CHARS)
}

/// A phone number: digits, with an optional leading `+`; spaces and dots ignored.
pub fn check_phone(phone: &str) -> Checked<Option<String>> {
    let digits: String = phone.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
    if digits.is_empty() {
        return Ok(None);
    }
    let body = digits.strip_prefix('+').unwrap_or(&digits);
    if !(8..=15).contains(&body.len()) || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::invalid("phone", "phone must be 8 to 15 digits", "số điện thoại phải có 8 đến 15 chữ số"));
    }
    // +84 912 345 678 is 0912 345 678: one number, one person.
    Ok(Some(digits.strip_prefix("+84").map_or(digits.clone(), |national| format!("0{national}"))))
}

/// A national identity number (CCCD, 12 digits; old CMND, 9).
pub fn check_national_id(id: &str) -> Checked<Option<String>> {
    let id = id.trim();
    if id.is_empty() {
        return Ok(None);
    }
    if !matches!(id.len(), 9 | 12) || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::invalid(
            "national_id",
            "national_id must be 9 or 12 digits",
            "số định danh phải có 9 hoặc 12 chữ số",
        ));
    }
    Ok(Some(id.to_owned()))
}

/// R8.3 with R5.1: a topic is registered with its field.
pub fn check_topic(topic: &str, field: i32) -> Checked<(String, Field)> {
    let topic = topic.trim();
    if topic.is_empty() || topic.chars().count() > MAX_TOPIC_CHARS {
        return Err(Refusal::rule(
            "R8.3",
            format!("a topic is 1 to {MAX_TOPIC_CHARS} characters"),
            format!("nội dung đăng ký phát biểu phải từ 1 đến {MAX_TOPIC_CHARS} ký tự"),
        ));
    }
    match parse::known::<Field>("field", field)? {
        Field::Unspecified => Err(Refusal::rule(
            "R5.1",
            "a topic belongs to one of the fields of R5.1",
            "nội dung phải thuộc một trong các lĩnh vực tại R5.1",
        )),
        field => Ok((topic.to_owned(), field)),
    }
}

/// R2.4: the reason must be one of the five grounds.
pub fn r2_4_reason(reason: i32) -> Checked<RefusalReason> {
    match RefusalReason::try_from(reason) {
        Ok(reason) if reason != RefusalReason::Unspecified => Ok(reason),
        _ => Err(Refusal::rule(
            "R2.4",
            "the host refuses only on the grounds of R2.4: civil capacity, prosecution, disturbing order, intoxication, or being uncooperative",
            "chỉ từ chối đối thoại theo các trường hợp tại R2.4: mất năng lực hành vi dân sự, bị truy cứu, gây rối, say rượu bia hoặc chất kích thích, không hợp tác",
        )),
    }
}

/// Registrations still waiting for their turn.
pub fn waiting(status: SpeakerStatus) -> bool {
    matches!(status, SpeakerStatus::Queued | SpeakerStatus::Confirmed)
}

/// R8.3: the next speaker is the first waiting registration in queue order.
pub fn r8_3_next_speaker(queue: &[(u32, SpeakerStatus, String)]) -> Checked<&str> {
    if queue.iter().any(|(_, status, _)| *status == SpeakerStatus::Called) {
        return Err(Refusal::rule(
            "R8.3",
            "mark the current speaker as spoke or absent first",
            "hãy ghi nhận người đang phát biểu trước",
        ));
    }
    queue
        .iter()
        .filter(|(_, status, _)| waiting(*status))
        .min_by_key(|(position, _, _)| *position)
        .map(|(_, _, id)| id.as_str())
        .ok_or_else(|| Refusal::rule("R8.3", "nobody is waiting to speak", "không còn ai chờ phát biểu"))
}

/// Positions after moving the registration at `from` to `to`: the others
/// between shift by one, so the queue stays 1, 2, 3 … without gaps.
pub fn r8_3_move(positions: &[u32], from: u32, to: u32) -> Vec<(u32, u32)> {
    positions
        .iter()
        .map(|&p| {
            let moved = if p == from {
                to
            } else if from < to && p > from && p <= to {
                p - 1
            } else if to < from && p >= to && p < from {
                p + 1
            } else {
                p
            };
            (p, moved)
        })
        .collect()
}

/// R2.4: a participant the host refused takes no further part: no turn to
/// speak, no check-in, no second refusal.
pub fn r2_4_not_refused(status: ParticipantStatus) -> Checked {
    if status == ParticipantStatus::Refused {
        return Err(Refusal::rule(
            "R2.4",
            "the host refused dialogue with this participant",
            "người chủ trì đã từ chối đối thoại với người này",
        ));
    }
    Ok(())
}

/// R9.2 with R2.4: the host refuses before or during the conference, once.
pub fn r2_4_may_refuse(conference: ConferenceState, status: ParticipantStatus) -> Checked {
    if !before_or_during(conference) {
        return Err(Refusal::lifecycle(
            "refusals are made before or during the conference",
            "chỉ từ chối trước hoặc trong hội nghị",
        ));
    }
    if status == ParticipantStatus::Refused {
        return Err(Refusal::repeated("R2.4", "already refused", "đã từ chối người này"));
    }
    Ok(())
}

fn before_or_during(state: ConferenceState) -> bool {
    matches!(state, ConferenceState::Announced | ConferenceState::InProgress)
}

/// Check-in is open before and during the conference; a refused participant
/// (R2.4) or an invitee who declined is not checked in.
pub fn check_in(conference: ConferenceState, who: Attendee) -> Checked<Attendee> {
    if !before_or_during(conference) {
        return Err(Refusal::lifecycle(
            "check-in is open before and during the conference",
            "chỉ điểm danh trước và trong hội nghị",
        ));
    }
    match who {
        Attendee::Participant(status) => {
            r2_4_not_refused(status).map(|()| Attendee::Participant(ParticipantStatus::CheckedIn))
        }
        Attendee::Invitee(InvitationStatus::Declined) => {
            Err(Refusal::lifecycle("the invitee declined", "khách mời đã từ chối"))
        }
        Attendee::Invitee(_) => Ok(Attendee::Invitee(InvitationStatus::Attended)),
    }
}

/// Who checks in: a registered participant or an invitee, in their status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attendee {
    Participant(ParticipantStatus),
    Invitee(InvitationStatus),
}

/// Invitations go out once the conference is announced, until it ends.
pub fn may_invite(conference: ConferenceState) -> Checked {
    if !before_or_during(conference) {
        return Err(Refusal::lifecycle(
            "invitations go out once the conference is announced",
            "chỉ gửi giấy mời khi hội nghị đã thông báo",
        ));
    }
    Ok(())
}

/// An invitation is accepted or declined, may change its answer, and an
/// accepted invitee attends.
pub fn invitation_step(from: InvitationStatus, to: InvitationStatus) -> Checked {
    use InvitationStatus::*;
    if matches!((from, to), (Sent, Accepted | Declined) | (Accepted, Declined | Attended) | (Declined, Accepted)) {
        return Ok(());
    }
    Err(Refusal::lifecycle(
        format!("an invitation goes from {} to {} only through the right steps", from.as_str_name(), to.as_str_name()),
        "trạng thái giấy mời không thể chuyển như vậy",
    ))
}

/// A step on a speaker registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    Confirm,
    OutOfScope,
    Call,
    Spoke,
    Absent,
}

/// R8.3: the queue's steps. A queued registration is confirmed; a waiting
/// one is marked out of scope (R5.1, with a reason) or called; only the
/// speaker called during the conference is marked as spoke or absent.
pub fn r8_3_turn(
    status: SpeakerStatus,
    conference: ConferenceState,
    turn: Turn,
    reason: &str,
) -> Checked<SpeakerStatus> {
    match turn {
        Turn::Confirm if status == SpeakerStatus::Queued => Ok(SpeakerStatus::Confirmed),
        Turn::Confirm => {
            Err(Refusal::lifecycle("only a queued registration is confirmed", "chỉ xác nhận đăng ký đang chờ"))
        }
        Turn::OutOfScope if !waiting(status) => Err(Refusal::lifecycle(
            "only a waiting registration is marked out of scope",
            "chỉ đánh dấu ngoài phạm vi với đăng ký đang chờ",
        )),
        Turn::OutOfScope if reason.trim().is_empty() => {
            Err(Refusal::rule("R5.1", "say why the topic is out of scope", "phải nêu lý do nội dung nằm ngoài phạm vi"))
        }
        Turn::OutOfScope => Ok(SpeakerStatus::OutOfScope),
        Turn::Call if waiting(status) => Ok(SpeakerStatus::Called),
        Turn::Call => {
            Err(Refusal::lifecycle("that speaker was just called by someone else", "người này vừa được mời phát biểu"))
        }
        Turn::Spoke | Turn::Absent if status != SpeakerStatus::Called || conference != ConferenceState::InProgress => {
            Err(Refusal::lifecycle(
                "only the speaker called during the conference is marked",
                "chỉ ghi nhận người đang được mời phát biểu trong hội nghị",
            ))
        }
        Turn::Spoke => Ok(SpeakerStatus::Spoke),
        Turn::Absent => Ok(SpeakerStatus::Absent),
    }
}

/// R8.3: speakers are called while the conference is in progress.
pub fn r8_3_calling(conference: ConferenceState) -> Checked {
    if conference != ConferenceState::InProgress {
        return Err(Refusal::lifecycle(
            "speakers are called while the conference is in progress",
            "chỉ mời phát biểu khi hội nghị đang diễn ra",
        ));
    }
    Ok(())
}

/// R8.3: two waiting registrations of one conference merge into one turn.
pub fn r8_3_merge(same_conference: bool, same_registration: bool, from: SpeakerStatus, into: SpeakerStatus) -> Checked {
    if !same_conference || same_registration || !waiting(from) || !waiting(into) {
        return Err(Refusal::lifecycle(
            "merge two waiting registrations of the same conference",
            "chỉ gộp hai đăng ký đang chờ của cùng hội nghị",
        ));
    }
    Ok(())
}

/// R8.3: speakers keep their registration order unless a reason is recorded,
/// and a registration moves to a position the queue has.
pub fn r8_3_may_move(reason: &str, to: u32, last: u32) -> Checked {
    if reason.trim().is_empty() {
        return Err(Refusal::rule(
            "R8.3",
            "speakers keep their registration order unless a reason is recorded",
            "chỉ thay đổi thứ tự phát biểu khi ghi rõ lý do",
        ));
    }
    if to == 0 || to > last {
        return Err(Refusal::invalid(
            "new_position",
            format!("new_position must be 1 to {last}"),
            format!("vị trí mới phải từ 1 đến {last}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn r2_3_only_people_of_the_province_take_part() {
        assert!(r2_3_in_the_province(&path(&["33", "323"]), &path(&["33", "325", "12001"])).is_ok());
        let refused = r2_3_in_the_province(&path(&["33", "323"]), &path(&["34", "336"])).unwrap_err();
        assert!(refused.to_string().starts_with("R2.3"));
    }

    #[test]
    fn registration_is_open_from_the_notice_until_the_start() {
        assert!(registration_open(ConferenceState::Announced).is_ok());
        for closed in [
            ConferenceState::InProgress,
            ConferenceState::Ended,
            ConferenceState::Cancelled,
            ConferenceState::Postponed,
        ] {
            assert!(registration_open(closed).is_err(), "{closed:?}");
        }
    }

    #[test]
    fn r2_4_only_the_five_grounds() {
        assert_eq!(r2_4_reason(RefusalReason::Intoxicated as i32).unwrap(), RefusalReason::Intoxicated);
        assert!(r2_4_reason(0).is_err());
        assert!(r2_4_reason(42).is_err());
    }

    #[test]
    fn r8_3_a_topic_has_text_and_a_field() {
        assert!(check_topic("Đền bù đất", Field::EconomyAndSociety as i32).is_ok());
        assert!(check_topic("  ", Field::EconomyAndSociety as i32).is_err());
        assert!(check_topic(&"x".repeat(MAX_TOPIC_CHARS + 1), 1).is_err());
        assert!(check_topic("Đền bù đất", 0).unwrap_err().to_string().starts_with("R5.1"));
    }

    #[test]
    fn r8_3_speakers_are_called_in_registration_order() {
        let queue = vec![
            (3, SpeakerStatus::Queued, "c".to_owned()),
            (1, SpeakerStatus::Spoke, "a".to_owned()),
            (2, SpeakerStatus::Confirmed, "b".to_owned()),
            (4, SpeakerStatus::Removed, "d".to_owned()),
        ];
        assert_eq!(r8_3_next_speaker(&queue).unwrap(), "b");
        let busy = vec![(1, SpeakerStatus::Called, "a".to_owned()), (2, SpeakerStatus::Queued, "b".to_owned())];
        assert!(r8_3_next_speaker(&busy).is_err());
    }

    #[test]
    fn r8_3_moving_keeps_the_queue_without_gaps() {
        let moved = r8_3_move(&[1, 2, 3, 4], 4, 2);
        assert_eq!(moved, [(1, 1), (2, 3), (3, 4), (4, 2)]);
        let back = r8_3_move(&[1, 2, 3, 4], 1, 3);
        assert_eq!(back, [(1, 3), (2, 1), (3, 2), (4, 4)]);
    }

    #[test]
    fn contact_data_is_checked() {
        assert_eq!(check_phone("0912 345 678").unwrap().as_deref(), Some("0912345678"));
        assert_eq!(check_phone("+84 912 345 678").unwrap().as_deref(), Some("0912345678"));
        assert!(check_phone("09-12").is_err());
        assert!(check_national_id("034123456789").is_ok());
        assert!(check_national_id("03412345").is_err());
    }

    #[test]
    fn r2_4_a_refused_participant_takes_no_further_part() {
        assert_eq!(r2_4_not_refused(ParticipantStatus::Refused).unwrap_err().id(), "R2.4");
        assert!(r2_4_not_refused(ParticipantStatus::Registered).is_ok());
        let again = r2_4_may_refuse(ConferenceState::Announced, ParticipantStatus::Refused).unwrap_err();
        assert_eq!((again.code, again.id()), (tonic::Code::AlreadyExists, "R2.4".to_owned()));
        assert_eq!(
            r2_4_may_refuse(ConferenceState::Ended, ParticipantStatus::Registered).unwrap_err().id(),
            "LIFECYCLE"
        );
        assert!(r2_4_may_refuse(ConferenceState::InProgress, ParticipantStatus::CheckedIn).is_ok());
    }

    #[test]
    fn check_in_is_open_before_and_during_the_conference() {
        let registered = Attendee::Participant(ParticipantStatus::Registered);
        assert_eq!(
            check_in(ConferenceState::Announced, registered),
            Ok(Attendee::Participant(ParticipantStatus::CheckedIn))
        );
        assert_eq!(check_in(ConferenceState::Ended, registered).unwrap_err().id(), "LIFECYCLE");
        let refused = Attendee::Participant(ParticipantStatus::Refused);
        assert_eq!(check_in(ConferenceState::InProgress, refused).unwrap_err().id(), "R2.4");
        let declined = Attendee::Invitee(InvitationStatus::Declined);
        assert_eq!(check_in(ConferenceState::InProgress, declined).unwrap_err().id(), "LIFECYCLE");
        let accepted = Attendee::Invitee(InvitationStatus::Accepted);
        assert_eq!(check_in(ConferenceState::InProgress, accepted), Ok(Attendee::Invitee(InvitationStatus::Attended)));
    }

    #[test]
    fn invitations_follow_their_steps() {
        assert!(may_invite(ConferenceState::Announced).is_ok());
        assert!(may_invite(ConferenceState::Cancelled).is_err());
        assert!(invitation_step(InvitationStatus::Sent, InvitationStatus::Accepted).is_ok());
        assert!(invitation_step(InvitationStatus::Declined, InvitationStatus::Accepted).is_ok());
        assert_eq!(invitation_step(InvitationStatus::Sent, InvitationStatus::Attended).unwrap_err().id(), "LIFECYCLE");
    }

    #[test]
    fn r8_3_the_queue_moves_one_step_at_a_time() {
        let during = ConferenceState::InProgress;
        assert_eq!(r8_3_turn(SpeakerStatus::Queued, during, Turn::Confirm, ""), Ok(SpeakerStatus::Confirmed));
        assert!(r8_3_turn(SpeakerStatus::Confirmed, during, Turn::Confirm, "").is_err());
        assert_eq!(r8_3_turn(SpeakerStatus::Confirmed, during, Turn::Call, ""), Ok(SpeakerStatus::Called));
        assert!(r8_3_turn(SpeakerStatus::Called, during, Turn::Call, "").is_err());
        assert_eq!(r8_3_turn(SpeakerStatus::Called, during, Turn::Spoke, ""), Ok(SpeakerStatus::Spoke));
        assert!(r8_3_turn(SpeakerStatus::Called, ConferenceState::Ended, Turn::Absent, "").is_err());
        assert!(r8_3_turn(SpeakerStatus::Queued, during, Turn::Absent, "").is_err());
        assert!(r8_3_calling(ConferenceState::Announced).is_err());
    }

    #[test]
    fn r5_1_out_of_scope_needs_a_reason() {
        let during = ConferenceState::InProgress;
        assert_eq!(r8_3_turn(SpeakerStatus::Queued, during, Turn::OutOfScope, " ").unwrap_err().id(), "R5.1");
        assert_eq!(r8_3_turn(SpeakerStatus::Queued, during, Turn::OutOfScope, "land"), Ok(SpeakerStatus::OutOfScope));
        assert_eq!(r8_3_turn(SpeakerStatus::Spoke, during, Turn::OutOfScope, "land").unwrap_err().id(), "LIFECYCLE");
    }

    #[test]
    fn r8_3_a_move_has_a_reason_and_a_place_in_the_queue() {
        assert_eq!(r8_3_may_move("", 1, 3).unwrap_err().id(), "R8.3");
        assert_eq!(r8_3_may_move("elderly", 4, 3).unwrap_err().id(), "INVALID:new_position");
        assert_eq!(r8_3_may_move("elderly", 0, 3).unwrap_err().id(), "INVALID:new_position");
        assert!(r8_3_may_move("elderly", 1, 3).is_ok());
    }

    #[test]
    fn r8_3_only_waiting_registrations_of_one_conference_merge() {
        let (queued, spoke) = (SpeakerStatus::Queued, SpeakerStatus::Spoke);
        assert!(r8_3_merge(true, false, queued, SpeakerStatus::Confirmed).is_ok());
        assert!(r8_3_merge(false, false, queued, queued).is_err());
        assert!(r8_3_merge(true, true, queued, queued).is_err());
        assert!(r8_3_merge(true, false, queued, spoke).is_err());
    }
}
