//! Several demonstration years in a row, across a reorganisation (issue 14):
//! the years before it on the units of the directory, the year of the change
//! with its first part on the old units and the rest on the new ones, and the
//! years after on the new units, up to yesterday.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Context;
use chrono::{Datelike, Days, NaiveDate};
use doithoai_proto::{deadlines::v1::ObligationKind, directory::v1::UnitRow, scheduling::v1::Regime};

use crate::plan::{self, DemoUnit, Fate, Plan, Reorganisation};

/// A reorganisation to play: the newer list and its decision.
#[derive(Debug, Clone)]
pub struct Change {
    pub decision: String,
    pub effective: NaiveDate,
    pub rows: Vec<UnitRow>,
}

/// The plans of every year from `first_year` to `until`, in order, for the
/// units `before` (the root first) and, from each change's day, those it makes.
pub fn history(
    before: &[DemoUnit],
    changes: &[Change],
    first_year: i32,
    seed: u64,
    until: NaiveDate,
) -> anyhow::Result<Vec<Plan>> {
    let root = before.first().context("no units to plan for")?;
    let mut changes: Vec<&Change> = changes.iter().collect();
    changes.sort_by_key(|change| change.effective);
    // A change is played on its day: one on or before the first day played has no day in the history.
    if let Some(early) = changes.iter().find(|c| c.effective <= first_day(first_year)) {
        anyhow::bail!(
            "{} takes effect on {}, before the history played from {first_year}",
            early.decision,
            early.effective
        );
    }
    // The units of each era: before the first change, then after each.
    let mut eras = vec![before.to_vec()];
    for change in &changes {
        eras.push(units_after(&root.code, &change.rows)?);
    }
    let mut plans = Vec::new();
    for year in first_year..=until.year() {
        let (first, last) = (first_day(year), (first_day(year + 1) - Days::new(1)).min(until));
        let seed = seed + (year - first_year) as u64;
        // The era in force on the year's first day, then the changes during it.
        let start = changes.iter().filter(|c| c.effective <= first).count();
        let during: Vec<usize> = (start..changes.len()).filter(|&c| changes[c].effective <= last).collect();
        let mut plan = plan::plan_to(&eras[start], year, seed, first, until)?;
        for (i, &c) in during.iter().enumerate() {
            let change = changes[c];
            plan = plan.within(first, change.effective - Days::new(1));
            let to = during.get(i + 1).map_or(last, |&next| changes[next].effective - Days::new(1));
            // The new units' conferences from a fortnight after the change: announced a week or two ahead, from its day.
            let starts = change.effective + Days::new(15);
            let new = plan::plan_to(&eras[c + 1], year, seed + 1000 * (i as u64 + 1), starts, until)?;
            plan = across(plan, new.within(change.effective, to), change)?;
        }
        plans.push(if during.is_empty() { plan.within(first, last) } else { plan });
    }
    Ok(plans)
}

fn first_day(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default()
}

/// The units of the newer list in `root`'s subtree, parents first.
pub fn units_after(root: &str, rows: &[UnitRow]) -> anyhow::Result<Vec<DemoUnit>> {
    let parents: HashMap<&str, &str> = rows.iter().map(|r| (r.code.as_str(), r.parent_code.as_str())).collect();
    let depth = |code: &str| {
        let mut chain = vec![code];
        while let Some(parent) = parents.get(chain[chain.len() - 1]).filter(|p| !p.is_empty()) {
            chain.push(parent);
        }
        chain.contains(&root).then_some(chain.len())
    };
    let mut units: Vec<(usize, DemoUnit)> = rows
        .iter()
        .filter_map(|row| {
            let unit = DemoUnit {
                code: row.code.clone(),
                name: row.name.clone(),
                tier: row.tier,
                parent: Some(row.parent_code.clone()).filter(|p| !p.is_empty()),
            };
            Some((depth(&row.code)?, unit))
        })
        .collect();
    units.sort_by(|(a, x), (b, y)| (a, &x.code).cmp(&(b, &y.code)));
    anyhow::ensure!(units.first().is_some_and(|(_, u)| u.code == root), "the list does not go on with unit {root}");
    Ok(units.into_iter().map(|(_, unit)| unit).collect())
}

