//! R6.2, R6.3: every head — the Bí thư, the Chủ tịch HĐND and the Chủ tịch
//! UBND of every tier — holds at least one periodic dialogue a year. A
//! conference hosted by a delegated deputy counts for the head, who stays
//! accountable (R2.2).

use std::collections::BTreeMap;

use doithoai_proto::scheduling::v1::{HeadDialogue, Position};

/// A periodic conference that ended in the year, and who answered for it.
pub struct HeldDialogue {
    pub conference_id: String,
    pub accountable_position_id: String,
}

/// One row per head serving in the year, in the given order.
pub fn periodic_dialogues(heads: Vec<Position>, planned: &[String], held: &[HeldDialogue]) -> Vec<HeadDialogue> {
    let mut by_head: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for dialogue in held {
        by_head.entry(dialogue.accountable_position_id.as_str()).or_default().push(dialogue.conference_id.clone());
    }
    heads
        .into_iter()
        .map(|head| {
            let conference_ids = by_head.get(head.id.as_str()).cloned().unwrap_or_default();
            HeadDialogue {
                planned: planned.contains(&head.id),
                held: !conference_ids.is_empty(),
                conference_ids,
                head: Some(head),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(id: &str) -> Position {
        Position { id: id.into(), ..Default::default() }
    }

    #[test]
    fn r6_3_every_head_is_reported_held_or_not() {
        let heads = vec![head("bi-thu"), head("chu-tich-hdnd"), head("chu-tich-ubnd")];
        let held = [HeldDialogue { conference_id: "c1".into(), accountable_position_id: "chu-tich-ubnd".into() }];
        let report = periodic_dialogues(heads, &["bi-thu".into(), "chu-tich-ubnd".into()], &held);
        let summary: Vec<_> =
            report.iter().map(|h| (h.head.as_ref().unwrap().id.as_str(), h.planned, h.held)).collect();
        assert_eq!(summary, [("bi-thu", true, false), ("chu-tich-hdnd", false, false), ("chu-tich-ubnd", true, true)]);
    }

    #[test]
    fn r2_2_a_delegated_conference_counts_for_the_accountable_head() {
        let held = [HeldDialogue { conference_id: "c2".into(), accountable_position_id: "bi-thu".into() }];
        let report = periodic_dialogues(vec![head("bi-thu")], &[], &held);
        assert_eq!(report[0].conference_ids, ["c2"]);
    }
}
