//! The rules of the record as pure functions: what may still be written
//! (R8.4), what a petition is (R5.1, R1.2), who answers (R8.4, R9.1), what
//! the conclusion notice must list (R10.2), who responds (R10.3) and where a
//! petition may be escalated (R10.4).

use chrono::NaiveDate;
use doithoai_proto::{
    common::v1::Field,
    minutes::v1::{
        Classification, ConclusionNotice, Minutes, MinutesState, NoticeAssignment, Petition, PetitionStatus, Signature,
    },
};
use doithoai_runtime::{Checked, Reason, Refusal, parse, time};

pub const MAX_TEXT: usize = 5000;

/// A text of the record: 1 to 5,000 characters, trimmed.
pub fn text(field: &str, value: &str) -> Checked<String> {
    parse::text(field, value, MAX_TEXT)
}

/// The largest response file kept (R10.3), under gRPC's 4 MiB message.
pub const MAX_ATTACHMENT: usize = 3 * 1024 * 1024;

/// The agency's response document as it attached it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content: Vec<u8>,
}

/// R10.3: the written response, when attached, is a PDF of at most 3 MiB; its
/// name is kept without any folder ("tra-loi.pdf" when none is given).
pub fn r10_3_response_attachment(file_name: &str, content: &[u8]) -> Checked<Option<Attachment>> {
    if content.is_empty() {
        return Ok(None);
    }
    if !content.starts_with(b"%PDF-") {
        return Err(Refusal::invalid(
            "attachment",
            "the response must be attached as a PDF",
            "văn bản trả lời phải đính kèm dạng PDF",
        ));
    }
    if content.len() > MAX_ATTACHMENT {
        return Err(Refusal::invalid(
            "attachment",
            "the attached response is larger than 3 MiB",
            "văn bản trả lời đính kèm lớn hơn 3 MiB",
        ));
    }
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let file_name =
        if base.is_empty() { "tra-loi.pdf".to_owned() } else { parse::text("attachment_file_name", base, 200)? };
    Ok(Some(Attachment { file_name, content: content.to_vec() }))
}

/// The day the minutes opened: the conference's first day, which the dates
/// of what followed it (a referral, an escalation, a notice) cannot precede.
pub fn opened_on(minutes: &Minutes) -> NaiveDate {
    minutes.opened_at.as_ref().and_then(time::instant).map(time::local_date).unwrap_or(parse::FIRST_DAY)
}

/// R8.4: the host's conclusion ends the minutes; after that only the
/// signatures, and after the signatures only new, audited entries.
pub fn r8_4_minutes_open(state: MinutesState) -> Checked {
    match state {
        MinutesState::Open => Ok(()),
        MinutesState::Concluded => Err(Refusal::rule(
            "R8.4",
            "the host has concluded; the minutes await signatures",
            "người chủ trì đã kết luận; biên bản chờ ký",
        )),
        _ => Err(Refusal::rule(
            "R8.4",
            "the minutes are signed and cannot change; add a correction instead",
            "biên bản đã ký, không sửa được; hãy bổ sung đính chính",
        )),
    }
}

/// Petitions, proposals and feedback follow R10; complaints and
/// denunciations are referred (R1.2).
pub fn follows_r10(classification: Classification) -> bool {
    matches!(classification, Classification::Petition | Classification::Proposal | Classification::Feedback)
}

pub fn classification(value: i32) -> Checked<Classification> {
    match Classification::try_from(value) {
        Ok(c) if c != Classification::Unspecified => Ok(c),
        _ => Err(Refusal::invalid("classification", "classification must be specified", "chưa phân loại ý kiến")),
    }
}

/// R1.2: only complaints and denunciations are referred, once.
pub fn r1_2_may_refer(petition: &Petition) -> Checked {
    let classification = Classification::try_from(petition.classification).unwrap_or_default();
    if follows_r10(classification) {
        return Err(Refusal::rule(
            "R1.2",
            "only a complaint or a denunciation is referred to citizen reception",
            "chỉ khiếu nại, tố cáo mới chuyển sang tiếp công dân",
        ));
    }
    if petition.status != PetitionStatus::Recorded as i32 {
        return Err(Refusal::rule("R1.2", "this matter was already handled", "ý kiến này đã được xử lý"));
    }
    Ok(())
}