impl Plan {
    /// The plan cut to [`first`, `last`]: the conferences announced and held
    /// in it (what follows them may come later) and the reports of the
    /// periods that end in it.
    pub fn within(mut self, first: NaiveDate, last: NaiveDate) -> Plan {
        self.conferences.retain(|c| first <= c.announce_on && c.day <= last);
        self.filings.retain(|filing| {
            let month = if filing.kind == ObligationKind::ReportHalfYear { 6 } else { 12 };
            let period_end = NaiveDate::from_ymd_opt(filing.year, month, if month == 6 { 30 } else { 31 });
            period_end.is_some_and(|end| (first..=last).contains(&end))
        });
        self
    }
}

/// One plan for the year of `change`: `old` up to its day, then `new`, each
/// unit that goes on keeping its posts and organizations, and each ended
/// unit's office and agencies succeeded by the same of its successor.
fn across(mut plan: Plan, new: Plan, change: &Change) -> anyhow::Result<Plan> {
    let continuing: HashSet<String> = plan.units.iter().map(|u| u.code.clone()).collect();
    let staying: HashSet<&str> = new.units.iter().map(|u| u.code.as_str()).collect();
    // The units alive on the eve: those an earlier change of the year ended are history.
    let alive: Vec<DemoUnit> = plan
        .units
        .iter()
        .filter(|u| !plan.reorganisations.iter().any(|r| r.ended.contains_key(&u.code)))
        .cloned()
        .collect();
    let ended = successors(&alive, &new.units, &change.rows)?;
    debug_assert!(ended.keys().all(|code| !staying.contains(code.as_str())));

    let mut post_at: HashMap<(String, i32, i32), usize> =
        plan.posts.iter().enumerate().map(|(i, p)| ((p.unit.clone(), p.body as i32, p.rank as i32), i)).collect();
    let posts: Vec<usize> = new
        .posts
        .into_iter()
        .map(|post| {
            let key = (post.unit.clone(), post.body as i32, post.rank as i32);
            *post_at.entry(key).or_insert_with(|| {
                plan.posts.push(plan::PostPlan { begins: Some(change.effective), ..post });
                plan.posts.len() - 1
            })
        })
        .collect();
    // An organization is known by its unit and its place among the unit's (the plan makes the same six for each).
    let places = |organizations: &[plan::OrganizationPlan]| {
        let mut seen: HashMap<String, usize> = HashMap::new();
        organizations
            .iter()
            .map(|o| {
                let place = seen.entry(o.unit.clone()).or_default();
                *place += 1;
                (o.unit.clone(), *place)
            })
            .collect::<Vec<_>>()
    };
    let mut organization_at: HashMap<(String, usize), usize> =
        places(&plan.organizations).into_iter().enumerate().map(|(i, key)| (key, i)).collect();
    let new_places = places(&new.organizations);
    let organizations: Vec<usize> = new
        .organizations
        .into_iter()
        .zip(new_places)
        .map(|(organization, key)| {
            *organization_at.entry(key).or_insert_with(|| {
                plan.organizations.push(plan::OrganizationPlan { begins: Some(change.effective), ..organization });
                plan.organizations.len() - 1
            })
        })
        .collect();
    for unit in new.units.into_iter().filter(|u| !continuing.contains(&u.code)) {
        plan.units.push(unit);
    }

    // What was to be escalated to a level that no longer exists is answered where it now lies.
    for conference in &mut plan.conferences {
        for petition in &mut conference.petitions {
            if let Fate::Assigned { agency, escalation: Some(escalation), .. } = &petition.fate
                && escalation.on >= change.effective
            {
                petition.fate = Fate::Assigned { agency: *agency, response: escalation.response, escalation: None };
            }
        }
    }
    let periodic: HashSet<usize> =
        plan.conferences.iter().filter(|c| c.regime == Regime::Periodic).map(|c| c.host).collect();
    for mut conference in new.conferences {
        conference.host = posts[conference.host];
        conference.delegate = conference.delegate.map(|d| posts[d]);
        // R6.2: once a year; a head who went on and held it before the change does not hold another.
        if conference.regime == Regime::Periodic && periodic.contains(&conference.host) {
            continue;
        }
        conference.invited = conference.invited.iter().map(|&o| organizations[o]).collect();
        conference.acknowledged = conference.acknowledged.into_iter().map(|(o, on)| (organizations[o], on)).collect();
        for petition in &mut conference.petitions {
            match &mut petition.fate {
                Fate::Answered { by_agency } => *by_agency = by_agency.map(|o| organizations[o]),
                Fate::Assigned { agency, escalation, .. } => {
                    *agency = organizations[*agency];
                    if let Some(escalation) = escalation {
                        escalation.to_agency = organizations[escalation.to_agency];
                    }
                }
                Fate::Referred => {}
            }
        }
        plan.conferences.push(conference);
    }
    plan.conferences.sort_by(|a, b| (a.day, &a.unit).cmp(&(b.day, &b.unit)));
    for mut filing in new.filings {
        filing.post = posts[filing.post];
        if !plan.filings.iter().any(|f| (f.post, f.kind, f.year) == (filing.post, filing.kind, filing.year)) {
            plan.filings.push(filing);
        }
    }

    let successors = places(&plan.organizations)
        .into_iter()
        .enumerate()
        .filter_map(|(i, (unit, place))| {
            let successor = ended.get(&unit)?;
            organization_at.get(&(successor.clone(), place)).map(|&s| (i, s))
        })
        .collect();
    plan.reorganisations.push(Reorganisation {
        decision: change.decision.clone(),
        effective: change.effective,
        rows: change.rows.clone(),
        ended,
        successors,
    });
    Ok(plan)
}

