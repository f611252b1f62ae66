//! The participants' rules as pure functions: who may take part (R2.3), on
//! what grounds the host refuses (R2.4, R9.2), what a topic is (R5.1), when
//! registration is open, and the speaker queue (R8.3).

use doithoai_proto::{
    common::v1::Field,
    participants::v1::{RefusalReason, SpeakerStatus},
    scheduling::v1::ConferenceState,
};
use doithoai_runtime::{
    ServiceError,
    parse::{self, invalid},
};

pub const MAX_TOPIC_CHARS: usize = 1000;
pub const MAX_NAME_CHARS: usize = 200;

fn rule(rule: &'static str, en: impl Into<String>, vi: impl Into<String>) -> ServiceError {
    ServiceError::rule(rule, format!("{rule}: {}", en.into()), format!("{rule}: {}", vi.into()))
}

/// R2.3: participants live, work or study in the province: their unit lies
/// in the subtree of the conference's province.
pub fn r2_3_in_the_province(conference_path: &[String], participant_path: &[String]) -> Result<(), ServiceError> {
    let province = conference_path.first().map_or("", String::as_str);
    if participant_path.first().map(String::as_str) == Some(province) {
        return Ok(());
    }
    Err(rule(
        "R2.3",
        format!("participants live, work or study in the province {province}"),
        format!("người tham gia phải sinh sống, làm việc hoặc học tập trên địa bàn tỉnh {province}"),
    ))
}

/// Registration is open while the conference is announced, until it starts.
pub fn registration_open(state: ConferenceState) -> Result<(), ServiceError> {
    match state {
        ConferenceState::Announced => Ok(()),
        ConferenceState::Cancelled => Err(rule("R7.3", "the conference was cancelled", "hội nghị đã bị hủy")),
        ConferenceState::Postponed => Err(rule(
            "R7.3",
            "the conference was postponed; registration reopens with its new notice",
            "hội nghị đã hoãn; đăng ký mở lại khi có thông báo mới",
        )),
        _ => Err(rule(
            "R8.3",
            "registration is closed: it is open from the notice until the conference starts",
            "đã hết hạn đăng ký: chỉ đăng ký từ khi thông báo đến khi hội nghị bắt đầu",
        )),
    }
}

pub fn check_name(field: &str, name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            field,
            format!("{field} must be 1 to {MAX_NAME_CHARS} characters"),
            format!("{field} phải từ 1 đến {MAX_NAME_CHARS} ký tự"),
        ));
    }
    Ok(name.to_owned())
}

/// A phone number: digits, with an optional leading `+`; spaces and dots ignored.
pub fn check_phone(phone: &str) -> Result<Option<String>, ServiceError> {
    let digits: String = phone.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
    if digits.is_empty() {
        return Ok(None);
    }
    let body = digits.strip_prefix('+').unwrap_or(&digits);
    if !(8..=15).contains(&body.len()) || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("phone", "phone must be 8 to 15 digits", "số điện thoại phải có 8 đến 15 chữ số"));
    }
    // +84 912 345 678 is 0912 345 678: one number, one person.
    Ok(Some(digits.strip_prefix("+84").map_or(digits.clone(), |national| format!("0{national}"))))
}

/// A national identity number (CCCD, 12 digits; old CMND, 9).
pub fn check_national_id(id: &str) -> Result<Option<String>, ServiceError> {
    let id = id.trim();
    if id.is_empty() {
        return Ok(None);
    }
    if !matches!(id.len(), 9 | 12) || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "national_id",
            "national_id must be 9 or 12 digits",
            "số định danh phải có 9 hoặc 12 chữ số",
        ));
    }
    Ok(Some(id.to_owned()))
}

/// R8.3 with R5.1: a topic is registered with its field.
pub fn check_topic(topic: &str, field: i32) -> Result<(String, Field), ServiceError> {
    let topic = topic.trim();
    if topic.is_empty() || topic.chars().count() > MAX_TOPIC_CHARS {
        return Err(rule(
            "R8.3",
            format!("a topic is 1 to {MAX_TOPIC_CHARS} characters"),
            format!("nội dung đăng ký phát biểu phải từ 1 đến {MAX_TOPIC_CHARS} ký tự"),
        ));
    }
    match parse::known::<Field>("field", field)? {
        Field::Unspecified => Err(rule(
            "R5.1",
            "a topic belongs to one of the fields of R5.1",
            "nội dung phải thuộc một trong các lĩnh vực tại R5.1",
        )),
        field => Ok((topic.to_owned(), field)),
    }
}

/// R2.4: the reason must be one of the five grounds.
pub fn r2_4_reason(reason: i32) -> Result<RefusalReason, ServiceError> {
    match RefusalReason::try_from(reason) {
        Ok(reason) if reason != RefusalReason::Unspecified => Ok(reason),
        _ => Err(rule(
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
pub fn r8_3_next_speaker(queue: &[(u32, SpeakerStatus, String)]) -> Result<&str, ServiceError> {
    if queue.iter().any(|(_, status, _)| *status == SpeakerStatus::Called) {
        return Err(rule(
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
        .ok_or_else(|| rule("R8.3", "nobody is waiting to speak", "không còn ai chờ phát biểu"))
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
}
