//! The minutes and the conclusion notice as the host's body issues them
//! (`doithoai-documents`): the Party's format for a Party committee, the
//! State's for HĐND and UBND; names and titles from the directory.

use std::collections::HashMap;

use chrono::NaiveDate;
use doithoai_documents::{Block, Body, Date, Document, Issuer, Number, Signature, name_or_blank, vietnamese};
use doithoai_proto::common::v1::Field;
use doithoai_proto::minutes::v1::{Classification, ConclusionNotice, Minutes, Outcome, Petition, PetitionStatus};
use doithoai_proto::participants::v1::{SpeakerRegistration, SpeakerStatus};
use doithoai_runtime::time::ZONE;

/// What a conference's documents print besides the minutes themselves.
#[derive(Debug, Clone)]
pub struct Letterhead {
    /// The body of the post that hosted (the deputy's, when the host delegated).
    pub body: Body,
    pub unit_name: String,
    pub parent_unit_name: Option<String>,
    pub place: String,
    pub host_title: String,
    pub host_name: String,
    pub secretary_name: String,
    /// The body's office, which issues the notice: its name, its head's title and name.
    pub office: Option<(String, String, String)>,
}

impl Letterhead {
    /// The host's office as the issuer of the notices and receipts.
    fn office_issuer(&self) -> Issuer {
        self.body.office_issuer(&self.unit_name, self.office.as_ref().map(|o| o.0.as_str()))
    }
}

