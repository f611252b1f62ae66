//! Each province's figures, folded from its deadlines events. Every event
//! carries the obligation as it is after the change, so the last one seen for
//! an obligation is its state; a province's events arrive in the order it
//! published them.

use std::collections::{BTreeMap, HashMap, HashSet};

use doithoai_proto::{
    common::v1::EventEnvelope,
    deadlines::v1::{
        DeadlineCancelled, DeadlineDueSoon, DeadlineMet, DeadlineOverdue, DeadlineRescheduled, Obligation,
        ObligationKind as Kind, ObligationOpened, ObligationState as State,
    },
};
use doithoai_runtime::events::decode_payload;
use serde::Serialize;

/// What the hub knows of every province's obligations.
#[derive(Debug, Default)]
pub struct Figures {
    obligations: HashMap<String, Latest>,
    /// Event ids taken in: a message delivered twice changes nothing.
    seen: HashSet<String>,
}

#[derive(Debug)]
struct Latest {
    province: String,
    kind: Kind,
    state: State,
    head: String,
}

/// One province's figures, as the national summary shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Province {
    /// The province's unit code (the first of every unit path under it).
    pub code: String,
    /// Obligations by kind, then by state (`CONCLUSION_NOTICE` → `OVERDUE` → 2).
    pub obligations: BTreeMap<String, BTreeMap<String, u64>>,
    /// Met on time among those met or overdue, as the province's own summary
    /// computes it; 0 when none is rated.
    pub on_time_rate: f64,
    /// Heads whose periodic dialogue (R6.2) is still owed or overdue.
    pub heads_without_dialogue: u64,
    /// Overdue obligations by kind.
    pub overdue_by_kind: BTreeMap<String, u64>,
}

impl Figures {
    /// Takes in one event; returns whether it was an obligation's news not
    /// seen before. Reminders and other services' events change nothing.
    pub fn apply(&mut self, envelope: &EventEnvelope) -> anyhow::Result<bool> {
        let Some(obligation) = obligation_of(envelope)? else { return Ok(false) };
        if !self.seen.insert(envelope.event_id.clone()) {
            return Ok(false);
        }
        let province = obligation.unit_path.first().cloned().unwrap_or_default();
        let latest =
            Latest { province, kind: obligation.kind(), state: obligation.state(), head: obligation.head_position_id };
        self.obligations.insert(obligation.id, latest);
        Ok(true)
    }

    /// Every province heard from, by code.
    pub fn provinces(&self) -> Vec<Province> {
        let mut provinces: BTreeMap<&str, Province> = BTreeMap::new();
        let mut heads: HashMap<&str, HashSet<&str>> = HashMap::new();
        for latest in self.obligations.values() {
            let province = provinces.entry(&latest.province).or_insert_with(|| Province {
                code: latest.province.clone(),
                obligations: BTreeMap::new(),
                on_time_rate: 0.0,
                heads_without_dialogue: 0,
                overdue_by_kind: BTreeMap::new(),
            });
            let kind = name(latest.kind.as_str_name(), "OBLIGATION_KIND_");
            let state = name(latest.state.as_str_name(), "OBLIGATION_STATE_");
            *province.obligations.entry(kind.clone()).or_default().entry(state).or_default() += 1;
            if latest.state == State::Overdue {
                *province.overdue_by_kind.entry(kind).or_default() += 1;
            }
            let owed = matches!(latest.state, State::Open | State::DueSoon | State::Overdue);
            if latest.kind == Kind::PeriodicDialogue && owed {
                heads.entry(&latest.province).or_default().insert(&latest.head);
            }
        }
        for province in provinces.values_mut() {
            let count = |state: &str| -> u64 { province.obligations.values().filter_map(|s| s.get(state)).sum() };
            let (on_time, rated) = (count("MET_ON_TIME"), count("MET_ON_TIME") + count("MET_LATE") + count("OVERDUE"));
            province.on_time_rate = if rated > 0 { on_time as f64 / rated as f64 } else { 0.0 };
            province.heads_without_dialogue = heads.get(province.code.as_str()).map_or(0, |h| h.len() as u64);
        }
        provinces.into_values().collect()
    }
}

fn name(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix).unwrap_or(full).to_owned()
}