/// R8.4 with R1.2: an answer closes a recorded petition at the conference;
/// a referred complaint is not answered here.
pub fn r8_4_may_answer(petition: &Petition) -> Checked {
    match PetitionStatus::try_from(petition.status).unwrap_or_default() {
        PetitionStatus::Recorded => {}
        PetitionStatus::Referred => {
            return Err(Refusal::rule(
                "R1.2",
                "a referred complaint or denunciation is answered through citizen reception, not here",
                "khiếu nại, tố cáo đã chuyển được giải quyết theo thủ tục tiếp công dân",
            ));
        }
        _ => {
            return Err(Refusal::rule(
                "R8.4",
                "the petition was already answered or handled",
                "ý kiến đã được trả lời hoặc xử lý",
            ));
        }
    }
    if !follows_r10(Classification::try_from(petition.classification).unwrap_or_default()) {
        return Err(Refusal::rule(
            "R1.2",
            "refer a complaint or denunciation; it is not answered at the conference",
            "khiếu nại, tố cáo phải được chuyển, không trả lời tại hội nghị",
        ));
    }
    Ok(())
}

/// R8.4, R9.1: the host answers, or an official of an invited agency the host designates.
pub fn r8_4_answerer(organization: Option<&str>, official: &str, invited: &[String]) -> Checked {
    if let Some(organization) = organization {
        if !invited.iter().any(|id| id == organization) {
            return Err(Refusal::rule(
                "R8.4",
                "only an official of an invited agency answers for the host",
                "chỉ lãnh đạo cơ quan được mời mới trả lời thay người chủ trì",
            ));
        }
        if official.trim().is_empty() {
            return Err(Refusal::invalid(
                "official_name",
                "the answering official is named",
                "phải ghi tên người trả lời",
            ));
        }
    }
    Ok(())
}

/// Needs an agency in the conclusion notice: a petition, proposal or
/// feedback neither answered nor excluded as a State secret.
pub fn needs_notice(petition: &Petition) -> bool {
    petition.status == PetitionStatus::Recorded as i32
        && !petition.state_secret
        && follows_r10(Classification::try_from(petition.classification).unwrap_or_default())
}

/// R10.2: the notice lists every petition not answered at the conference,
/// each with one agency, and nothing else.
pub fn r10_2_notice_covers(petitions: &[Petition], assignments: &[NoticeAssignment]) -> Checked {
    for assignment in assignments {
        let Some(petition) = petitions.iter().find(|p| p.id == assignment.petition_id) else {
            return Err(Refusal::rule(
                "R10.2",
                format!("petition {} is not a petition of this conference", assignment.petition_id),
                format!("ý kiến {} không thuộc hội nghị này", assignment.petition_id),
            ));
        };
        let classification = Classification::try_from(petition.classification).unwrap_or_default();
        if petition.status == PetitionStatus::Referred as i32 || !follows_r10(classification) {
            return Err(Refusal::rule(
                "R1.2",
                format!(
                    "petition {} is a complaint or denunciation for citizen reception: not in the notice",
                    petition.id
                ),
                format!("ý kiến {} là khiếu nại, tố cáo chuyển tiếp công dân: không đưa vào thông báo", petition.id),
            ));
        }
        if !needs_notice(petition) {
            return Err(Refusal::rule(
                "R10.2",
                format!("petition {} was answered or excluded: it is not in the notice", petition.id),
                format!("ý kiến {} đã được trả lời hoặc loại trừ", petition.id),
            ));
        }
        if assignments.iter().filter(|a| a.petition_id == assignment.petition_id).count() > 1 {
            return Err(Refusal::rule(
                "R10.2",
                format!("petition {} is assigned twice", petition.id),
                format!("ý kiến {} được giao hai lần", petition.id),
            ));
        }
    }
    if let Some(missing) =
        petitions.iter().find(|p| needs_notice(p) && !assignments.iter().any(|a| a.petition_id == p.id))
    {
        return Err(Refusal::rule(
            "R10.2",
            format!("petition {} was not answered at the conference and needs an agency in the notice", missing.id),
            format!("ý kiến {} chưa được trả lời tại hội nghị, phải giao cơ quan giải quyết", missing.id),
        ));
    }
    Ok(())
}

