//! The rules of the record as pure functions: what may still be written
//! (R8.4), what a petition is (R5.1, R1.2), who answers (R8.4, R9.1), what
//! the conclusion notice must list (R10.2), who responds (R10.3) and where a
//! petition may be escalated (R10.4).

use chrono::NaiveDate;
use doithoai_proto::minutes::v1::{Classification, MinutesState, NoticeAssignment, Petition, PetitionStatus};
use doithoai_runtime::{
    Reason, ServiceError,
    parse::{self, invalid},
};

pub const MAX_TEXT: usize = 5000;

pub fn rule(rule: &'static str, en: impl Into<String>, vi: impl Into<String>) -> ServiceError {
    ServiceError::rule(rule, format!("{rule}: {}", en.into()), format!("{rule}: {}", vi.into()))
}

pub fn text(field: &str, value: &str) -> Result<String, ServiceError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_TEXT {
        return Err(invalid(
            field,
            format!("{field} must be 1 to {MAX_TEXT} characters"),
            format!("{field} phải từ 1 đến {MAX_TEXT} ký tự"),
        ));
    }
    Ok(value.to_owned())
}

/// R8.4: the host's conclusion ends the minutes; after that only the
/// signatures, and after the signatures only new, audited entries.
pub fn r8_4_minutes_open(state: MinutesState) -> Result<(), ServiceError> {
    match state {
        MinutesState::Open => Ok(()),
        MinutesState::Concluded => Err(rule(
            "R8.4",
            "the host has concluded; the minutes await signatures",
            "người chủ trì đã kết luận; biên bản chờ ký",
        )),
        _ => Err(rule(
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

pub fn classification(value: i32) -> Result<Classification, ServiceError> {
    match Classification::try_from(value) {
        Ok(c) if c != Classification::Unspecified => Ok(c),
        _ => Err(invalid("classification", "classification must be specified", "chưa phân loại ý kiến")),
    }
}

/// R1.2: only complaints and denunciations are referred, once.
pub fn r1_2_may_refer(petition: &Petition) -> Result<(), ServiceError> {
    let classification = Classification::try_from(petition.classification).unwrap_or_default();
    if follows_r10(classification) {
        return Err(rule(
            "R1.2",
            "only a complaint or a denunciation is referred to citizen reception",
            "chỉ khiếu nại, tố cáo mới chuyển sang tiếp công dân",
        ));
    }
    if petition.status != PetitionStatus::Recorded as i32 {
        return Err(rule("R1.2", "this matter was already handled", "ý kiến này đã được xử lý"));
    }
    Ok(())
}

/// R8.4 with R1.2: an answer closes a recorded petition at the conference;
/// a referred complaint is not answered here.
pub fn r8_4_may_answer(petition: &Petition) -> Result<(), ServiceError> {
    match PetitionStatus::try_from(petition.status).unwrap_or_default() {
        PetitionStatus::Recorded => {}
        PetitionStatus::Referred => {
            return Err(rule(
                "R1.2",
                "a referred complaint or denunciation is answered through citizen reception, not here",
                "khiếu nại, tố cáo đã chuyển được giải quyết theo thủ tục tiếp công dân",
            ));
        }
        _ => {
            return Err(rule(
                "R8.4",
                "the petition was already answered or handled",
                "ý kiến đã được trả lời hoặc xử lý",
            ));
        }
    }
    if !follows_r10(Classification::try_from(petition.classification).unwrap_or_default()) {
        return Err(rule(
            "R1.2",
            "refer a complaint or denunciation; it is not answered at the conference",
            "khiếu nại, tố cáo phải được chuyển, không trả lời tại hội nghị",
        ));
    }
    Ok(())
}

/// R8.4, R9.1: the host answers, or an official of an invited agency the host designates.
pub fn r8_4_answerer(organization: Option<&str>, official: &str, invited: &[String]) -> Result<(), ServiceError> {
    if let Some(organization) = organization {
        if !invited.iter().any(|id| id == organization) {
            return Err(rule(
                "R8.4",
                "only an official of an invited agency answers for the host",
                "chỉ lãnh đạo cơ quan được mời mới trả lời thay người chủ trì",
            ));
        }
        if official.trim().is_empty() {
            return Err(invalid("official_name", "the answering official is named", "phải ghi tên người trả lời"));
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
pub fn r10_2_notice_covers(petitions: &[Petition], assignments: &[NoticeAssignment]) -> Result<(), ServiceError> {
    for assignment in assignments {
        let Some(petition) = petitions.iter().find(|p| p.id == assignment.petition_id) else {
            return Err(rule(
                "R10.2",
                format!("petition {} is not a petition of this conference", assignment.petition_id),
                format!("ý kiến {} không thuộc hội nghị này", assignment.petition_id),
            ));
        };
        let classification = Classification::try_from(petition.classification).unwrap_or_default();
        if petition.status == PetitionStatus::Referred as i32 || !follows_r10(classification) {
            return Err(rule(
                "R1.2",
                format!(
                    "petition {} is a complaint or denunciation for citizen reception: not in the notice",
                    petition.id
                ),
                format!("ý kiến {} là khiếu nại, tố cáo chuyển tiếp công dân: không đưa vào thông báo", petition.id),
            ));
        }
        if !needs_notice(petition) {
            return Err(rule(
                "R10.2",
                format!("petition {} was answered or excluded: it is not in the notice", petition.id),
                format!("ý kiến {} đã được trả lời hoặc loại trừ", petition.id),
            ));
        }
        if assignments.iter().filter(|a| a.petition_id == assignment.petition_id).count() > 1 {
            return Err(rule(
                "R10.2",
                format!("petition {} is assigned twice", petition.id),
                format!("ý kiến {} được giao hai lần", petition.id),
            ));
        }
    }
    if let Some(missing) =
        petitions.iter().find(|p| needs_notice(p) && !assignments.iter().any(|a| a.petition_id == p.id))
    {
        return Err(rule(
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
    organization: &str,
    responded_on: NaiveDate,
    follows: NaiveDate,
) -> Result<(), ServiceError> {
    if petition.assigned_organization_id != organization {
        return Err(ServiceError::permission_denied(
            Reason::NotYourOrganization,
            "R10.3: only the agency the conclusion notice assigned responds",
            "R10.3: chỉ cơ quan được giao trong thông báo kết luận trả lời",
        ));
    }
    if petition.status != PetitionStatus::Assigned as i32 {
        return Err(rule("R10.3", "the assigned agency responds once", "cơ quan được giao chỉ trả lời một lần"));
    }
    parse::not_before(
        "response.responded_on",
        responded_on,
        follows,
        ("the conclusion notice's receipt", "ngày nhận thông báo kết luận"),
    )
}

/// R10.4: a petition goes up to a higher level: an ancestor of its unit.
pub fn r10_4_higher_level(petition_path: &[String], to_path: &[String]) -> Result<(), ServiceError> {
    let higher = to_path.len() < petition_path.len() && petition_path.starts_with(to_path);
    if !higher {
        return Err(rule(
            "R10.4",
            "a matter beyond the unit's authority goes to a higher level of that unit",
            "ý kiến vượt thẩm quyền được đề xuất lên cấp trên của đơn vị",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(r10_3_may_respond(&assigned, "agency", later, sent).is_ok());
        let other = r10_3_may_respond(&assigned, "other", later, sent).unwrap_err();
        assert_eq!(other.code(), tonic::Code::PermissionDenied, "a question of who, not of when");
        assert!(r10_3_may_respond(&assigned, "agency", parse::date("d", "2026-03-19").unwrap(), sent).is_err());
        assigned.status = PetitionStatus::Responded as i32;
        assert!(r10_3_may_respond(&assigned, "agency", later, sent).is_err());
    }

    #[test]
    fn r10_4_escalation_goes_to_a_higher_level() {
        let path = |codes: &[&str]| codes.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert!(r10_4_higher_level(&path(&["33", "323"]), &path(&["33"])).is_ok());
        assert!(r10_4_higher_level(&path(&["33", "323"]), &path(&["33", "323"])).is_err());
        assert!(r10_4_higher_level(&path(&["33", "323"]), &path(&["33", "325"])).is_err());
    }
}
