//! The clocks as pure functions over the legal calendar: when an obligation
//! is due (R10.2: 10 working days; R10.3: 30), what state a date puts it in,
//! and how it closed.

use chrono::NaiveDate;
use doithoai_calendar::{Calendar, CalendarError};
use doithoai_proto::deadlines::v1::{ObligationKind, ObligationState as State};
use doithoai_runtime::{Checked, Refusal};

/// R10.2: the conclusion notice within 10 working days of the conference.
pub const NOTICE_WORKING_DAYS: u32 = 10;
/// R10.3 (and R10.4): the written answer within 30 working days.
pub const RESPONSE_WORKING_DAYS: u32 = 30;

/// A due date with the revision of the calendar it came from and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub date: NaiveDate,
    pub revision: String,
    pub explanation: Vec<String>,
}

pub fn due(calendar: &Calendar, anchor: NaiveDate, working_days: u32) -> Result<Due, CalendarError> {
    let explained = calendar.explain(anchor, working_days)?;
    let explanation = explained
        .skipped
        .iter()
        .map(|s| {
            let name = s.day.name.as_ref().map(|(vi, _)| format!(": {vi}")).unwrap_or_default();
            format!("{} {}{name}", s.day.date, s.day.kind.describe())
        })
        .chain(explained.make_up_days.iter().map(|d| format!("{} counted: {}", d.date, d.kind.describe())))
        .collect();
    Ok(Due { date: explained.due, revision: explained.revision, explanation })
}

/// The state of an open obligation on `today`: overdue from the day after the
/// due date, due soon within `soon` working days of it.
pub fn state_on(calendar: &Calendar, due: NaiveDate, today: NaiveDate, soon: u32) -> Result<State, CalendarError> {
    if today > due {
        return Ok(State::Overdue);
    }
    if calendar.working_days_between(today, due)? <= i64::from(soon) {
        return Ok(State::DueSoon);
    }
    Ok(State::Open)
}

/// What the state of an open obligation is measured against: a day, and how
/// many working days before its due date it is due soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    pub today: NaiveDate,
    pub due_soon_working_days: u32,
}

/// How far along an open obligation is.
fn stage(state: State) -> u8 {
    match state {
        State::DueSoon => 1,
        State::Overdue => 2,
        _ => 0,
    }
}

/// The state of an open obligation whose due date moved (a later receipt,
/// a calendar revision): back to what the new date gives when that is less
/// far along, never forward — moving forward is the sweeper's transition.
pub fn after_a_move(calendar: &Calendar, was: State, due: NaiveDate, horizon: Horizon) -> Result<State, CalendarError> {
    let now = state_on(calendar, due, horizon.today, horizon.due_soon_working_days)?;
    Ok(if stage(now) < stage(was) { now } else { was })
}

/// Whether reaching `state` is announced: only the first time an obligation
/// gets that far (events.proto: once per obligation).
pub fn first_reached(state: State, announced: State) -> bool {
    stage(state) > stage(announced)
}

/// The frozen outcome of a met obligation.
pub fn outcome(due: NaiveDate, met_on: NaiveDate) -> State {
    if met_on <= due { State::MetOnTime } else { State::MetLate }
}

/// Whether a due date is a count of working days from its anchor (R10.2,
/// R10.3, R10.4, R13.1) and so moves with a new calendar revision; a fixed
/// date (R6.2's 31 December, or the end of a term) never does.
pub fn moves_with_the_calendar(kind: ObligationKind) -> bool {
    COUNTED_IN_WORKING_DAYS.contains(&kind)
}

pub const COUNTED_IN_WORKING_DAYS: [ObligationKind; 5] = [
    ObligationKind::ConclusionNotice,
    ObligationKind::AgencyResponse,
    ObligationKind::EscalationNotice,
    ObligationKind::ReportHalfYear,
    ObligationKind::ReportYear,
];

/// The due date under a new calendar revision, with the line that says why
/// it moved; `None` when it stays.
pub fn rescheduled(
    calendar: &Calendar,
    kind: ObligationKind,
    anchor: NaiveDate,
    working_days: u32,
    current: NaiveDate,
) -> Result<Option<Due>, CalendarError> {
    if !moves_with_the_calendar(kind) {
        return Ok(None);
    }
    let mut due = due(calendar, anchor, working_days)?;
    if due.date == current {
        return Ok(None);
    }
    let revision = calendar.revision();
    let document = revision.latest.as_deref().unwrap_or("a new announcement");
    due.explanation.push(format!("moved from {current}: calendar revision {} ({document})", revision.id));
    Ok(Some(due))
}

pub fn is_open(state: State) -> bool {
    matches!(state, State::Open | State::DueSoon | State::Overdue)
}

