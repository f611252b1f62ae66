//! Posts: who is head or deputy of which body, and when (R2.1, R2.2).

use chrono::NaiveDate;
use doithoai_proto::scheduling::v1::{Body, Rank};
use doithoai_runtime::{Checked, Refusal};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: Uuid,
    pub unit_code: String,
    pub body: Body,
    pub rank: Rank,
    pub subject: Option<String>,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
}

impl Post {
    pub fn holds_on(&self, date: NaiveDate) -> bool {
        self.term_start <= date && self.term_end.is_none_or(|end| date <= end)
    }

    fn overlaps(&self, other: &Post) -> bool {
        let ends_before = |a: &Post, b: &Post| a.term_end.is_some_and(|end| end < b.term_start);
        !ends_before(self, other) && !ends_before(other, self)
    }

    /// Whether the post's term touches `year` at all.
    pub fn serves_in(&self, year: i32) -> bool {
        let (first, last) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31));
        match (first, last) {
            (Some(first), Some(last)) => self.term_start <= last && self.term_end.is_none_or(|end| end >= first),
            _ => false,
        }
    }
}

pub fn body_title(body: Body) -> (&'static str, &'static str) {
    match body {
        Body::PartyCommittee => ("the Party secretary", "Bí thư"),
        Body::PeoplesCouncil => ("the chair of the People's Council", "Chủ tịch HĐND"),
        _ => ("the chair of the People's Committee", "Chủ tịch UBND"),
    }
}

/// A term ends on or after the day it starts.
pub fn check_term(start: NaiveDate, end: Option<NaiveDate>) -> Checked {
    match end {
        Some(end) if end < start => Err(Refusal::invalid(
            "term_end",
            format!("the term ends ({end}) before it starts ({start})"),
            format!("nhiệm kỳ kết thúc ({end}) trước khi bắt đầu ({start})"),
        )),
        _ => Ok(()),
    }
}

/// R2.1: a body has one head at a time, so the host of a date is certain.
pub fn r2_1_one_head_at_a_time(post: &Post, others: &[Post]) -> Checked {
    if post.rank != Rank::Head {
        return Ok(());
    }
    let clash = others.iter().find(|o| {
        o.id != post.id
            && o.rank == Rank::Head
            && o.unit_code == post.unit_code
            && o.body == post.body
            && o.overlaps(post)
    });
    match clash {
        Some(other) => Err(Refusal::rule(
            "R2.1",
            format!(
                "unit {} already has a head of this body from {} (post {})",
                post.unit_code, other.term_start, other.id
            ),
            format!(
                "đơn vị {} đã có người đứng đầu cơ quan này từ {} (chức vụ {})",
                post.unit_code, other.term_start, other.id
            ),
        )),
        None => Ok(()),
    }
}

/// R2.1: only the head of the conference's unit and body, holding the post
/// on the conference's date, hosts it.
pub fn r2_1_host_is_the_head(host: &Post, unit_code: &str, body: Body, on: NaiveDate) -> Checked {
    let (en_title, vi_title) = body_title(body);
    if host.rank != Rank::Head || host.unit_code != unit_code || host.body != body {
        return Err(Refusal::rule(
            "R2.1",
            format!("only {en_title} of unit {unit_code} may host this conference"),
            format!("chỉ {vi_title} của đơn vị {unit_code} được chủ trì hội nghị này"),
        ));
    }
    if !host.holds_on(on) {
        return Err(Refusal::rule(
            "R2.1",
            format!("the host does not hold the post on {on}"),
            format!("người chủ trì không giữ chức vụ vào ngày {on}"),
        ));
    }
    Ok(())
}

/// R2.2: a deputy of the same unit and body, holding the post on the date,
/// hosts for the head only with a recorded force-majeure reason.
pub fn r2_2_deputy_hosts_by_delegation(head: &Post, deputy: &Post, reason: &str, on: NaiveDate) -> Checked {
    if reason.trim().is_empty() {
        return Err(Refusal::rule(
            "R2.2",
            "a delegation needs the force-majeure reason",
            "ủy quyền chủ trì phải ghi rõ lý do bất khả kháng",
        ));
    }
    if deputy.rank != Rank::Deputy || deputy.unit_code != head.unit_code || deputy.body != head.body {
        return Err(Refusal::rule(
            "R2.2",
            "only a deputy of the same body and unit may host for the head",
            "chỉ cấp phó của cùng cơ quan, cùng đơn vị được chủ trì thay",
        ));
    }
    if !deputy.holds_on(on) {
        return Err(Refusal::rule(
            "R2.2",
            format!("the deputy does not hold the post on {on}"),
            format!("cấp phó không giữ chức vụ vào ngày {on}"),
        ));
    }
    Ok(())
}

