//! A reorganisation: a newer list of whole provinces, with the units each
//! was formed from (`legacy_sources`), that replaces their part of the
//! directory on a date set by a decision (the two-tier merger of 1 July 2025,
//! the commune mergers of January 2025). Planned as a pure function, so that
//! it can be shown before it is applied and every rule is tested without a
//! database.
//!
//! - A unit of the list whose code the directory has goes on (its code reused
//!   by a successor, as new communes reuse one of their sources' codes),
//!   changed as the list says; a new code begins on the effective date.
//! - Every other unit of the provinces involved ends the day before, with its
//!   successors: the units of the list that name it as a source, or — for a
//!   tier the list no longer has (the districts of July 2025) — the successors
//!   of its nearest ancestor that goes on or is succeeded.
//! - A unit of a tier the list still has must be named as somebody's source:
//!   a mapping that forgets one is refused, as is a source the directory does
//!   not have alive on the date.
//! - Applying a plan again changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;

use crate::{
    LineError, Tier, Unit, UnitCode, UnitRecord,
    csv_file::{MAX_REPORTED_ERRORS, line_error},
};

/// The decision that reorganises, and the day its units begin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The decision's number (`1686/NQ-UBTVQH15`).
    pub number: String,
    pub effective: NaiveDate,
}

/// A unit's place in time: since when it exists (None: since before the
/// records), until when (None: it still does), and what it became.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Life {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub successors: Vec<UnitCode>,
}

impl Life {
    pub fn alive_on(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= day) && self.to.is_none_or(|to| day <= to)
    }
}

/// A unit of the directory with its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivingUnit {
    pub unit: Unit,
    pub life: Life,
}

/// What a reorganisation changes. Each list is in path order, parents first.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReorganisationPlan {
    pub received: usize,
    /// Units that begin on the effective date.
    pub created: Vec<LivingUnit>,
    /// Units of the list that go on, before and after (a new parent, name or
    /// sources), and units below them whose path moves with them.
    pub continued: Vec<(LivingUnit, LivingUnit)>,
    /// Units that end the day before, before and after (with their successors).
    pub retired: Vec<(LivingUnit, LivingUnit)>,
    /// Rows of the list already as the plan would have them.
    pub unchanged: usize,
}

impl ReorganisationPlan {
    /// Every unit whose stored state changes, parents first.
    pub fn changed(&self) -> Vec<&LivingUnit> {
        let mut changed: Vec<&LivingUnit> = self
            .created
            .iter()
            .chain(self.continued.iter().map(|(_, after)| after))
            .chain(self.retired.iter().map(|(_, after)| after))
            .collect();
        changed.sort_by(|a, b| a.unit.path.cmp(&b.unit.path));
        changed
    }

    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.continued.is_empty() && self.retired.is_empty()
    }
}