/// R10.3: the agency the notice assigned answers, once, after the notice.
pub fn r10_3_may_respond(
    petition: &Petition,
    represented: &[String],
    responded_on: NaiveDate,
    follows: NaiveDate,
) -> Checked {
    if !represented.contains(&petition.assigned_organization_id) {
        return Err(Refusal::denied(
            Reason::NotYourOrganization,
            "R10.3: only the agency the conclusion notice assigned responds",
            "R10.3: chỉ cơ quan được giao trong thông báo kết luận trả lời",
        ));
    }
    if petition.status != PetitionStatus::Assigned as i32 {
        return Err(Refusal::rule(
            "R10.3",
            "the assigned agency responds once",
            "cơ quan được giao chỉ trả lời một lần",
        ));
    }
    parse::not_before(
        "response.responded_on",
        responded_on,
        follows,
        ("the conclusion notice's receipt", "ngày nhận thông báo kết luận"),
    )
}

/// R10.4: a petition goes up to a higher level: an ancestor of its unit.
pub fn r10_4_higher_level(petition_path: &[String], to_path: &[String]) -> Checked {
    let higher = to_path.len() < petition_path.len() && petition_path.starts_with(to_path);
    if !higher {
        return Err(Refusal::rule(
            "R10.4",
            "a matter beyond the unit's authority goes to a higher level of that unit",
            "ý kiến vượt thẩm quyền được đề xuất lên cấp trên của đơn vị",
        ));
    }
    Ok(())
}

/// R5.1: a petition belongs to one of the fields the dialogue covers.
pub fn r5_1_field(field: Field) -> Checked<Field> {
    if field == Field::Unspecified {
        return Err(Refusal::rule(
            "R5.1",
            "a petition belongs to one of the fields of R5.1",
            "ý kiến phải thuộc một lĩnh vực tại R5.1",
        ));
    }
    Ok(field)
}

/// Who signs the minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Host,
    Secretary,
}

/// R8.4: after the host's conclusion the host and the secretary each sign
/// once; with both signatures the minutes are signed. Returns whether this
/// signature completed them.
pub fn r8_4_sign(minutes: &mut Minutes, signer: Signer, signature: Signature) -> Checked<bool> {
    if MinutesState::try_from(minutes.state).unwrap_or_default() != MinutesState::Concluded {
        return Err(Refusal::rule(
            "R8.4",
            "the minutes are signed after the host's conclusion, once",
            "biên bản được ký sau kết luận của người chủ trì, một lần",
        ));
    }
    let slot = match signer {
        Signer::Host => &mut minutes.host_signature,
        Signer::Secretary => &mut minutes.secretary_signature,
    };
    if slot.is_some() {
        return Err(Refusal::rule("R8.4", "already signed", "đã ký"));
    }
    *slot = Some(signature);
    let complete = minutes.host_signature.is_some() && minutes.secretary_signature.is_some();
    if complete {
        minutes.state = MinutesState::Signed as i32;
    }
    Ok(complete)
}

/// The entries that may be added to the minutes.
pub const ENTRY_KINDS: [&str; 3] = ["CORRECTION", "REVIEW_NOTE", "IMPLEMENTATION_REPORT"];

/// R8.4: signed minutes do not change; a correction is added as an entry of
/// its own, and only to signed minutes (open ones are changed directly).
pub fn r8_4_entry(kind: &str, state: MinutesState) -> Checked<String> {
    let kind = kind.trim().to_uppercase();
    if !ENTRY_KINDS.contains(&kind.as_str()) {
        return Err(Refusal::invalid(
            "kind",
            "kind is CORRECTION, REVIEW_NOTE or IMPLEMENTATION_REPORT",
            "loại phải là CORRECTION, REVIEW_NOTE hoặc IMPLEMENTATION_REPORT",
        ));
    }
    if kind == "CORRECTION" && state != MinutesState::Signed {
        return Err(Refusal::rule(
            "R8.4",
            "corrections are for signed minutes; change the open minutes directly",
            "chỉ đính chính biên bản đã ký",
        ));
    }
    Ok(kind)
}

/// R10.2: the notice carries the signed conclusion, and is issued once.
pub fn r10_2_may_issue(state: MinutesState, already_issued: bool) -> Checked {
    if state != MinutesState::Signed {
        return Err(Refusal::rule(
            "R10.2",
            "the notice carries the signed conclusion: sign the minutes first",
            "thông báo kết luận ban hành sau khi biên bản đã ký",
        ));
    }
    if already_issued {
        return Err(Refusal::repeated(
            "R10.2",
            "the conclusion notice was already issued",
            "thông báo kết luận đã được ban hành",
        ));
    }
    Ok(())
}

