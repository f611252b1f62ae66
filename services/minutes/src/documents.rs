//! The minutes and the conclusion notice as Vietnamese administrative
//! documents (lines, laid out by `doithoai-documents`).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
#[cfg(test)]
use doithoai_documents::render;
use doithoai_documents::{Line, MOTTO, MOTTO_2, center, columns, heading, left, place_and_date};
use doithoai_proto::minutes::v1::{Classification, ConclusionNotice, Minutes, Petition, PetitionStatus, Signature};
use doithoai_runtime::time::ZONE;
fn local(at: &Option<prost_types::Timestamp>) -> String {
    at.as_ref()
        .and_then(doithoai_runtime::time::instant)
        .map(|t| t.with_timezone(&ZONE).format("%H giờ %M, ngày %d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn signed(signature: &Option<Signature>) -> String {
    match signature {
        Some(s) => format!("Đã ký: {} ({})", s.subject, local(&s.signed_at)),
        None => "(chưa ký)".to_owned(),
    }
}

fn classification(value: i32) -> &'static str {
    match Classification::try_from(value).unwrap_or_default() {
        Classification::Petition => "Kiến nghị",
        Classification::Proposal => "Đề xuất",
        Classification::Feedback => "Phản ánh",
        Classification::Complaint => "Khiếu nại",
        Classification::Denunciation => "Tố cáo",
        Classification::Unspecified => "Ý kiến",
    }
}

/// The public minutes: matters that are State secrets are counted, not shown (R5.1).
pub fn minutes_lines(minutes: &Minutes, unit_name: &str) -> Vec<Line> {
    let mut lines = vec![
        columns(unit_name.to_uppercase(), MOTTO, true),
        columns("", MOTTO_2, false),
        Line::Blank,
        center("BIÊN BẢN", true),
        center("HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI CỦA NGƯỜI ĐỨNG ĐẦU VỚI NHÂN DÂN", true),
        Line::Blank,
        left(format!("Bắt đầu: {}", local(&minutes.opened_at))),
        left(format!("Thư ký hội nghị: {}", minutes.secretary_subject)),
        Line::Blank,
        heading("I. KHAI MẠC"),
        left(format!("Mục đích: {}", minutes.purpose)),
        left(format!("Yêu cầu: {}", minutes.requirements)),
        left(format!("Nội dung chính: {}", minutes.content)),
        Line::Blank,
        heading("II. Ý KIẾN, KIẾN NGHỊ CỦA NHÂN DÂN"),
    ];
    let public: Vec<&Petition> = minutes.petitions.iter().filter(|p| !p.state_secret).collect();
    for (n, petition) in public.iter().enumerate() {
        lines.push(left(format!("{}. [{}] {}", n + 1, classification(petition.classification), petition.text)));
        if !petition.receipt_code.is_empty() {
            // The citizen follows it on the public status page by this code.
            lines.push(left(format!("   Mã tra cứu: {}", petition.receipt_code)));
        }
        let follow_up = match PetitionStatus::try_from(petition.status).unwrap_or_default() {
            PetitionStatus::Answered => petition.answer.as_ref().map(|a| {
                let by = if a.answered_by_name.is_empty() {
                    "người chủ trì".to_owned()
                } else {
                    a.answered_by_name.clone()
                };
                format!("   Trả lời tại hội nghị ({by}; người chủ trì chịu trách nhiệm): {}", a.text)
            }),
            PetitionStatus::Referred => petition.referral.as_ref().map(|r| {
                format!(
                    "   Chuyển {} ngày {} để giải quyết theo quy định về tiếp công dân, khiếu nại, tố cáo.",
                    r.receiving_body, r.referred_on
                )
            }),
            PetitionStatus::Recorded => {
                Some("   Chưa trả lời tại hội nghị: giao cơ quan giải quyết trong thông báo kết luận.".to_owned())
            }
            _ => Some("   Đã giao cơ quan giải quyết theo thông báo kết luận.".to_owned()),
        };
        lines.extend(follow_up.map(left));
    }
    let secret = minutes.petitions.len() - public.len();
    if secret > 0 {
        lines.push(left(format!("(Có {secret} nội dung thuộc bí mật nhà nước không ghi vào biên bản công khai.)")));
    }
    lines.extend([Line::Blank, heading("III. KẾT LUẬN CỦA NGƯỜI CHỦ TRÌ"), left(minutes.conclusion.clone())]);
    if !minutes.entries.is_empty() {
        lines.extend([Line::Blank, heading("IV. ĐÍNH CHÍNH, GHI CHÚ SAU HỘI NGHỊ")]);
        for entry in &minutes.entries {
            lines.push(left(format!(
                "- {} ({}, {}): {}",
                entry.kind,
                entry.author,
                local(&entry.recorded_at),
                entry.text
            )));
        }
    }
    lines.extend([
        Line::Blank,
        columns("THƯ KÝ", "NGƯỜI CHỦ TRÌ", true),
        columns(signed(&minutes.secretary_signature), signed(&minutes.host_signature), false),
    ]);
    lines
}

/// The conclusion notice (R10.2): each petition not answered at the
/// conference and the agency that resolves it.
pub fn notice_lines(
    notice: &ConclusionNotice,
    minutes: &Minutes,
    unit_name: &str,
    place: &str,
    agencies: &HashMap<String, String>,
) -> Vec<Line> {
    let sent = NaiveDate::parse_from_str(&notice.sent_on, "%Y-%m-%d").unwrap_or_default();
    let mut lines = vec![
        columns(unit_name.to_uppercase(), MOTTO, true),
        columns(format!("Số: {}", notice.number), MOTTO_2, false),
        Line::Right { text: place_and_date(place, sent.day(), sent.month(), sent.year()) },
        Line::Blank,
        center("THÔNG BÁO", true),
        center("Kết luận của người chủ trì hội nghị tiếp xúc, đối thoại với nhân dân", true),
        Line::Blank,
        left(
            "Thực hiện Quy chế tiếp xúc, đối thoại ban hành kèm theo Quyết định số 1548-QĐ/TU ngày 28/5/2019 của Ban Thường vụ Tỉnh ủy, người chủ trì hội nghị kết luận như sau:",
        ),
        left(minutes.conclusion.clone()),
        Line::Blank,
        left(
            "Giao các cơ quan, đơn vị giải quyết các ý kiến, kiến nghị chưa được trả lời tại hội nghị; thông báo kết quả bằng văn bản cho công dân trong thời hạn 30 ngày làm việc kể từ ngày nhận được thông báo này và báo cáo người đứng đầu cấp ủy, HĐND, UBND cùng cấp:",
        ),
    ];
    for (n, assignment) in notice.assignments.iter().enumerate() {
        let text = minutes.petitions.iter().find(|p| p.id == assignment.petition_id).map_or("", |p| p.text.as_str());
        let agency =
            agencies.get(&assignment.organization_id).map_or(assignment.organization_id.as_str(), String::as_str);
        lines.push(left(format!("{}. {text} — Cơ quan giải quyết: {agency}", n + 1)));
    }
    let mut recipients: Vec<&str> = notice
        .assignments
        .iter()
        .map(|a| agencies.get(&a.organization_id).map_or(a.organization_id.as_str(), String::as_str))
        .collect();
    recipients.sort();
    recipients.dedup();
    lines.extend([Line::Blank, columns("Nơi nhận:", "TL. NGƯỜI CHỦ TRÌ", true)]);
    let signer = notice.signer.clone();
    for (n, recipient) in recipients.iter().enumerate() {
        lines.push(columns(format!("- {recipient};"), if n == 0 { signer.clone() } else { String::new() }, false));
    }
    if recipients.is_empty() {
        lines.push(columns("", signer, false));
    }
    lines.push(left("- Lưu."));
    lines
}

#[cfg(test)]
mod tests {
    use doithoai_proto::minutes::v1::{Answer, MinutesState, NoticeAssignment};

    use super::*;

    fn text_of(pdf: &[u8]) -> String {
        doithoai_documents::text_of(pdf).unwrap()
    }

    fn minutes() -> Minutes {
        Minutes {
            conference_id: "c".into(),
            state: MinutesState::Signed as i32,
            secretary_subject: "thuky-323".into(),
            purpose: "Lắng nghe ý kiến nhân dân".into(),
            requirements: "Dân chủ".into(),
            content: "Đất đai".into(),
            conclusion: "Giao Phòng Tài nguyên và Môi trường giải quyết dứt điểm".into(),
            petitions: vec![
                Petition {
                    id: "p1".into(),
                    text: "Cấp giấy chứng nhận quyền sử dụng đất chậm".into(),
                    classification: 1,
                    receipt_code: "7A23T-FAQZT".into(),
                    status: PetitionStatus::Recorded as i32,
                    ..Default::default()
                },
                Petition {
                    id: "p2".into(),
                    text: "Đường liên thôn hỏng".into(),
                    classification: 3,
                    status: PetitionStatus::Answered as i32,
                    answer: Some(Answer { text: "Sửa xong trong tháng 4".into(), ..Default::default() }),
                    ..Default::default()
                },
                Petition {
                    id: "p3".into(),
                    text: "Bố trí trận địa phòng không".into(),
                    state_secret: true,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn the_minutes_read_as_a_vietnamese_record_without_state_secrets() {
        let text = text_of(&render("Biên bản", &minutes_lines(&minutes(), "Thành phố Hưng Yên")));
        for expected in [
            "THÀNH PHỐ HƯNG YÊN",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "BIÊN BẢN",
            "Cấp giấy chứng nhận",
            "Mã tra cứu: 7A23T-FAQZT",
            "Sửa xong trong tháng 4",
            "KẾT LUẬN",
            "THƯ KÝ",
            "bí mật nhà nước",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        assert!(!text.contains("trận địa"), "a State secret is left out");
    }

    #[test]
    fn the_notice_lists_each_petition_with_its_agency() {
        let notice = ConclusionNotice {
            number: "15/TB-TU".into(),
            sent_on: "2026-03-20".into(),
            signer: "Nguyễn Văn Ký".into(),
            assignments: vec![NoticeAssignment {
                petition_id: "p1".into(),
                organization_id: "a1".into(),
                received_on: String::new(),
            }],
            ..Default::default()
        };
        let agencies = HashMap::from([("a1".to_owned(), "Phòng Tài nguyên và Môi trường".to_owned())]);
        let text = text_of(&render(
            "Thông báo",
            &notice_lines(&notice, &minutes(), "Thành ủy Hưng Yên", "Hưng Yên", &agencies),
        ));
        for expected in [
            "Số: 15/TB-TU",
            "Hưng Yên, ngày 20 tháng 3 năm 2026",
            "THÔNG BÁO",
            "30 ngày làm việc",
            "Cơ quan giải quyết: Phòng Tài nguyên",
            "Nguyễn Văn Ký",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
    }

    #[test]
    fn long_text_wraps_and_pages_break() {
        let mut long = minutes();
        long.conclusion = "rất dài ".repeat(2000);
        let pdf = render("Biên bản", &minutes_lines(&long, "Thành phố Hưng Yên"));
        assert!(doithoai_documents::pages(&pdf).unwrap() > 1);
    }
}