/// Plans the reorganisation of the provinces `batch` lists.
pub fn plan_reorganisation(
    existing: &[LivingUnit],
    batch: Vec<UnitRecord>,
    decision: &Decision,
) -> Result<ReorganisationPlan, Vec<LineError>> {
    let effective = decision.effective;
    let Some(last_day) = effective.pred_opt() else {
        return Err(vec![line_error(1, "effective", "the effective date has no day before it")]);
    };
    let stored: HashMap<&UnitCode, &LivingUnit> = existing.iter().map(|u| (&u.unit.code, u)).collect();
    let mut errors = duplicates(&batch);
    let provinces: Vec<&UnitRecord> = batch.iter().filter(|r| r.tier == Tier::Province).collect();
    if provinces.is_empty() {
        errors.push(line_error(1, "tier", "a reorganisation lists whole provinces: the list has none"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let tiers: HashSet<Tier> = batch.iter().map(|r| r.tier).collect();
    // The provinces involved: those listed, and those they were formed from.
    let roots: HashMap<UnitCode, u32> = provinces
        .iter()
        .flat_map(|p| std::iter::once(&p.code).chain(&p.legacy_codes).map(|code| (code.clone(), p.line)))
        .collect();
    // A unit is "ours" when it belonged to an involved province on the eve
    // of the change, or was retired by this very decision (a plan applied again).
    let retired_by_this = |u: &LivingUnit| u.life.to == Some(last_day);
    let ours = |u: &LivingUnit| {
        u.unit.path.first().is_some_and(|root| roots.contains_key(root))
            && (u.life.alive_on(last_day) || retired_by_this(u))
            && u.life.from.is_none_or(|from| from < effective)
    };

    // Sources: each names a unit of the provinces involved, alive on the eve.
    for record in &batch {
        for source in record.legacy_codes.iter().filter(|s| **s != record.code) {
            let problem = match stored.get(source) {
                None => Some(format!("source {source} is not in the directory")),
                Some(unit) if !ours(unit) => {
                    Some(format!("source {source} is not a unit of the listed provinces alive on {last_day}"))
                }
                Some(_) => None,
            };
            if let Some(message) = problem
                && errors.len() < MAX_REPORTED_ERRORS
            {
                errors.push(line_error(record.line, "legacy_sources", message));
            }
        }
    }

    // Who succeeds whom, as the list says.
    let mut named: BTreeMap<UnitCode, Vec<UnitCode>> = BTreeMap::new();
    for record in &batch {
        for source in &record.legacy_codes {
            if *source != record.code {
                named.entry(source.clone()).or_default().push(record.code.clone());
            }
        }
    }
    let listed: HashSet<&UnitCode> = batch.iter().map(|r| &r.code).collect();
    let leaving: Vec<&LivingUnit> = existing.iter().filter(|u| ours(u) && !listed.contains(&u.unit.code)).collect();
    for unit in &leaving {
        if tiers.contains(&unit.unit.tier) && !named.contains_key(&unit.unit.code) && errors.len() < MAX_REPORTED_ERRORS
        {
            let line = unit.unit.path.first().and_then(|root| roots.get(root)).copied().unwrap_or(1);
            let message = format!(
                "{} {} is in no row's legacy_sources: say which unit succeeds it",
                unit.unit.tier, unit.unit.code
            );
            errors.push(line_error(line, "legacy_sources", message));
        }
    }

    // The tree after the change: the list over the directory, without the leaving units.
    let leaving_codes: HashSet<&UnitCode> = leaving.iter().map(|u| &u.unit.code).collect();
    let mut after: HashMap<UnitCode, LivingUnit> = existing
        .iter()
        .filter(|u| !leaving_codes.contains(&u.unit.code) && u.life.to.is_none())
        .map(|u| (u.unit.code.clone(), u.clone()))
        .collect();
    for record in &batch {
        let before = stored.get(&record.code);
        let life = match before {
            Some(unit) => Life { to: None, successors: Vec::new(), ..unit.life.clone() },
            None => Life { from: Some(effective), to: None, successors: Vec::new() },
        };
        let unit = Unit {
            code: record.code.clone(),
            name: record.name.clone(),
            tier: record.tier,
            parent: record.parent.clone(),
            kind: record.kind.clone(),
            path: Vec::new(),
            legacy_codes: record.legacy_codes.iter().filter(|s| **s != record.code).cloned().collect(),
        };
        after.insert(record.code.clone(), LivingUnit { unit, life });
    }
    for record in &batch {
        let problem = match &record.parent {
            None if !record.tier.may_be_root() => Some(format!("a {} needs a parent_code", record.tier)),
            None => None,
            Some(parent) => match after.get(parent) {
                None if leaving_codes.contains(parent) => Some(format!("parent {parent} ends on {last_day}")),
                None => Some(format!("unknown parent {parent}")),
                Some(p) if !record.tier.may_be_child_of(p.unit.tier) => {
                    Some(format!("a {} cannot sit under {} {parent}", record.tier, p.unit.tier))
                }
                Some(_) => None,
            },
        };
        if let Some(message) = problem
            && errors.len() < MAX_REPORTED_ERRORS
        {
            errors.push(line_error(record.line, "parent_code", message));
        }
    }
    // An existing unit left under a leaving one would be orphaned.
    for unit in after.values().filter(|u| !listed.contains(&u.unit.code)) {
        if let Some(parent) = unit.unit.parent.as_ref().filter(|p| leaving_codes.contains(p)) {
            let line = unit.unit.path.first().and_then(|root| roots.get(root)).copied().unwrap_or(1);
            errors.push(line_error(
                line,
                "parent_code",
                format!("unit {} is left under {parent}, which ends", unit.unit.code),
            ));
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        errors.truncate(MAX_REPORTED_ERRORS);
        return Err(errors);
    }

    let paths: HashMap<UnitCode, Vec<UnitCode>> =
        after.keys().map(|code| (code.clone(), path_of(code, &after))).collect();
    for (code, unit) in after.iter_mut() {
        unit.unit.path = paths[code].clone();
    }
    let successors = successors(&leaving, &named, &after);

    let mut plan = ReorganisationPlan { received: batch.len(), ..ReorganisationPlan::default() };
    for unit in after.into_values() {
        match stored.get(&unit.unit.code) {
            None => plan.created.push(unit),
            Some(old) if **old != unit => plan.continued.push(((*old).clone(), unit)),
            Some(_) if listed.contains(&unit.unit.code) => plan.unchanged += 1,
            Some(_) => {}
        }
    }
    for unit in leaving {
        let life = Life { to: Some(last_day), successors: successors[&unit.unit.code].clone(), ..unit.life.clone() };
        let retired = LivingUnit { unit: unit.unit.clone(), life };
        if retired != *unit {
            plan.retired.push((unit.clone(), retired));
        }
    }
    plan.created.sort_by(|a, b| a.unit.path.cmp(&b.unit.path));
    plan.continued.sort_by(|a, b| a.1.unit.path.cmp(&b.1.unit.path));
    plan.retired.sort_by(|a, b| a.1.unit.path.cmp(&b.1.unit.path));
    Ok(plan)
}

fn duplicates(batch: &[UnitRecord]) -> Vec<LineError> {
    let mut first: HashMap<&UnitCode, u32> = HashMap::new();
    let mut errors = Vec::new();
    for record in batch {
        match first.get(&record.code) {
            Some(line) => errors.push(line_error(
                record.line,
                "code",
                format!("duplicate code {} (first on line {line})", record.code),
            )),
            None => {
                first.insert(&record.code, record.line);
            }
        }
    }
    errors
}

/// The successors of each leaving unit: those the list names, or else those
/// of its nearest ancestor that goes on (itself) or is succeeded.
fn successors(
    leaving: &[&LivingUnit],
    named: &BTreeMap<UnitCode, Vec<UnitCode>>,
    after: &HashMap<UnitCode, LivingUnit>,
) -> HashMap<UnitCode, Vec<UnitCode>> {
    let by_code: HashMap<&UnitCode, &LivingUnit> = leaving.iter().map(|u| (&u.unit.code, *u)).collect();
    let mut found = HashMap::new();
    for unit in leaving {
        let mut current = *unit;
        let heirs = loop {
            if let Some(heirs) = named.get(&current.unit.code) {
                break heirs.clone();
            }
            match current.unit.parent.as_ref() {
                Some(parent) if after.contains_key(parent) => break vec![parent.clone()],
                Some(parent) => match by_code.get(parent) {
                    Some(next) => current = next,
                    None => break Vec::new(),
                },
                None => break Vec::new(),
            }
        };
        found.insert(unit.unit.code.clone(), heirs);
    }
    found
}

fn path_of(code: &UnitCode, units: &HashMap<UnitCode, LivingUnit>) -> Vec<UnitCode> {
    let mut path = vec![code.clone()];
    let mut current = units.get(code).and_then(|u| u.unit.parent.as_ref());
    while let Some(parent) = current {
        path.push(parent.clone());
        current = units.get(parent).and_then(|u| u.unit.parent.as_ref());
    }
    path.reverse();
    path
}
