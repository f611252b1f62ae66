//! The documents of a conference before it is held, as the host's office
//! issues them: the public notice (R7.3: who hosts, when and where, in what
//! form, on what agenda, and how citizens take part) and the invitation to
//! an agency's official (R7.4).

use chrono::{DateTime, Datelike, NaiveDate, Timelike};
use chrono_tz::Asia::Ho_Chi_Minh;
use doithoai_proto::common::v1::Field;
use doithoai_proto::scheduling::v1::{Conference, ConferenceKind, Form, Regime};

use crate::{Block, Body, Date, Document, Number, Signature, in_sentence, name_or_blank, vietnamese, weekday};

/// What the notice prints besides the conference: the host's body, unit and
/// place, the hosting post's title and holder, the body's office (name,
/// head's title and name), and the units it names.
pub struct Host {
    pub body: Body,
    pub unit_name: String,
    pub place: String,
    pub title: String,
    pub name: String,
    pub office: Option<(String, String, String)>,
    pub venue_unit_name: String,
    pub coordinating_unit_names: Vec<String>,
}

/// "08 giờ 00, thứ Ba, ngày 10/03/2026; thời lượng dự kiến 4 giờ", in Hà Nội's time.
fn when(conference: &Conference) -> String {
    let starts = conference.starts_at.as_ref().and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32));
    let at = starts.map(|t| t.with_timezone(&Ho_Chi_Minh)).map_or_else(String::new, |t| {
        format!("{:02} giờ {:02}, {}, ngày {}", t.hour(), t.minute(), weekday(t.weekday()), t.format("%d/%m/%Y"))
    });
    let hours = f64::from(conference.planned_minutes) / 60.0;
    format!("{at}; thời lượng dự kiến {hours:.1} giờ").replace(".0 giờ", " giờ")
}

/// The hall and its unit, the online link, or both, as the form has it.
fn place(conference: &Conference, host: &Host) -> String {
    let form = Form::try_from(conference.form).unwrap_or_default();
    let mut place = Vec::new();
    if form != Form::Online {
        place.push(format!("{}{}", conference.venue_address, unit_suffix(&host.venue_unit_name)));
    }
    if matches!(form, Form::Online | Form::Hybrid) && !conference.online_link.is_empty() {
        place.push(format!("trực tuyến tại {}", conference.online_link));
    }
    place.join("; ")
}

/// The office's name, or "Văn phòng" when the directory has none.
fn office_name(host: &Host) -> String {
    match &host.office {
        Some((name, _, _)) if !name.is_empty() => name.clone(),
        _ => "Văn phòng".to_owned(),
    }
}

/// The office's head signs for the host.
fn for_the_host(host: &Host) -> Signature {
    let (_, head_title, head_name) = host.office.clone().unwrap_or_default();
    Signature {
        authority: "TL. Người chủ trì".into(),
        title: if head_title.is_empty() { "Chánh Văn phòng".into() } else { head_title },
        name: head_name,
        signed: String::new(),
    }
}

fn issued_by_the_office(
    host: &Host,
    type_abbreviation: &str,
    kind: &str,
    title: String,
    body: Vec<Block>,
    recipients: Vec<String>,
    date: Option<Date>,
) -> Document {
    Document {
        format: host.body.format(),
        issuer: host.body.office_issuer(&host.unit_name, host.office.as_ref().map(|o| o.0.as_str())),
        number: Some(Number {
            number: String::new(),
            symbol: host.body.symbol(type_abbreviation, &host.unit_name, true),
        }),
        marking: None,
        place: host.place.clone(),
        date,
        kind: kind.into(),
        title,
        body,
        recipients,
        signatures: vec![for_the_host(host)],
    }
}