/// R10.3: each agency the notice assigns acknowledges its receipt, once, on
/// or after the sending; its clock runs from then. Marks the agency's
/// assignments received and returns their indices.
pub fn r10_3_acknowledge(
    notice: &mut ConclusionNotice,
    represented: &[String],
    received_on: NaiveDate,
) -> Checked<Vec<usize>> {
    let sent_on = parse::date("sent_on", &notice.sent_on)?;
    parse::not_before("received_on", received_on, sent_on, ("the notice's sending", "ngày gửi thông báo"))?;
    let mine: Vec<usize> = notice
        .assignments
        .iter()
        .enumerate()
        .filter(|(_, a)| represented.contains(&a.organization_id))
        .map(|(i, _)| i)
        .collect();
    if mine.is_empty() {
        return Err(Refusal::denied(
            Reason::NotYourOrganization,
            "the notice assigns nothing to this agency",
            "thông báo không giao ý kiến nào cho cơ quan này",
        ));
    }
    if mine.iter().all(|i| !notice.assignments[*i].received_on.is_empty()) {
        return Err(Refusal::repeated("R10.3", "receipt was already acknowledged", "đã xác nhận nhận thông báo"));
    }
    for i in &mine {
        notice.assignments[*i].received_on = received_on.to_string();
    }
    Ok(mine)
}

/// R10.3: the day an agency's answer follows: its receipt of the notice, or
/// the sending; a petition escalated from below has no notice of its own.
pub fn r10_3_answer_follows(notice: Option<&ConclusionNotice>, petition_id: &str) -> Checked<NaiveDate> {
    let Some(notice) = notice else { return Ok(parse::FIRST_DAY) };
    let assignment = notice.assignments.iter().find(|a| a.petition_id == petition_id);
    let received = assignment.map(|a| a.received_on.as_str()).filter(|r| !r.is_empty());
    parse::date("received_on", received.unwrap_or(&notice.sent_on))
}