/// An office or agency, as far as its succession goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub id: Uuid,
    pub active: bool,
    pub successor: Option<Uuid>,
    pub ended_on: Option<NaiveDate>,
}

/// What a succession asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Succession {
    /// The agency ends on `last_day` and its successor takes over.
    Apply { last_day: NaiveDate },
    /// It already did, with the same successor and day: nothing changes.
    Done,
}

/// R10.3 follows the successor: an agency ends once, passing its work to
/// another agency that is active and has not ended itself (so the chain of
/// successors never turns back).
pub fn r10_3_succession(agency: &Agency, successor: &Agency, effective: NaiveDate) -> Checked<Succession> {
    if agency.id == successor.id {
        return Err(Refusal::invalid(
            "successor_id",
            "an agency cannot succeed itself",
            "cơ quan không thể tự kế thừa chính mình",
        ));
    }
    let last_day = effective.pred_opt().unwrap_or(effective);
    if let Some(ended) = agency.ended_on {
        if agency.successor == Some(successor.id) && ended == last_day {
            return Ok(Succession::Done);
        }
        let after = agency.successor.map(|s| s.to_string()).unwrap_or_default();
        return Err(Refusal::lifecycle(
            format!("agency {} already ended on {ended}, succeeded by {after}", agency.id),
            format!("cơ quan {} đã kết thúc ngày {ended}, được kế thừa bởi {after}", agency.id),
        ));
    }
    if !successor.active || successor.ended_on.is_some() {
        return Err(Refusal::lifecycle(
            format!("the successor {} is not an active agency", successor.id),
            format!("cơ quan kế thừa {} không còn hoạt động", successor.id),
        ));
    }
    Ok(Succession::Apply { last_day })
}