pub fn public_notice(conference: &Conference, host: &Host) -> Document {
    let kind = vietnamese(ConferenceKind::try_from(conference.kind).unwrap_or_default().as_str_name());
    let regime = vietnamese(Regime::try_from(conference.regime).unwrap_or_default().as_str_name());
    let form = Form::try_from(conference.form).unwrap_or_default();
    let office = office_name(host);
    let mut body = vec![
        Block::Paragraph(format!(
            "Thực hiện Quy chế tiếp xúc, đối thoại ban hành kèm theo Quyết định số 1548-QĐ/TU ngày 28/5/2019 của Ban Thường vụ Tỉnh ủy, {office} thông báo tổ chức hội nghị tiếp xúc, đối thoại như sau:"
        )),
        Block::Item(format!("1. Người chủ trì: đồng chí {}, {}.", name_or_blank(&host.name), host.title)),
        Block::Item(format!("2. Thời gian: {}.", when(conference))),
        Block::Item(format!("3. Địa điểm: {}.", place(conference, host))),
    ];
    body.push(Block::Item(format!(
        "4. Hình thức: {} ({}), {}.",
        kind,
        regime.to_lowercase(),
        vietnamese(form.as_str_name()).to_lowercase()
    )));
    if !conference.theme.is_empty() {
        body.push(Block::Item(format!("5. Chủ đề: {}.", conference.theme)));
    }
    body.push(Block::Item("6. Nội dung:".into()));
    for item in conference.agenda.iter().filter(|a| !a.state_secret) {
        let field = vietnamese(Field::try_from(item.field).unwrap_or_default().as_str_name());
        body.push(Block::Item(format!("- {} ({field}).", item.title)));
    }
    if !host.coordinating_unit_names.is_empty() {
        body.push(Block::Paragraph(format!(
            "Đề nghị người đứng đầu {} phối hợp tổ chức, thông báo đến nhân dân trên địa bàn.",
            host.coordinating_unit_names.iter().map(|u| in_sentence(u)).collect::<Vec<_>>().join(", ")
        )));
    }
    body.push(Block::Paragraph(
        "Công dân có nguyện vọng tham dự, phát biểu ý kiến đăng ký với Văn phòng hoặc trên cổng thông tin tiếp xúc, đối thoại trước ngày tổ chức hội nghị; ý kiến, kiến nghị có thể gửi bằng văn bản.".into(),
    ));
    let notice = conference.notice.clone().unwrap_or_default();
    let published = NaiveDate::parse_from_str(&notice.publication_date, "%Y-%m-%d").ok();
    let mut recipients = Vec::new();
    if !notice.media_channel.is_empty() {
        recipients.push(format!("{} (để đưa tin)", notice.media_channel));
    }
    recipients.extend(host.coordinating_unit_names.iter().map(|u| format!("Người đứng đầu {}", in_sentence(u))));
    recipients.push("Lưu: VT".into());
    let title = format!("Về việc tổ chức hội nghị tiếp xúc, đối thoại của đồng chí {} với nhân dân", host.title);
    issued_by_the_office(host, "TB", "Thông báo", title, body, recipients, published.map(Date::from))
}

/// Who is invited (R7.4): the official by name and title, the agency they
/// lead, and the agenda items (by index) they are to answer.
pub struct Invitee {
    pub name: String,
    pub title: String,
    pub agency: String,
    pub answers_agenda_items: Vec<u32>,
}