/// R10.4: only a matter still to be resolved goes up a level.
pub fn r10_4_may_escalate(petition: &Petition) -> Checked {
    match PetitionStatus::try_from(petition.status).unwrap_or_default() {
        PetitionStatus::Recorded | PetitionStatus::Assigned => Ok(()),
        _ => Err(Refusal::rule(
            "R10.4",
            "only a petition still to be resolved is escalated",
            "chỉ đề xuất lên cấp trên ý kiến chưa được giải quyết",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r10_3_a_response_attachment_is_a_pdf_of_at_most_3_mib() {
        assert_eq!(r10_3_response_attachment("", b"").unwrap(), None, "attaching is optional");
        let kept = r10_3_response_attachment("C:\\Văn bản\\12-TL.pdf", b"%PDF-1.7 ...").unwrap().unwrap();
        assert_eq!(kept.file_name, "12-TL.pdf", "no folder is kept");
        assert_eq!(r10_3_response_attachment("", b"%PDF-1.4").unwrap().unwrap().file_name, "tra-loi.pdf");
        assert!(r10_3_response_attachment("a.docx", b"PK\x03\x04").is_err(), "not a PDF");
        let mut large = b"%PDF-1.7".to_vec();
        large.resize(MAX_ATTACHMENT + 1, b' ');
        assert!(r10_3_response_attachment("big.pdf", &large).is_err(), "over 3 MiB");
    }

    fn petition(id: &str, classification: Classification, status: PetitionStatus) -> Petition {
        Petition { id: id.into(), classification: classification as i32, status: status as i32, ..Default::default() }
    }

    #[test]
    fn r8_4_nothing_is_written_after_the_conclusion_but_signatures() {
        assert!(r8_4_minutes_open(MinutesState::Open).is_ok());
        assert!(r8_4_minutes_open(MinutesState::Concluded).is_err());
        assert!(r8_4_minutes_open(MinutesState::Signed).unwrap_err().to_string().starts_with("R8.4"));
    }

    #[test]
    fn r1_2_complaints_are_referred_and_not_answered() {
        let complaint = petition("c", Classification::Complaint, PetitionStatus::Recorded);
        assert!(r1_2_may_refer(&complaint).is_ok());
        assert!(r8_4_may_answer(&complaint).unwrap_err().to_string().starts_with("R1.2"));
        let referred = petition("c", Classification::Denunciation, PetitionStatus::Referred);
        assert!(r8_4_may_answer(&referred).unwrap_err().to_string().starts_with("R1.2"));
        assert!(r1_2_may_refer(&petition("p", Classification::Petition, PetitionStatus::Recorded)).is_err());
    }

    #[test]
    fn r8_4_the_host_or_an_invited_agency_answers() {
        let invited = vec!["agency-1".to_owned()];
        assert!(r8_4_answerer(None, "", &invited).is_ok());
        assert!(r8_4_answerer(Some("agency-1"), "Trưởng phòng", &invited).is_ok());
        assert!(r8_4_answerer(Some("agency-2"), "Trưởng phòng", &invited).unwrap_err().to_string().starts_with("R8.4"));
    }

    #[test]
    fn r10_2_the_notice_lists_every_unanswered_petition_once() {
        let petitions = vec![
            petition("open", Classification::Petition, PetitionStatus::Recorded),
            petition("answered", Classification::Proposal, PetitionStatus::Answered),
            petition("complaint", Classification::Complaint, PetitionStatus::Referred),
            Petition { state_secret: true, ..petition("secret", Classification::Feedback, PetitionStatus::Recorded) },
        ];
        let assign = |id: &str| NoticeAssignment {
            petition_id: id.into(),
            organization_id: "agency".into(),
            received_on: String::new(),
        };
        assert!(r10_2_notice_covers(&petitions, &[assign("open")]).is_ok());
        assert!(r10_2_notice_covers(&petitions, &[]).unwrap_err().to_string().contains("open"));
        assert!(r10_2_notice_covers(&petitions, &[assign("open"), assign("answered")]).is_err());
        assert!(r10_2_notice_covers(&petitions, &[assign("open"), assign("open")]).is_err());
    }

    #[test]
    fn r1_2_a_referred_complaint_is_kept_out_of_the_notice() {
        let petitions = vec![
            petition("open", Classification::Petition, PetitionStatus::Recorded),
            petition("complaint", Classification::Complaint, PetitionStatus::Referred),
        ];
        let assign = |id: &str| NoticeAssignment {
            petition_id: id.into(),
            organization_id: "agency".into(),
            received_on: String::new(),
        };
        let refused = r10_2_notice_covers(&petitions, &[assign("open"), assign("complaint")]).unwrap_err();
        assert!(refused.to_string().starts_with("R1.2"), "{refused}");
    }

    #[test]
    fn r10_3_only_the_assigned_agency_responds_once() {
        let mut assigned = petition("p", Classification::Petition, PetitionStatus::Assigned);
        assigned.assigned_organization_id = "agency".into();
        let (sent, later) = (parse::date("d", "2026-03-20").unwrap(), parse::date("d", "2026-04-10").unwrap());
        let (agency, other) = (["agency".to_owned()], ["other".to_owned()]);
        assert!(r10_3_may_respond(&assigned, &agency, later, sent).is_ok());
        let refused = r10_3_may_respond(&assigned, &other, later, sent).unwrap_err();
        assert_eq!(refused.code, tonic::Code::PermissionDenied, "a question of who, not of when");
        // The agency that took over the assigned one's work answers for it.
        assert!(r10_3_may_respond(&assigned, &["successor".to_owned(), "agency".to_owned()], later, sent).is_ok());
        assert!(r10_3_may_respond(&assigned, &agency, parse::date("d", "2026-03-19").unwrap(), sent).is_err());
        assigned.status = PetitionStatus::Responded as i32;
        assert!(r10_3_may_respond(&assigned, &agency, later, sent).is_err());
    }

    #[test]
    fn r10_4_escalation_goes_to_a_higher_level() {
        let path = |codes: &[&str]| codes.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert!(r10_4_higher_level(&path(&["33", "323"]), &path(&["33"])).is_ok());
        assert!(r10_4_higher_level(&path(&["33", "323"]), &path(&["33", "323"])).is_err());
        assert!(r10_4_higher_level(&path(&["33", "323"]), &path(&["33", "325"])).is_err());
    }

    fn signature() -> Signature {
        Signature { subject: "someone".into(), signed_at: None }
    }

    #[test]
    fn r5_1_a_petition_has_a_field() {
        assert_eq!(r5_1_field(Field::Unspecified).unwrap_err().id(), "R5.1");
        assert!(r5_1_field(Field::EconomyAndSociety).is_ok());
    }

    #[test]
    fn r8_4_the_host_and_the_secretary_each_sign_once_after_the_conclusion() {
        let mut minutes = Minutes { state: MinutesState::Open as i32, ..Default::default() };
        assert_eq!(r8_4_sign(&mut minutes, Signer::Host, signature()).unwrap_err().id(), "R8.4");
        minutes.state = MinutesState::Concluded as i32;
        assert_eq!(r8_4_sign(&mut minutes, Signer::Host, signature()), Ok(false));
        assert_eq!(r8_4_sign(&mut minutes, Signer::Host, signature()).unwrap_err().id(), "R8.4");
        assert_eq!(minutes.state, MinutesState::Concluded as i32);
        assert_eq!(r8_4_sign(&mut minutes, Signer::Secretary, signature()), Ok(true));
        assert_eq!(minutes.state, MinutesState::Signed as i32);
    }

    #[test]
    fn r8_4_corrections_only_to_signed_minutes() {
        assert_eq!(r8_4_entry(" correction ", MinutesState::Signed).as_deref(), Ok("CORRECTION"));
        assert_eq!(r8_4_entry("CORRECTION", MinutesState::Open).unwrap_err().id(), "R8.4");
        assert!(r8_4_entry("REVIEW_NOTE", MinutesState::Open).is_ok());
        assert_eq!(r8_4_entry("GOSSIP", MinutesState::Signed).unwrap_err().id(), "INVALID:kind");
    }

    #[test]
    fn r10_2_the_notice_follows_the_signatures_once() {
        assert_eq!(r10_2_may_issue(MinutesState::Concluded, false).unwrap_err().id(), "R10.2");
        assert!(r10_2_may_issue(MinutesState::Signed, false).is_ok());
        let again = r10_2_may_issue(MinutesState::Signed, true).unwrap_err();
        assert_eq!((again.code, again.id()), (tonic::Code::AlreadyExists, "R10.2".to_owned()));
    }

    #[test]
    fn r10_3_each_assigned_agency_acknowledges_receipt_once_after_the_sending() {
        let assign = |petition: &str, agency: &str| NoticeAssignment {
            petition_id: petition.into(),
            organization_id: agency.into(),
            received_on: String::new(),
        };
        let mut notice = ConclusionNotice {
            sent_on: "2026-03-20".into(),
            assignments: vec![assign("p1", "a"), assign("p2", "b"), assign("p3", "a")],
            ..Default::default()
        };
        let (before, on) = (parse::date("d", "2026-03-19").unwrap(), parse::date("d", "2026-03-23").unwrap());
        let (a, c) = (["a".to_owned()], ["c".to_owned()]);
        assert_eq!(r10_3_acknowledge(&mut notice, &a, before).unwrap_err().id(), "DATE_OUT_OF_ORDER");
        assert_eq!(r10_3_acknowledge(&mut notice, &c, on).unwrap_err().code, tonic::Code::PermissionDenied);
        assert_eq!(r10_3_acknowledge(&mut notice, &a, on), Ok(vec![0, 2]));
        assert_eq!(notice.assignments[1].received_on, "", "another agency's receipt is its own");
        assert_eq!(r10_3_acknowledge(&mut notice, &a, on).unwrap_err().code, tonic::Code::AlreadyExists);
        assert_eq!(r10_3_answer_follows(Some(&notice), "p1"), Ok(on));
        assert_eq!(r10_3_answer_follows(Some(&notice), "p2"), parse::date("d", "2026-03-20"));
        assert_eq!(r10_3_answer_follows(None, "p9"), Ok(parse::FIRST_DAY));
        // The agency that took over b's work acknowledges what was b's.
        assert_eq!(r10_3_acknowledge(&mut notice, &["d".to_owned(), "b".to_owned()], on), Ok(vec![1]));
    }

    #[test]
    fn r10_4_only_an_unresolved_petition_goes_up() {
        assert!(r10_4_may_escalate(&petition("p", Classification::Petition, PetitionStatus::Assigned)).is_ok());
        let answered = petition("p", Classification::Petition, PetitionStatus::Answered);
        assert_eq!(r10_4_may_escalate(&answered).unwrap_err().id(), "R10.4");
    }
}