/// The obligation an event of the deadlines service carries, if any.
fn obligation_of(envelope: &EventEnvelope) -> anyhow::Result<Option<Obligation>> {
    let obligation = if let Some(e) = decode_payload::<ObligationOpened>(envelope)? {
        e.obligation
    } else if let Some(e) = decode_payload::<DeadlineDueSoon>(envelope)? {
        e.obligation
    } else if let Some(e) = decode_payload::<DeadlineOverdue>(envelope)? {
        e.obligation
    } else if let Some(e) = decode_payload::<DeadlineMet>(envelope)? {
        e.obligation
    } else if let Some(e) = decode_payload::<DeadlineCancelled>(envelope)? {
        e.obligation
    } else if let Some(e) = decode_payload::<DeadlineRescheduled>(envelope)? {
        e.obligation
    } else {
        None
    };
    Ok(obligation)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use doithoai_proto::deadlines::v1::DeadlineReminder;
    use prost::{Message, Name};

    use super::*;

    fn obligation(id: &str, path: &[&str], kind: Kind, state: State, head: &str) -> Obligation {
        Obligation {
            id: id.into(),
            kind: kind as i32,
            unit_path: path.iter().map(|c| (*c).to_owned()).collect(),
            state: state as i32,
            head_position_id: head.into(),
            ..Default::default()
        }
    }

    fn event<M: Message + Name>(event_id: &str, message: &M) -> EventEnvelope {
        EventEnvelope {
            event_id: event_id.into(),
            event_type: M::full_name(),
            payload: message.encode_to_vec(),
            ..Default::default()
        }
    }

    fn opened(event_id: &str, o: Obligation) -> EventEnvelope {
        event(event_id, &ObligationOpened { obligation: Some(o) })
    }

    #[test]
    fn the_last_event_of_an_obligation_is_its_state() {
        let mut figures = Figures::default();
        let notice = |state| obligation("a", &["33", "11974"], Kind::ConclusionNotice, state, "");
        figures.apply(&opened("e1", notice(State::Open))).unwrap();
        figures.apply(&event("e2", &DeadlineOverdue { obligation: Some(notice(State::Overdue)) })).unwrap();
        figures.apply(&event("e3", &DeadlineMet { obligation: Some(notice(State::MetLate)) })).unwrap();
        let [province] = figures.provinces().try_into().unwrap();
        assert_eq!(province.code, "33");
        assert_eq!(province.obligations["CONCLUSION_NOTICE"], BTreeMap::from([("MET_LATE".to_owned(), 1)]));
        assert!(province.overdue_by_kind.is_empty());
        assert_eq!(province.on_time_rate, 0.0);
    }

    #[test]
    fn an_event_delivered_twice_does_not_undo_a_later_one() {
        let mut figures = Figures::default();
        let response = |state| obligation("r", &["33", "11974"], Kind::AgencyResponse, state, "");
        let overdue = event("e2", &DeadlineOverdue { obligation: Some(response(State::Overdue)) });
        assert!(figures.apply(&opened("e1", response(State::Open))).unwrap());
        assert!(figures.apply(&overdue).unwrap());
        assert!(figures.apply(&event("e3", &DeadlineMet { obligation: Some(response(State::MetLate)) })).unwrap());
        assert!(!figures.apply(&overdue).unwrap(), "a redelivery is news to nobody");
        assert_eq!(figures.provinces()[0].obligations["AGENCY_RESPONSE"]["MET_LATE"], 1);
    }

    #[test]
    fn on_time_rate_counts_met_and_overdue_by_province() {
        let mut figures = Figures::default();
        let states = [State::MetOnTime, State::MetOnTime, State::MetLate, State::Overdue, State::Open];
        for (n, state) in states.into_iter().enumerate() {
            let o = obligation(&format!("h{n}"), &["33", "11974"], Kind::AgencyResponse, state, "");
            figures.apply(&opened(&format!("e{n}"), o)).unwrap();
        }
        let other = obligation("x", &["01", "00004"], Kind::ConclusionNotice, State::Overdue, "");
        figures.apply(&opened("ex", other)).unwrap();
        let provinces = figures.provinces();
        assert_eq!(provinces.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["01", "33"]);
        assert_eq!(provinces[1].on_time_rate, 0.5, "2 on time of 4 met or overdue; the open one is not rated");
        assert_eq!(provinces[1].overdue_by_kind, BTreeMap::from([("AGENCY_RESPONSE".to_owned(), 1)]));
        assert_eq!(provinces[0].overdue_by_kind, BTreeMap::from([("CONCLUSION_NOTICE".to_owned(), 1)]));
        assert_eq!(provinces[0].on_time_rate, 0.0);
    }

    #[test]
    fn r6_2_heads_without_a_dialogue_are_those_whose_dialogue_is_owed() {
        let mut figures = Figures::default();
        let dialogue =
            |id: &str, head: &str, state| obligation(id, &["33", "11974"], Kind::PeriodicDialogue, state, head);
        figures.apply(&opened("e1", dialogue("d1", "head-1", State::Open))).unwrap();
        figures.apply(&opened("e2", dialogue("d2", "head-1", State::Overdue))).unwrap();
        figures.apply(&opened("e3", dialogue("d3", "head-2", State::Overdue))).unwrap();
        figures.apply(&opened("e4", dialogue("d4", "head-3", State::Open))).unwrap();
        figures
            .apply(&event("e5", &DeadlineMet { obligation: Some(dialogue("d4", "head-3", State::MetOnTime)) }))
            .unwrap();
        let cancelled = dialogue("d5", "head-4", State::Cancelled);
        figures.apply(&opened("e6", dialogue("d5", "head-4", State::Open))).unwrap();
        figures.apply(&event("e7", &DeadlineCancelled { obligation: Some(cancelled) })).unwrap();
        assert_eq!(figures.provinces()[0].heads_without_dialogue, 2, "head-1 (twice) and head-2");
    }

    #[test]
    fn reminders_and_other_events_change_nothing() {
        let mut figures = Figures::default();
        let o = obligation("a", &["33"], Kind::ReportYear, State::Overdue, "");
        let reminder = event("e1", &DeadlineReminder { obligation: Some(o), working_days_left: -3 });
        assert!(!figures.apply(&reminder).unwrap());
        assert!(figures.provinces().is_empty());
    }
}