fn local(at: &Option<prost_types::Timestamp>) -> String {
    at.as_ref()
        .and_then(doithoai_runtime::time::instant)
        .map(|t| t.with_timezone(&ZONE).format("%H giờ %M, ngày %d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn day_of(at: &Option<prost_types::Timestamp>) -> Option<Date> {
    Some(at.as_ref().and_then(doithoai_runtime::time::instant)?.with_timezone(&ZONE).date_naive().into())
}

fn signed(signature: &Option<doithoai_proto::minutes::v1::Signature>) -> String {
    signature.as_ref().map(|s| format!("Đã ký lúc {}", local(&s.signed_at))).unwrap_or_default()
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

/// Which minutes a document is.
#[derive(Debug, Clone, Copy)]
pub enum Edition<'a> {
    /// The public extract: no citizen named, matters that are State secrets
    /// counted, not shown (R5.1).
    Public,
    /// The office's own record: every petition with who raised it, State
    /// secrets included (the document is then marked), and the speaker queue
    /// as it ended.
    Internal { speakers: &'a [SpeakerRegistration] },
}

/// The marking of a document that holds State secrets.
const SECRET: &str = "Mật";

pub fn minutes_document(minutes: &Minutes, letterhead: &Letterhead, edition: Edition) -> Document {
    let speakers = match edition {
        Edition::Public => None,
        Edition::Internal { speakers } => Some(speakers),
    };
    let mut body = Vec::new();
    if speakers.is_some() {
        body.push(Block::Note(
            "Bản lưu của cơ quan chủ trì, ghi tên người nêu ý kiến và các nội dung thuộc bí mật nhà nước; \
             không công bố. Bản công khai không ghi các nội dung này."
                .into(),
        ));
    }
    body.extend([
        Block::Paragraph(format!("Bắt đầu: {}.", local(&minutes.opened_at))),
        Block::Paragraph(format!(
            "Chủ trì: đồng chí {}, {}. Thư ký hội nghị: {}.",
            name_or_blank(&letterhead.host_name),
            letterhead.host_title,
            name_or_blank(&letterhead.secretary_name)
        )),
        Block::Heading("I. KHAI MẠC".into()),
        Block::Paragraph(format!("Mục đích: {}", minutes.purpose)),
        Block::Paragraph(format!("Yêu cầu: {}", minutes.requirements)),
        Block::Paragraph(format!("Nội dung chính: {}", minutes.content)),
        Block::Heading("II. Ý KIẾN, KIẾN NGHỊ CỦA NHÂN DÂN".into()),
    ]);
    let shown: Vec<&Petition> = minutes.petitions.iter().filter(|p| speakers.is_some() || !p.state_secret).collect();
    for (n, petition) in shown.iter().enumerate() {
        let secret = if petition.state_secret { "(Mật) " } else { "" };
        let mut item = format!("{}. {secret}[{}] {}", n + 1, classification(petition.classification), petition.text);
        if !petition.receipt_code.is_empty() {
            // The citizen follows it on the public status page by this code.
            item.push_str(&format!(" (Mã tra cứu: {})", petition.receipt_code));
        }
        body.push(Block::Item(item));
        if let Some(speakers) = speakers {
            body.push(Block::Paragraph(raised_by(petition, speakers)));
        }
        let follow_up = match PetitionStatus::try_from(petition.status).unwrap_or_default() {
            PetitionStatus::Answered => petition.answer.as_ref().map(|a| {
                let by =
                    if a.answered_by_name.is_empty() { "người chủ trì" } else { a.answered_by_name.as_str() };
                format!("Trả lời tại hội nghị ({by}; người chủ trì chịu trách nhiệm): {}", a.text)
            }),
            PetitionStatus::Referred => petition.referral.as_ref().map(|r| {
                format!(
                    "Chuyển {} ngày {} để giải quyết theo quy định về tiếp công dân, khiếu nại, tố cáo.",
                    r.receiving_body, r.referred_on
                )
            }),
            PetitionStatus::Recorded => {
                Some("Chưa trả lời tại hội nghị: giao cơ quan giải quyết trong thông báo kết luận.".to_owned())
            }
            _ => Some("Đã giao cơ quan giải quyết theo thông báo kết luận.".to_owned()),
        };
        body.extend(follow_up.map(Block::Paragraph));
    }
    let left_out = minutes.petitions.len() - shown.len();
    if left_out > 0 {
        body.push(Block::Note(format!(
            "Có {left_out} nội dung thuộc bí mật nhà nước không ghi vào biên bản công khai."
        )));
    }
    let mut sections = ["III", "IV", "V"].into_iter();
    if let Some(speakers) = speakers {
        let number = sections.next().unwrap_or_default();
        body.push(Block::Heading(format!("{number}. DANH SÁCH ĐĂNG KÝ PHÁT BIỂU")));
        if speakers.is_empty() {
            body.push(Block::Paragraph("Không có người đăng ký phát biểu.".into()));
        }
        for speaker in speakers {
            body.push(Block::Item(speaker_line(speaker)));
        }
    }
    let number = sections.next().unwrap_or_default();
    body.extend([
        Block::Heading(format!("{number}. KẾT LUẬN CỦA NGƯỜI CHỦ TRÌ")),
        Block::Paragraph(minutes.conclusion.clone()),
    ]);
    if !minutes.entries.is_empty() {
        let number = sections.next().unwrap_or_default();
        body.push(Block::Heading(format!("{number}. ĐÍNH CHÍNH, GHI CHÚ SAU HỘI NGHỊ")));
        for entry in &minutes.entries {
            body.push(Block::Item(format!("- {} ({}): {}", entry.kind, local(&entry.recorded_at), entry.text)));
        }
    }
    let holds_secrets = speakers.is_some() && minutes.petitions.iter().any(|p| p.state_secret);
    Document {
        format: letterhead.body.format(),
        issuer: letterhead.body.issuer(&letterhead.unit_name, letterhead.parent_unit_name.as_deref()),
        number: None,
        marking: holds_secrets.then(|| SECRET.to_owned()),
        place: letterhead.place.clone(),
        date: day_of(&minutes.opened_at),
        kind: "Biên bản".into(),
        title: "Hội nghị tiếp xúc, đối thoại của người đứng đầu với nhân dân".into(),
        body,
        recipients: Vec::new(),
        signatures: vec![
            Signature {
                authority: "Thư ký".into(),
                title: String::new(),
                name: letterhead.secretary_name.clone(),
                signed: signed(&minutes.secretary_signature),
            },
            Signature {
                authority: "Người chủ trì".into(),
                title: letterhead.host_title.clone(),
                name: letterhead.host_name.clone(),
                signed: signed(&minutes.host_signature),
            },
        ],
    }
}

/// Who raised a petition: the speaker it was recorded under, or the
/// participant's own registration to speak.
fn raised_by(petition: &Petition, speakers: &[SpeakerRegistration]) -> String {
    let speaker = speakers
        .iter()
        .find(|s| !petition.speaker_registration_id.is_empty() && s.id == petition.speaker_registration_id)
        .or_else(|| {
            speakers.iter().find(|s| !petition.participant_id.is_empty() && s.participant_id == petition.participant_id)
        });
    match speaker {
        Some(s) => format!("Người nêu: {} (đăng ký phát biểu số {}).", name_or_blank(&s.speaker_name), s.position),
        None => "Người nêu: không đăng ký phát biểu (ý kiến ghi nhận tại hội nghị).".to_owned(),
    }
}

/// "3. Nguyễn Văn An — Kinh tế - xã hội: Đường liên thôn — Đã phát biểu."
fn speaker_line(speaker: &SpeakerRegistration) -> String {
    let field = vietnamese(Field::try_from(speaker.field).unwrap_or_default().as_str_name());
    let status = vietnamese(SpeakerStatus::try_from(speaker.status).unwrap_or_default().as_str_name());
    let note = if speaker.note.is_empty() { String::new() } else { format!(" ({})", speaker.note) };
    format!(
        "{}. {} — {field}: {} — {status}{note}.",
        speaker.position,
        name_or_blank(&speaker.speaker_name),
        speaker.topic
    )
}

/// The receipt the secretary hands the citizen for what they raised: the
/// code they follow it by, and the R10.2/R10.3 clocks that start if it is
/// not answered at the conference.
pub fn receipt_document(petition: &Petition, minutes: &Minutes, letterhead: &Letterhead) -> Document {
    let field = vietnamese(Field::try_from(petition.field).unwrap_or_default().as_str_name());
    let day = day_of(&minutes.opened_at);
    let on = day.map(|d| format!(", ngày {:02}/{:02}/{}", d.day, d.month, d.year)).unwrap_or_default();
    let mut body = vec![
        Block::Paragraph(format!(
            "Hội nghị tiếp xúc, đối thoại của đồng chí {}, {} với nhân dân{on} đã tiếp nhận ý kiến, kiến nghị sau của công dân:",
            name_or_blank(&letterhead.host_name),
            letterhead.host_title
        )),
        Block::Item(format!("Loại: {}; lĩnh vực: {field}.", classification(petition.classification))),
        Block::Item(format!("Nội dung: {}", petition.text)),
    ];
    if !petition.receipt_code.is_empty() {
        body.push(Block::Heading(format!("Mã tra cứu: {}", petition.receipt_code)));
    }
    body.push(Block::Paragraph(
        "Công dân tra cứu tình trạng giải quyết bằng mã trên tại cổng thông tin tiếp xúc, đối thoại. Ý kiến, kiến nghị chưa được trả lời tại hội nghị được giao cơ quan có thẩm quyền giải quyết trong thông báo kết luận (trong 10 ngày làm việc sau hội nghị) và được trả lời bằng văn bản trong thời hạn 30 ngày làm việc kể từ ngày cơ quan nhận thông báo.".into(),
    ));
    Document {
        format: letterhead.body.format(),
        issuer: letterhead.office_issuer(),
        number: None,
        marking: None,
        place: letterhead.place.clone(),
        date: day,
        kind: "Giấy biên nhận".into(),
        title: "Ý kiến, kiến nghị của công dân tại hội nghị tiếp xúc, đối thoại".into(),
        body,
        recipients: vec!["Công dân".into(), "Lưu: VT".into()],
        signatures: vec![Signature {
            authority: "Thư ký hội nghị".into(),
            title: String::new(),
            name: letterhead.secretary_name.clone(),
            signed: String::new(),
        }],
    }
}

fn outcome(value: i32) -> &'static str {
    match Outcome::try_from(value).unwrap_or_default() {
        Outcome::Resolved => "Đã giải quyết",
        Outcome::PartlyResolved => "Giải quyết một phần",
        Outcome::Explained => "Giải thích, trả lời",
        Outcome::NotAccepted => "Không chấp nhận",
        Outcome::Unspecified => "Chưa rõ",
    }
}

/// R10.3: the office's cover sheet that files an agency's written response
/// (the agency's own document, kept as it attached it).
pub fn response_cover(petition: &Petition, letterhead: &Letterhead, agency: &str) -> Document {
    let response = petition.response.clone().unwrap_or_default();
    let responded = NaiveDate::parse_from_str(&response.responded_on, "%Y-%m-%d").ok();
    let mut body = vec![
        Block::Item(format!("Ý kiến, kiến nghị (mã tra cứu {}): {}", petition.receipt_code, petition.text)),
        Block::Item(format!("Cơ quan trả lời: {agency}.")),
        Block::Item(format!(
            "Văn bản trả lời số {}, ngày {}.",
            response.document_number,
            responded.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default()
        )),
        Block::Item(format!("Kết quả: {}.", outcome(response.outcome))),
        Block::Item(format!("Tóm tắt: {}", response.summary)),
        Block::Item(format!(
            "Báo cáo người đứng đầu cấp ủy, HĐND, UBND cùng cấp: {}.",
            if response.reported_to_heads { "đã báo cáo" } else { "chưa báo cáo" }
        )),
    ];
    body.push(if response.attachment_file_name.is_empty() {
        Block::Note("Cơ quan chưa đính kèm văn bản trả lời.".into())
    } else {
        Block::Item(format!(
            "Văn bản kèm theo: {} ({} byte; SHA-256 {}).",
            response.attachment_file_name, response.attachment_bytes, response.attachment_sha256
        ))
    });
    Document {
        format: letterhead.body.format(),
        issuer: letterhead.office_issuer(),
        number: None,
        marking: None,
        place: letterhead.place.clone(),
        date: responded.map(Date::from),
        kind: "Phiếu theo dõi".into(),
        title: "Văn bản trả lời ý kiến, kiến nghị của công dân".into(),
        body,
        recipients: vec!["Lưu: VT, hồ sơ hội nghị".into()],
        signatures: Vec::new(),
    }
}

/// The conclusion notice (R10.2), issued by the host's office: each petition
/// not answered at the conference and the agency that resolves it.
pub fn notice_document(
    notice: &ConclusionNotice,
    minutes: &Minutes,
    letterhead: &Letterhead,
    agencies: &HashMap<String, String>,
) -> Document {
    let body_kind = letterhead.body;
    let sent = NaiveDate::parse_from_str(&notice.sent_on, "%Y-%m-%d").ok();
    let agency = |id: &str| agencies.get(id).map_or(id, String::as_str).to_owned();
    let mut body = vec![
        Block::Paragraph(
            "Thực hiện Quy chế tiếp xúc, đối thoại ban hành kèm theo Quyết định số 1548-QĐ/TU ngày 28/5/2019 của Ban Thường vụ Tỉnh ủy, người chủ trì hội nghị kết luận như sau:".into(),
        ),
        Block::Paragraph(minutes.conclusion.clone()),
        Block::Paragraph(
            "Giao các cơ quan, đơn vị giải quyết các ý kiến, kiến nghị chưa được trả lời tại hội nghị; thông báo kết quả bằng văn bản cho công dân trong thời hạn 30 ngày làm việc kể từ ngày nhận được thông báo này và báo cáo người đứng đầu cấp ủy, HĐND, UBND cùng cấp:".into(),
        ),
    ];
    for (n, assignment) in notice.assignments.iter().enumerate() {
        let text = minutes.petitions.iter().find(|p| p.id == assignment.petition_id).map_or("", |p| p.text.as_str());
        body.push(Block::Item(format!(
            "{}. {text} — Cơ quan giải quyết: {}",
            n + 1,
            agency(&assignment.organization_id)
        )));
    }
    let mut recipients: Vec<String> = notice.assignments.iter().map(|a| agency(&a.organization_id)).collect();
    recipients.sort();
    recipients.dedup();
    recipients.push("Lưu: VT".into());
    // The office's head signs for the host when the notice names that title.
    let (_, head_title, head_name) = letterhead.office.clone().unwrap_or_default();
    let name = if !head_name.is_empty() && head_title.eq_ignore_ascii_case(&notice.signer) {
        head_name
    } else {
        String::new()
    };
    Document {
        format: body_kind.format(),
        issuer: letterhead.office_issuer(),
        number: Some(number(&notice.number, body_kind.symbol("TB", &letterhead.unit_name, true))),
        marking: None,
        place: letterhead.place.clone(),
        date: sent.map(Date::from),
        kind: "Thông báo".into(),
        title: format!(
            "Kết luận của đồng chí {} tại hội nghị tiếp xúc, đối thoại với nhân dân",
            if letterhead.host_title.is_empty() { "người chủ trì" } else { letterhead.host_title.as_str() }
        ),
        body,
        recipients,
        signatures: vec![Signature {
            authority: "TL. Người chủ trì".into(),
            title: notice.signer.clone(),
            name,
            signed: String::new(),
        }],
    }
}

/// The number as the office registered it: digits alone take the symbol of
/// the issuing office; anything else is printed as typed.
fn number(registered: &str, symbol: String) -> Number {
    let registered = registered.trim();
    if !registered.is_empty() && registered.chars().all(|c| c.is_ascii_digit()) {
        Number { number: registered.to_owned(), symbol }
    } else {
        Number { number: registered.to_owned(), symbol: String::new() }
    }
}

#[cfg(test)]
mod tests {
    use doithoai_documents::Format;
    use doithoai_documents::read::text_of;
    use doithoai_proto::minutes::v1::{Answer, MinutesState, NoticeAssignment};

    use super::*;

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
            secretary_signature: Some(doithoai_proto::minutes::v1::Signature {
                subject: "thuky-323".into(),
                signed_at: Some(prost_types::Timestamp { seconds: 1_774_000_000, nanos: 0 }),
            }),
            ..Default::default()
        }
    }

    fn letterhead(body: Body) -> Letterhead {
        Letterhead {
            body,
            unit_name: "Thành phố Hưng Yên".into(),
            parent_unit_name: Some("Tỉnh Hưng Yên".into()),
            place: "Hưng Yên".into(),
            host_title: "Phó Bí thư Thường trực Thành ủy".into(),
            host_name: "Đỗ Văn Minh".into(),
            secretary_name: "Trần Thị Lan".into(),
            office: Some(("Văn phòng Thành ủy".into(), "Chánh Văn phòng".into(), "Nguyễn Văn Ký".into())),
        }
    }

    #[test]
    fn the_minutes_read_as_a_vietnamese_record_without_state_secrets() {
        let document = minutes_document(&minutes(), &letterhead(Body::PeoplesCommittee), Edition::Public);
        assert_eq!(document.format, Format::State);
        let text = text_of(&document.pdf()).unwrap();
        for expected in [
            "ỦY BAN NHÂN DÂN THÀNH PHỐ HƯNG YÊN",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "BIÊN BẢN",
            "Cấp giấy chứng nhận",
            "Mã tra cứu: 7A23T-FAQZT",
            "Sửa xong trong tháng 4",
            "KẾT LUẬN",
            "THƯ KÝ",
            "Trần Thị Lan",
            "Đỗ Văn Minh",
            "bí mật nhà nước",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        assert!(!text.contains("trận địa"), "a State secret is left out");
        assert!(!text.contains("thuky-323"), "signatures name people, not logins");
    }

    #[test]
    fn a_party_committees_minutes_follow_the_partys_format() {
        let text =
            text_of(&minutes_document(&minutes(), &letterhead(Body::PartyCommittee), Edition::Public).pdf()).unwrap();
        assert!(text.contains("ĐẢNG BỘ TỈNH HƯNG YÊN THÀNH ỦY HƯNG YÊN"), "{text}");
        assert!(text.contains("ĐẢNG CỘNG SẢN VIỆT NAM"));
        assert!(!text.contains("CỘNG HÒA"));
    }

    #[test]
    fn the_internal_minutes_name_who_raised_each_petition_and_keep_state_secrets_marked() {
        let mut minutes = minutes();
        minutes.petitions[0].speaker_registration_id = "s1".into();
        minutes.petitions[2].participant_id = "person-2".into();
        let speakers = [
            SpeakerRegistration {
                id: "s1".into(),
                participant_id: "person-1".into(),
                position: 1,
                topic: "Giấy chứng nhận".into(),
                field: Field::EconomyAndSociety as i32,
                status: SpeakerStatus::Spoke as i32,
                speaker_name: "Phạm Văn Bình".into(),
                ..Default::default()
            },
            SpeakerRegistration {
                id: "s2".into(),
                participant_id: "person-2".into(),
                position: 2,
                topic: "Quốc phòng".into(),
                field: Field::DefenceAndSecurity as i32,
                status: SpeakerStatus::Absent as i32,
                speaker_name: "Lê Thị Cúc".into(),
                ..Default::default()
            },
        ];
        let document =
            minutes_document(&minutes, &letterhead(Body::PeoplesCommittee), Edition::Internal { speakers: &speakers });
        assert_eq!(document.marking.as_deref(), Some("Mật"));
        let text = text_of(&document.pdf()).unwrap();
        for expected in [
            "MẬT",
            "Bản lưu của cơ quan chủ trì",
            "Người nêu: Phạm Văn Bình (đăng ký phát biểu số 1)",
            "(Mật) [Ý kiến] Bố trí trận địa phòng không",
            "Người nêu: Lê Thị Cúc (đăng ký phát biểu số 2)",
            "Người nêu: không đăng ký phát biểu",
            "III. DANH SÁCH ĐĂNG KÝ PHÁT BIỂU",
            "1. Phạm Văn Bình — Kinh tế - xã hội: Giấy chứng nhận — Đã phát biểu.",
            "2. Lê Thị Cúc — Quốc phòng - an ninh: Quốc phòng — Vắng mặt",
            "IV. KẾT LUẬN CỦA NGƯỜI CHỦ TRÌ",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        assert!(!text.contains("không ghi vào biên bản công khai"), "nothing is left out of the internal minutes");

        let public = minutes_document(&minutes, &letterhead(Body::PeoplesCommittee), Edition::Public);
        assert_eq!(public.marking, None, "the public extract holds no secret");
        let text = text_of(&public.pdf()).unwrap();
        assert!(!text.contains("Phạm Văn Bình") && !text.contains("DANH SÁCH"), "the public extract names no citizen");
    }

    fn notice(number: &str, signer: &str) -> ConclusionNotice {
        ConclusionNotice {
            number: number.into(),
            sent_on: "2026-03-20".into(),
            signer: signer.into(),
            assignments: vec![NoticeAssignment {
                petition_id: "p1".into(),
                organization_id: "a1".into(),
                received_on: String::new(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn the_notice_lists_each_petition_with_its_agency_and_is_signed_by_the_offices_head() {
        let agencies = HashMap::from([("a1".to_owned(), "Phòng Tài nguyên và Môi trường".to_owned())]);
        let document =
            notice_document(&notice("15", "Chánh Văn phòng"), &minutes(), &letterhead(Body::PartyCommittee), &agencies);
        let text = text_of(&document.pdf()).unwrap();
        for expected in [
            "THÀNH ỦY HƯNG YÊN VĂN PHÒNG",
            "ĐẢNG CỘNG SẢN VIỆT NAM",
            "Số 15-TB/VPTU",
            "Hưng Yên, ngày 20 tháng 3 năm 2026",
            "THÔNG BÁO",
            "30 ngày làm việc",
            "Cơ quan giải quyết: Phòng Tài nguyên",
            "Nơi nhận:",
            "- Phòng Tài nguyên và Môi trường;",
            "TL. NGƯỜI CHỦ TRÌ CHÁNH VĂN PHÒNG",
            "Nguyễn Văn Ký",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
    }

    #[test]
    fn a_number_registered_whole_is_printed_as_typed() {
        let document = notice_document(
            &notice("15/TB-VP", "Phó Chánh Văn phòng"),
            &minutes(),
            &letterhead(Body::PeoplesCommittee),
            &HashMap::new(),
        );
        assert_eq!(document.number_line().unwrap(), "Số: 15/TB-VP");
        assert!(document.signatures[0].name.is_empty(), "only the head who holds the title is named");
    }

    #[test]
    fn long_text_wraps_and_pages_break() {
        let mut long = minutes();
        long.conclusion = "rất dài ".repeat(2000);
        let pdf = minutes_document(&long, &letterhead(Body::PeoplesCommittee), Edition::Public).pdf();
        assert!(doithoai_documents::read::pages(&pdf).unwrap() > 1);
    }

    #[test]
    fn the_receipt_gives_the_citizen_the_code_and_names_no_one_but_officials() {
        let minutes =
            Minutes { opened_at: Some(prost_types::Timestamp { seconds: 1_773_104_400, nanos: 0 }), ..minutes() };
        let document = receipt_document(&minutes.petitions[0], &minutes, &letterhead(Body::PartyCommittee));
        let text = text_of(&document.pdf()).unwrap();
        for expected in [
            "THÀNH ỦY HƯNG YÊN VĂN PHÒNG",
            "GIẤY BIÊN NHẬN",
            "ngày 10/03/2026 đã tiếp nhận",
            "Loại: Kiến nghị",
            "Nội dung: Cấp giấy chứng nhận quyền sử dụng đất chậm",
            "Mã tra cứu: 7A23T-FAQZT",
            "30 ngày làm việc",
            "THƯ KÝ HỘI NGHỊ",
            "Trần Thị Lan",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
    }

    #[test]
    fn r10_3_the_cover_sheet_files_the_agencys_response_with_its_digest() {
        let mut petition = minutes().petitions[0].clone();
        petition.response = Some(doithoai_proto::minutes::v1::Response {
            responded_on: "2026-04-20".into(),
            document_number: "45/TNMT".into(),
            outcome: Outcome::Resolved as i32,
            summary: "Đã cấp giấy chứng nhận".into(),
            attachment_file_name: "45-TNMT.pdf".into(),
            attachment_bytes: 1234,
            attachment_sha256: "ab".repeat(32),
            ..Default::default()
        });
        let cover = response_cover(&petition, &letterhead(Body::PeoplesCommittee), "Phòng Tài nguyên và Môi trường");
        let text = text_of(&cover.pdf()).unwrap();
        for expected in [
            "PHIẾU THEO DÕI",
            "mã tra cứu 7A23T-FAQZT",
            "Cơ quan trả lời: Phòng Tài nguyên và Môi trường.",
            "Văn bản trả lời số 45/TNMT, ngày 20/04/2026.",
            "Kết quả: Đã giải quyết.",
            "45-TNMT.pdf (1234 byte; SHA-256",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
    }
}