/// R7.4: the invitation (giấy mời) to an agency's official, issued by the
/// host's office, dated the day it is rendered.
pub fn invitation(conference: &Conference, host: &Host, invitee: &Invitee, today: NaiveDate) -> Document {
    let who = [invitee.title.as_str(), invitee.agency.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let mut body = vec![
        Block::Paragraph(format!(
            "{} trân trọng kính mời: đồng chí {}{}.",
            office_name(host),
            name_or_blank(&invitee.name),
            if who.is_empty() { String::new() } else { format!(", {who}") }
        )),
        Block::Paragraph(format!(
            "Tham dự hội nghị tiếp xúc, đối thoại của đồng chí {}, {} với nhân dân.",
            name_or_blank(&host.name),
            host.title
        )),
        Block::Item(format!("Thời gian: {}.", when(conference))),
        Block::Item(format!("Địa điểm: {}.", place(conference, host))),
    ];
    let answers: Vec<&str> = invitee
        .answers_agenda_items
        .iter()
        .filter_map(|i| conference.agenda.get(*i as usize))
        .filter(|a| !a.state_secret)
        .map(|a| a.title.as_str())
        .collect();
    if answers.is_empty() {
        body.push(Block::Paragraph(
            "Đề nghị đồng chí chuẩn bị nội dung trả lời các ý kiến, kiến nghị thuộc lĩnh vực phụ trách.".into(),
        ));
    } else {
        body.push(Block::Item("Đề nghị đồng chí chuẩn bị nội dung trả lời:".into()));
        body.extend(answers.iter().map(|a| Block::Item(format!("- {a}."))));
    }
    body.push(Block::Paragraph("Đề nghị đồng chí xác nhận tham dự với Văn phòng trước ngày tổ chức hội nghị.".into()));
    let title = format!("Tham dự hội nghị tiếp xúc, đối thoại của đồng chí {} với nhân dân", host.title);
    let recipients = vec!["Như trên".into(), "Lưu: VT".into()];
    issued_by_the_office(host, "GM", "Giấy mời", title, body, recipients, Some(Date::from(today)))
}

fn unit_suffix(unit_name: &str) -> String {
    if unit_name.is_empty() { String::new() } else { format!(", {}", in_sentence(unit_name)) }
}

#[cfg(test)]
mod tests {
    use crate::Format;
    use crate::read::text_of;
    use doithoai_proto::scheduling::v1::{AgendaItem, PublicNotice};

    use super::*;

    fn conference() -> Conference {
        Conference {
            kind: ConferenceKind::CitizensDirect as i32,
            regime: Regime::Periodic as i32,
            form: Form::Hybrid as i32,
            venue_address: "Hội trường UBND phường Hiến Nam".into(),
            online_link: "https://hop.hungyen.gov.vn/dt-323".into(),
            theme: "Giải phóng mặt bằng".into(),
            // 10/3/2026 08:00 in Hà Nội.
            starts_at: Some(prost_types::Timestamp { seconds: 1_773_104_400, nanos: 0 }),
            planned_minutes: 240,
            agenda: vec![
                AgendaItem {
                    title: "Bồi thường đất nông nghiệp".into(),
                    field: Field::EconomyAndSociety as i32,
                    ..Default::default()
                },
                AgendaItem { title: "Trận địa".into(), state_secret: true, ..Default::default() },
            ],
            notice: Some(PublicNotice {
                media_channel: "Đài Phát thanh và Truyền hình Hưng Yên".into(),
                publication_date: "2026-03-02".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn host(body: Body) -> Host {
        Host {
            body,
            unit_name: "Thành phố Hưng Yên".into(),
            place: "Hưng Yên".into(),
            title: "Bí thư Thành ủy".into(),
            name: "Nguyễn Văn Chủ Trì".into(),
            office: Some(("Văn phòng Thành ủy Hưng Yên".into(), "Chánh Văn phòng".into(), "Trần Văn Chánh".into())),
            venue_unit_name: "Phường Hiến Nam".into(),
            coordinating_unit_names: vec!["Phường Hiến Nam".into()],
        }
    }

    #[test]
    fn r7_3_the_public_notice_says_who_when_where_and_how_to_take_part() {
        let document = public_notice(&conference(), &host(Body::PartyCommittee));
        assert_eq!(document.format, Format::Party);
        let text = text_of(&document.pdf()).unwrap();
        for expected in [
            "THÀNH ỦY HƯNG YÊN VĂN PHÒNG",
            "ĐẢNG CỘNG SẢN VIỆT NAM",
            "Hưng Yên, ngày 02 tháng 3 năm 2026",
            "Về việc tổ chức hội nghị tiếp xúc, đối thoại của đồng chí Bí thư Thành ủy với nhân dân",
            "Người chủ trì: đồng chí Nguyễn Văn Chủ Trì, Bí thư Thành ủy.",
            "Thời gian: 08 giờ 00, thứ Ba, ngày 10/03/2026; thời lượng dự kiến 4 giờ.",
            "Hội trường UBND phường Hiến Nam, phường Hiến Nam; trực tuyến tại https://hop.hungyen.gov.vn/dt-323",
            "Trực tiếp với nhân dân (1.3) (định kỳ), trực tiếp kết hợp trực tuyến.",
            "Bồi thường đất nông nghiệp (Kinh tế - xã hội).",
            "Đề nghị người đứng đầu phường Hiến Nam phối hợp",
            "- Người đứng đầu phường Hiến Nam;",
            "- Đài Phát thanh và Truyền hình Hưng Yên (để đưa tin);",
            "TL. NGƯỜI CHỦ TRÌ CHÁNH VĂN PHÒNG",
            "Trần Văn Chánh",
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text}");
        }
        assert!(!text.contains("Trận địa"), "R5.1: no State secret in a public notice");
    }

    #[test]
    fn r7_3_a_peoples_committee_notice_follows_the_states_format() {
        let mut committee = host(Body::PeoplesCommittee);
        committee.office = None;
        let text = text_of(&public_notice(&conference(), &committee).pdf()).unwrap();
        assert!(text.contains("UBND THÀNH PHỐ HƯNG YÊN VĂN PHÒNG"), "{text}");
        assert!(text.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") && text.contains("Số: /TB-VP"), "{text}");
    }

    #[test]
    fn r7_4_an_invitation_names_the_official_and_what_they_answer() {
        let invitee = Invitee {
            name: "Phạm Văn Sở".into(),
            title: "Giám đốc".into(),
            agency: "Sở Nông nghiệp và Môi trường".into(),
            answers_agenda_items: vec![0, 1, 7],
        };
        let today = NaiveDate::from_ymd_opt(2026, 3, 3).unwrap();
        let document = invitation(&conference(), &host(Body::PartyCommittee), &invitee, today);
        let text = text_of(&document.pdf()).unwrap();
        for expected in [
            "GIẤY MỜI",
            "Số -GM/VPTU",
            "Hưng Yên, ngày 03 tháng 3 năm 2026",
            "trân trọng kính mời: đồng chí Phạm Văn Sở, Giám đốc, Sở Nông nghiệp và Môi trường.",
            "Thời gian: 08 giờ 00, thứ Ba, ngày 10/03/2026",
            "- Bồi thường đất nông nghiệp.",
            "- Như trên; - Lưu: VT.",
            "Trần Văn Chánh",
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text}");
        }
        assert!(!text.contains("Trận địa"), "a State secret item is not printed");
    }
}