/// Each unit of `old` that `new` does not go on with, and the unit of `new`
/// that takes over its work: the first that names it among its sources, or —
/// for a tier the list no longer has — its parent's.
fn successors(old: &[DemoUnit], new: &[DemoUnit], rows: &[UnitRow]) -> anyhow::Result<BTreeMap<String, String>> {
    let staying: HashSet<&str> = new.iter().map(|u| u.code.as_str()).collect();
    let mut named: HashMap<&str, &str> = HashMap::new();
    for row in rows.iter().filter(|r| staying.contains(r.code.as_str())) {
        for source in &row.legacy_codes {
            named.entry(source.as_str()).or_insert(row.code.as_str());
        }
    }
    let tiers: HashSet<i32> = new.iter().map(|u| u.tier).collect();
    let mut ended = BTreeMap::new();
    // Parents come first, so a parent's successor is known before its children's.
    for unit in old.iter().filter(|u| !staying.contains(u.code.as_str())) {
        let successor = match named.get(unit.code.as_str()) {
            Some(code) => (*code).to_owned(),
            None if tiers.contains(&unit.tier) => {
                anyhow::bail!("unit {} ends but no unit of the list names it among its sources", unit.code)
            }
            None => {
                let parent =
                    unit.parent.as_deref().with_context(|| format!("unit {} ends without a successor", unit.code))?;
                match ended.get(parent) {
                    Some(successor) => String::clone(successor),
                    None if staying.contains(parent) => parent.to_owned(),
                    None => anyhow::bail!("unit {} ends without a successor", unit.code),
                }
            }
        };
        ended.insert(unit.code.clone(), successor);
    }
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use doithoai_proto::{common::v1::Tier, scheduling::v1::Rank};

    fn unit(code: &str, tier: i32, parent: Option<&str>) -> DemoUnit {
        DemoUnit { code: code.into(), name: format!("Đơn vị {code}"), tier, parent: parent.map(Into::into) }
    }

    fn row(code: &str, tier: Tier, parent: &str, sources: &[&str]) -> UnitRow {
        UnitRow {
            code: code.into(),
            name: format!("Đơn vị mới {code}"),
            tier: tier as i32,
            parent_code: parent.into(),
            kind: "Xã".into(),
            legacy_codes: sources.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }
    }

    /// A province, one district, four communes; from 1 July 2025 two communes
    /// formed from them, one of which reuses a source's code.
    fn before() -> Vec<DemoUnit> {
        let mut units = vec![unit("33", 1, None), unit("323", 2, Some("33"))];
        units.extend(["11950", "11953", "11956", "11959"].map(|c| unit(c, 3, Some("323"))));
        units
    }

    fn change() -> Change {
        Change {
            decision: "1666/NQ-UBTVQH15".into(),
            effective: NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(),
            rows: vec![
                row("33", Tier::Province, "", &["33"]),
                row("11953", Tier::Commune, "33", &["11950", "11953"]),
                row("12001", Tier::Commune, "33", &["11956", "11959"]),
            ],
        }
    }

    fn until() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    #[test]
    fn each_year_has_its_plan_and_the_year_of_the_change_crosses_it() {
        let plans = history(&before(), &[change()], 2024, 7, until()).unwrap();
        assert_eq!(plans.iter().map(|p| p.year).collect::<Vec<_>>(), [2024, 2025, 2026]);
        assert!(plans[0].reorganisations.is_empty() && plans[2].reorganisations.is_empty());
        assert_eq!(plans[0].units.len(), 6);
        assert_eq!(plans[2].units.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(), ["33", "11953", "12001"]);
        assert!(plans[2].conferences.iter().all(|c| c.day <= until()), "nothing is played after yesterday");
        let effective = change().effective;
        let year = &plans[1];
        assert!(
            year.conferences.iter().any(|c| c.day < effective) && year.conferences.iter().any(|c| c.day >= effective)
        );
        for conference in &year.conferences {
            let host = &year.posts[conference.host];
            assert_eq!(host.unit, conference.unit);
            // Before the change on the old units; from it only on the new ones, by their posts.
            if conference.announce_on >= effective {
                assert!(["33", "11953", "12001"].contains(&conference.unit.as_str()), "{}", conference.unit);
            } else {
                assert!(conference.day < effective);
            }
        }
    }

    #[test]
    fn r10_3_the_work_of_an_ended_unit_passes_to_its_successor_s_office_and_agencies() {
        let year = history(&before(), &[change()], 2025, 7, until()).unwrap().remove(0);
        let reorganisation = &year.reorganisations[0];
        let ended: Vec<(&str, &str)> = reorganisation.ended.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        // The district goes to the province; a commune to the new one that names it.
        assert_eq!(ended, [("11950", "11953"), ("11956", "12001"), ("11959", "12001"), ("323", "33")]);
        assert_eq!(reorganisation.successors.len(), 4 * 6);
        for (&old, &new) in &reorganisation.successors {
            let (old, new) = (&year.organizations[old], &year.organizations[new]);
            assert_eq!((old.kind, &old.fields), (new.kind, &new.fields), "{} → {}", old.name, new.name);
            assert_eq!(reorganisation.ended[&old.unit], new.unit);
        }
        // A unit that goes on keeps its posts and organizations; a new one's begin on the day.
        let posts_of = |unit: &str| year.posts.iter().filter(|p| p.unit == unit).count();
        assert_eq!((posts_of("11953"), posts_of("33"), posts_of("12001")), (4, 4, 4));
        for post in &year.posts {
            assert_eq!(post.begins, (post.unit == "12001").then_some(effective()), "{}", post.title);
        }
        let after = |unit: &str| year.acting(year.organizations.iter().position(|o| o.unit == unit).unwrap(), until());
        assert_eq!(year.organizations[after("323")].unit, "33");
        assert!(year.ended("11950", effective()) && !year.ended("11950", effective() - Days::new(1)));
    }

    fn effective() -> NaiveDate {
        change().effective
    }

    #[test]
    fn r6_2_a_head_who_goes_on_holds_one_periodic_dialogue_in_the_year_of_the_change() {
        for seed in 0..20 {
            let year = history(&before(), &[change()], 2025, seed, until()).unwrap().remove(0);
            let mut hosts: Vec<usize> =
                year.conferences.iter().filter(|c| c.regime == Regime::Periodic).map(|c| c.host).collect();
            let held = hosts.len();
            hosts.sort_unstable();
            hosts.dedup();
            assert_eq!(hosts.len(), held, "seed {seed}");
        }
    }

    #[test]
    fn r6_2_the_heads_of_the_new_units_hold_their_dialogue_after_the_change() {
        let (mut heads, mut held) = (0, 0);
        for seed in 0..20 {
            let year = history(&before(), &[change()], 2025, seed, until()).unwrap().remove(0);
            for (post, plan) in
                year.posts.iter().enumerate().filter(|(_, p)| p.begins.is_some() && p.rank == Rank::Head)
            {
                heads += 1;
                let periodic = year.conferences.iter().find(|c| c.regime == Regime::Periodic && c.host == post);
                if let Some(conference) = periodic {
                    held += 1;
                    assert!(conference.announce_on >= effective(), "{}: announced before the unit existed", plan.title);
                }
            }
        }
        // Each head holds it with the plan's 95 %: no more lost to the change's day.
        assert!(held * 100 >= heads * 85, "{held} of {heads}");
    }

    #[test]
    fn r13_1_an_ended_unit_s_heads_report_on_the_half_year_it_lived_and_no_later() {
        let year = history(&before(), &[change()], 2025, 3, until()).unwrap().remove(0);
        for filing in &year.filings {
            let unit = &year.posts[filing.post].unit;
            if year.reorganisations[0].ended.contains_key(unit) {
                assert_eq!(filing.kind, ObligationKind::ReportHalfYear, "{unit}");
            }
        }
        assert!(year.filings.iter().any(|f| f.kind == ObligationKind::ReportYear));
    }

    #[test]
    fn two_changes_in_a_year_keep_what_came_before_the_first() {
        // 1 April: 11950 joins 11953, three tiers still; 1 July: the two tiers of `change`.
        let april = Change {
            decision: "1248/NQ-UBTVQH15".into(),
            effective: NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
            rows: vec![
                row("33", Tier::Province, "", &["33"]),
                row("323", Tier::District, "33", &["323"]),
                row("11953", Tier::Commune, "323", &["11950", "11953"]),
                row("11956", Tier::Commune, "323", &["11956"]),
                row("11959", Tier::Commune, "323", &["11959"]),
            ],
        };
        let mut july = change();
        july.rows[1].legacy_codes = vec!["11953".into()];
        for seed in 0..10 {
            let year = history(&before(), &[july.clone(), april.clone()], 2025, seed, until()).unwrap().remove(0);
            let effective: Vec<NaiveDate> = year.reorganisations.iter().map(|r| r.effective).collect();
            assert_eq!(effective, [april.effective, july.effective]);
            let alone = history(&before(), &[], 2025, seed, until()).unwrap().remove(0);
            let before_april = |plan: &Plan| plan.conferences.iter().filter(|c| c.day < april.effective).count();
            assert_eq!(before_april(&year), before_april(&alone), "seed {seed}: what came before April stays");
            // 11950's office and agencies pass to 11953's in April, and stay there in July.
            let of_11950 = year.organizations.iter().position(|o| o.unit == "11950").unwrap();
            assert_eq!(year.organizations[year.acting(of_11950, until())].unit, "11953");
        }
    }

    #[test]
    fn a_change_before_the_first_day_played_is_refused() {
        let refused = history(&before(), &[change()], 2026, 7, until()).unwrap_err().to_string();
        assert!(refused.contains("before the history played from 2026"), "{refused}");
    }

    #[test]
    fn a_list_that_forgets_a_unit_is_refused() {
        let mut change = change();
        change.rows[2].legacy_codes = vec!["11959".into()];
        change.rows[1].legacy_codes = vec!["11950".into(), "11953".into()];
        let refused = history(&before(), &[change], 2025, 7, until()).unwrap_err();
        assert!(refused.to_string().contains("11956"), "{refused}");
    }
}