/// An agency that ended stays inactive: its work is its successor's.
pub fn may_change(agency: &Agency, active: bool) -> Checked {
    match agency.ended_on {
        Some(ended) if active => Err(Refusal::lifecycle(
            format!("agency {} ended on {ended}; its successor acts for it", agency.id),
            format!("cơ quan {} đã kết thúc ngày {ended}; cơ quan kế thừa thực hiện thay", agency.id),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn post(rank: Rank, body: Body, start: &str, end: Option<&str>) -> Post {
        Post {
            id: Uuid::now_v7(),
            unit_code: "323".into(),
            body,
            rank,
            subject: None,
            term_start: date(start),
            term_end: end.map(date),
        }
    }

    #[test]
    fn r2_1_only_a_head_of_that_unit_and_body_hosts() {
        let head = post(Rank::Head, Body::PartyCommittee, "2021-01-01", None);
        assert!(r2_1_host_is_the_head(&head, "323", Body::PartyCommittee, date("2026-03-01")).is_ok());
        let refused = r2_1_host_is_the_head(&head, "323", Body::PeoplesCommittee, date("2026-03-01")).unwrap_err();
        assert_eq!(refused.id(), "R2.1");
        assert!(r2_1_host_is_the_head(&head, "325", Body::PartyCommittee, date("2026-03-01")).is_err());
        let deputy = post(Rank::Deputy, Body::PartyCommittee, "2021-01-01", None);
        assert_eq!(
            r2_1_host_is_the_head(&deputy, "323", Body::PartyCommittee, date("2026-03-01")).unwrap_err().id(),
            "R2.1"
        );
    }

    #[test]
    fn r2_1_the_head_is_whoever_held_the_post_on_the_date() {
        let outgoing = post(Rank::Head, Body::PeoplesCommittee, "2021-01-01", Some("2026-06-30"));
        let incoming = post(Rank::Head, Body::PeoplesCommittee, "2026-07-01", None);
        let (may, august) = (date("2026-05-20"), date("2026-08-20"));
        assert!(r2_1_host_is_the_head(&outgoing, "323", Body::PeoplesCommittee, may).is_ok());
        assert!(r2_1_host_is_the_head(&outgoing, "323", Body::PeoplesCommittee, august).is_err());
        assert!(r2_1_host_is_the_head(&incoming, "323", Body::PeoplesCommittee, august).is_ok());
        assert!(r2_1_host_is_the_head(&incoming, "323", Body::PeoplesCommittee, may).is_err());
    }

    #[test]
    fn r2_1_one_head_per_body_at_a_time() {
        let first = post(Rank::Head, Body::PeoplesCouncil, "2021-01-01", Some("2026-06-30"));
        let overlapping = post(Rank::Head, Body::PeoplesCouncil, "2026-06-01", None);
        let following = post(Rank::Head, Body::PeoplesCouncil, "2026-07-01", None);
        assert_eq!(r2_1_one_head_at_a_time(&overlapping, std::slice::from_ref(&first)).unwrap_err().id(), "R2.1");
        assert!(r2_1_one_head_at_a_time(&following, std::slice::from_ref(&first)).is_ok());
        let deputy = post(Rank::Deputy, Body::PeoplesCouncil, "2026-06-01", None);
        assert!(r2_1_one_head_at_a_time(&deputy, &[first]).is_ok(), "deputies may be many");
    }

    #[test]
    fn r2_2_a_deputy_hosts_only_with_a_recorded_reason() {
        let head = post(Rank::Head, Body::PeoplesCommittee, "2021-01-01", None);
        let deputy = post(Rank::Deputy, Body::PeoplesCommittee, "2021-01-01", None);
        let on = date("2026-03-01");
        assert!(r2_2_deputy_hosts_by_delegation(&head, &deputy, "ốm đột xuất", on).is_ok());
        assert_eq!(r2_2_deputy_hosts_by_delegation(&head, &deputy, "  ", on).unwrap_err().id(), "R2.2");
    }

    #[test]
    fn r2_2_only_a_deputy_of_the_same_body_and_unit() {
        let head = post(Rank::Head, Body::PeoplesCommittee, "2021-01-01", None);
        let other_body = post(Rank::Deputy, Body::PartyCommittee, "2021-01-01", None);
        let on = date("2026-03-01");
        assert_eq!(
            r2_2_deputy_hosts_by_delegation(&head, &other_body, "công tác đột xuất", on).unwrap_err().id(),
            "R2.2"
        );
        let former = post(Rank::Deputy, Body::PeoplesCommittee, "2021-01-01", Some("2025-12-31"));
        assert_eq!(r2_2_deputy_hosts_by_delegation(&head, &former, "công tác đột xuất", on).unwrap_err().id(), "R2.2");
    }

    #[test]
    fn a_term_cannot_end_before_it_starts() {
        assert!(check_term(date("2026-01-01"), Some(date("2025-12-31"))).is_err());
        assert!(check_term(date("2026-01-01"), Some(date("2026-01-01"))).is_ok());
    }

    fn agency() -> Agency {
        Agency { id: Uuid::now_v7(), active: true, successor: None, ended_on: None }
    }

    #[test]
    fn r10_3_succession_passes_the_work_once_to_an_active_agency() {
        let (district, province) = (agency(), agency());
        let effective = date("2025-07-01");
        assert_eq!(
            r10_3_succession(&district, &province, effective).unwrap(),
            Succession::Apply { last_day: date("2025-06-30") }
        );
        let ended =
            Agency { active: false, successor: Some(province.id), ended_on: Some(date("2025-06-30")), ..district };
        assert_eq!(r10_3_succession(&ended, &province, effective).unwrap(), Succession::Done, "asked again");
        let elsewhere = r10_3_succession(&ended, &agency(), effective).unwrap_err();
        assert_eq!((elsewhere.id(), elsewhere.en.contains("already ended on 2025-06-30")), ("LIFECYCLE".into(), true));
        assert!(r10_3_succession(&ended, &province, date("2025-08-01")).is_err(), "another day");
        // The successor acts: not itself, not an ended or inactive agency.
        let itself = r10_3_succession(&province, &province, effective).unwrap_err();
        assert_eq!(itself.violations[0].0, "successor_id");
        assert_eq!(r10_3_succession(&province, &ended, effective).unwrap_err().id(), "LIFECYCLE");
        let inactive = Agency { active: false, ..agency() };
        assert!(r10_3_succession(&province, &inactive, effective).is_err());
    }

    #[test]
    fn an_ended_agency_is_not_reactivated() {
        let ended =
            Agency { active: false, successor: Some(Uuid::now_v7()), ended_on: Some(date("2025-06-30")), ..agency() };
        assert_eq!(may_change(&ended, true).unwrap_err().id(), "LIFECYCLE");
        assert!(may_change(&ended, false).is_ok());
        assert!(may_change(&agency(), false).is_ok());
    }
}