/// R13.1: a report owed is filed once.
pub fn r13_1_filed_once(state: State) -> Checked {
    if is_open(state) {
        return Ok(());
    }
    Err(Refusal::rule("R13.1", "this report was already filed", "báo cáo này đã được nộp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r10_3_a_moved_due_date_never_announces_a_state_twice() {
        let calendar = Calendar::builtin();
        let horizon = Horizon { today: date("2026-05-11"), due_soon_working_days: 3 };
        // A late receipt moves an overdue response's due date to one past as well.
        assert_eq!(after_a_move(calendar, State::Overdue, date("2026-05-07"), horizon), Ok(State::Overdue));
        // …or to one still ahead: it is open again, and overdue is not announced a second time.
        assert_eq!(after_a_move(calendar, State::Overdue, date("2026-06-30"), horizon), Ok(State::Open));
        assert!(!first_reached(State::Overdue, State::Overdue));
        // A move never jumps forward: the sweeper makes that transition and announces it.
        assert_eq!(after_a_move(calendar, State::Open, date("2026-05-01"), horizon), Ok(State::Open));
        assert!(first_reached(State::DueSoon, State::Open));
        assert!(first_reached(State::Overdue, State::DueSoon));
    }

    #[test]
    fn r13_1_a_report_is_filed_once() {
        assert!(r13_1_filed_once(State::Overdue).is_ok());
        assert_eq!(r13_1_filed_once(State::MetOnTime).unwrap_err().id(), "R13.1");
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn r10_2_the_notice_is_due_ten_working_days_after_the_conference() {
        // Tuesday 10 March 2026 → Tuesday 24 March, two weekends skipped.
        let due = due(Calendar::builtin(), date("2026-03-10"), NOTICE_WORKING_DAYS).unwrap();
        assert_eq!(due.date, date("2026-03-24"));
        assert_eq!(due.explanation.len(), 4);
    }

    #[test]
    fn r10_2_a_conference_just_before_tet_waits_out_the_holiday() {
        // Tuesday 10 February 2026; Tết 2026 is 16–20 February (Thông báo 9441/TB-BNV).
        let due = due(Calendar::builtin(), date("2026-02-10"), NOTICE_WORKING_DAYS).unwrap();
        assert_eq!(due.date, date("2026-03-03"));
        assert!(due.explanation.iter().any(|line| line.contains("Tết Nguyên đán")), "{:?}", due.explanation);
    }

    #[test]
    fn r10_3_the_response_is_due_thirty_working_days_after_receipt() {
        // Monday 23 March 2026: 27 April (for Giỗ Tổ on a Sunday), 30 April and 1 May are off.
        assert_eq!(
            due(Calendar::builtin(), date("2026-03-23"), RESPONSE_WORKING_DAYS).unwrap().date,
            date("2026-05-07")
        );
    }

    #[test]
    fn overdue_starts_the_day_after_the_due_date() {
        let calendar = Calendar::builtin();
        let due = date("2026-03-24");
        assert_eq!(state_on(calendar, due, date("2026-03-10"), 3).unwrap(), State::Open);
        assert_eq!(state_on(calendar, due, date("2026-03-19"), 3).unwrap(), State::DueSoon);
        assert_eq!(state_on(calendar, due, due, 3).unwrap(), State::DueSoon);
        assert_eq!(state_on(calendar, due, date("2026-03-25"), 3).unwrap(), State::Overdue);
    }

    fn extra_day_off(date: &str) -> Calendar {
        let text = format!(
            r#"[[announcement]]
            id = "extra"
            document = "Thông báo (kiểm thử)"
            issued = "2026-04-01"
            issuer = "Bộ Nội vụ"
            source = "test"
            replaces = []
            days_off = [{{ date = "{date}", name = "Ngày nghỉ", name_en = "Day off" }}]"#
        );
        Calendar::builtin().with_announcements(&text).unwrap()
    }

    #[test]
    fn r10_3_a_day_off_inside_the_window_moves_the_due_date_a_day_explained() {
        let calendar = extra_day_off("2026-04-15");
        let moved = rescheduled(&calendar, ObligationKind::AgencyResponse, date("2026-03-23"), 30, date("2026-05-07"))
            .unwrap()
            .unwrap();
        assert_eq!(moved.date, date("2026-05-08"));
        assert!(moved.explanation.iter().any(|line| line.starts_with("2026-04-15")), "{:?}", moved.explanation);
        assert!(moved.explanation.last().unwrap().starts_with("moved from 2026-05-07"));
    }

    #[test]
    fn r10_2_a_day_off_outside_the_window_moves_nothing() {
        let calendar = extra_day_off("2026-06-15");
        let kept = rescheduled(&calendar, ObligationKind::ConclusionNotice, date("2026-03-10"), 10, date("2026-03-24"));
        assert_eq!(kept.unwrap(), None);
    }

    #[test]
    fn r6_2_the_year_end_never_moves_with_the_calendar() {
        let calendar = extra_day_off("2026-12-31");
        let kept = rescheduled(&calendar, ObligationKind::PeriodicDialogue, date("2026-01-01"), 0, date("2026-12-31"));
        assert_eq!(kept.unwrap(), None);
        assert!(moves_with_the_calendar(ObligationKind::ReportHalfYear), "R13.1 reports count working days");
    }

    #[test]
    fn met_on_the_due_date_is_on_time() {
        assert_eq!(outcome(date("2026-03-24"), date("2026-03-24")), State::MetOnTime);
        assert_eq!(outcome(date("2026-03-24"), date("2026-03-25")), State::MetLate);
    }
}
