//! Planning an import: checks a batch against itself and the directory as it
//! is, and works out what changes. Pure, so the rules are tested without a
//! database; the service applies the plan in one transaction.

use std::collections::{HashMap, HashSet};

use crate::{
    LineError, Tier, Unit, UnitCode,
    csv_file::{MAX_REPORTED_ERRORS, RawUnit, line_error},
};

const MAX_NAME_CHARS: usize = 200;
const MAX_KIND_CHARS: usize = 50;

/// One checked row of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRecord {
    pub line: u32,
    pub code: UnitCode,
    pub name: String,
    pub tier: Tier,
    pub parent: Option<UnitCode>,
    pub kind: String,
    pub legacy_codes: Vec<UnitCode>,
}

impl UnitRecord {
    /// Checks the fields of one row; every problem is named with its field.
    pub fn parse(line: u32, raw: RawUnit<'_>) -> Result<Self, Vec<LineError>> {
        let mut errors = Vec::new();
        let code = UnitCode::parse(raw.code).map_err(|e| errors.push(line_error(line, "code", e.to_string())));
        let name = raw.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            errors.push(line_error(line, "name", format!("name must be 1 to {MAX_NAME_CHARS} characters")));
        }
        let tier = raw.tier.map_err(|e| errors.push(line_error(line, "tier", e)));
        let parent = match raw.parent_code.trim() {
            "" => Ok(None),
            text => {
                UnitCode::parse(text).map(Some).map_err(|e| errors.push(line_error(line, "parent_code", e.to_string())))
            }
        };
        let kind = raw.kind.trim();
        if kind.is_empty() || kind.chars().count() > MAX_KIND_CHARS {
            errors.push(line_error(line, "type", format!("type must be 1 to {MAX_KIND_CHARS} characters")));
        }
        let legacy: Result<Vec<_>, _> = raw.legacy_codes.iter().map(|c| UnitCode::parse(c)).collect();
        let legacy = legacy.map_err(|e| errors.push(line_error(line, "legacy_sources", e.to_string())));
        match (code, tier, parent, legacy) {
            (Ok(code), Ok(tier), Ok(parent), Ok(legacy_codes)) if errors.is_empty() => {
                Ok(Self { line, code, name: name.to_owned(), tier, parent, kind: kind.to_owned(), legacy_codes })
            }
            _ => Err(errors),
        }
    }
}

/// What an import changes. Units are listed parents first.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportPlan {
    pub received: usize,
    pub created: Vec<Unit>,
    /// Before and after; includes units outside the batch whose path moved
    /// because an ancestor moved.
    pub updated: Vec<(Unit, Unit)>,
    pub unchanged: usize,
}

impl ImportPlan {
    /// Every unit whose stored state changes, parents first.
    pub fn changed(&self) -> impl Iterator<Item = &Unit> {
        self.created.iter().chain(self.updated.iter().map(|(_, after)| after))
    }
}

/// Checks `batch` against itself and `existing`, and plans the change.
/// Either the whole batch is valid, or every problem is returned.
pub fn plan_import(existing: &[Unit], batch: Vec<UnitRecord>) -> Result<ImportPlan, Vec<LineError>> {
    let mut errors = Vec::new();
    let mut first_line: HashMap<&UnitCode, u32> = HashMap::new();
    for record in &batch {
        if let Some(first) = first_line.insert(&record.code, record.line) {
            first_line.insert(&record.code, first);
            let message = format!("duplicate code {} (first on line {first})", record.code);
            errors.push(line_error(record.line, "code", message));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // The directory as it will be: the existing units with the batch laid over them.
    let mut merged: HashMap<UnitCode, Unit> = existing.iter().map(|u| (u.code.clone(), u.clone())).collect();
    let batch_codes: HashSet<UnitCode> = batch.iter().map(|r| r.code.clone()).collect();
    let received = batch.len();
    let lines: HashMap<UnitCode, u32> = batch.iter().map(|r| (r.code.clone(), r.line)).collect();
    for record in batch {
        let path = merged.get(&record.code).map(|u| u.path.clone()).unwrap_or_default();
        merged.insert(
            record.code.clone(),
            Unit {
                code: record.code,
                name: record.name,
                tier: record.tier,
                parent: record.parent,
                kind: record.kind,
                path,
                legacy_codes: record.legacy_codes,
            },
        );
    }

    // Check every edge that the batch touches: its own rows, and existing
    // units whose parent is in the batch (a changed tier could orphan them).
    let mut touched: Vec<&Unit> = merged
        .values()
        .filter(|u| batch_codes.contains(&u.code) || u.parent.as_ref().is_some_and(|p| batch_codes.contains(p)))
        .collect();
    touched.sort_by_key(|u| (lines.get(&u.code).copied().unwrap_or(u32::MAX), u.code.clone()));
    for unit in touched {
        if errors.len() >= MAX_REPORTED_ERRORS {
            break;
        }
        let line = lines.get(&unit.code).copied();
        let blame = |message: String| match line {
            Some(line) => line_error(line, "parent_code", message),
            None => {
                let parent_line = unit.parent.as_ref().and_then(|p| lines.get(p)).copied().unwrap_or(0);
                line_error(parent_line, "tier", format!("existing unit {}: {message}", unit.code))
            }
        };
        match &unit.parent {
            None if !unit.tier.may_be_root() => {
                errors.push(blame(format!("a {} needs a parent_code", unit.tier)));
            }
            None => {}
            Some(parent_code) => match merged.get(parent_code) {
                None => errors.push(blame(format!("unknown parent {parent_code}"))),
                Some(parent) if !unit.tier.may_be_child_of(parent.tier) => {
                    errors.push(blame(format!("a {} cannot sit under {} {parent_code}", unit.tier, parent.tier)))
                }
                Some(_) => {}
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // Tiers strictly descend along every edge, so the walk up always ends.
    let paths: HashMap<UnitCode, Vec<UnitCode>> =
        merged.keys().map(|code| (code.clone(), path_of(code, &merged))).collect();
    let before: HashMap<&UnitCode, &Unit> = existing.iter().map(|u| (&u.code, u)).collect();
    let mut plan = ImportPlan { received, ..ImportPlan::default() };
    let mut after: Vec<Unit> = merged
        .into_values()
        .map(|mut unit| {
            unit.path = paths[&unit.code].clone();
            unit
        })
        .collect();
    after.sort_by(|a, b| a.path.cmp(&b.path));
    for unit in after {
        match before.get(&unit.code) {
            None => plan.created.push(unit),
            Some(old) if **old != unit => plan.updated.push(((*old).clone(), unit)),
            Some(_) if batch_codes.contains(&unit.code) => plan.unchanged += 1,
            Some(_) => {}
        }
    }
    Ok(plan)
}

fn path_of(code: &UnitCode, units: &HashMap<UnitCode, Unit>) -> Vec<UnitCode> {
    let mut path = vec![code.clone()];
    let mut current = units.get(code).and_then(|u| u.parent.as_ref());
    while let Some(parent) = current {
        path.push(parent.clone());
        current = units.get(parent).and_then(|u| u.parent.as_ref());
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_units_csv;

    fn records(body: &str) -> Vec<UnitRecord> {
        read_units_csv(format!("code,name,tier,parent_code,type\n{body}").as_bytes()).unwrap()
    }

    fn apply(existing: &[Unit], plan: &ImportPlan) -> Vec<Unit> {
        let mut all: HashMap<UnitCode, Unit> = existing.iter().map(|u| (u.code.clone(), u.clone())).collect();
        for unit in plan.changed() {
            all.insert(unit.code.clone(), unit.clone());
        }
        all.into_values().collect()
    }

    fn path(units: &[Unit], code: &str) -> Vec<String> {
        let unit = units.iter().find(|u| u.code.as_str() == code).unwrap();
        unit.path.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn a_three_tier_list_gets_paths_from_the_root() {
        let plan =
            plan_import(&[], records("33,P,province,,Tỉnh\n323,D,district,33,Thành phố\n11950,C,commune,323,Phường\n"))
                .unwrap();
        assert_eq!(plan.created.len(), 3);
        assert_eq!(path(&plan.created, "11950"), ["33", "323", "11950"]);
        assert_eq!(plan.created[0].code.as_str(), "33", "parents come first");
    }

    #[test]
    fn a_two_tier_list_has_communes_directly_under_the_province() {
        let plan = plan_import(&[], records("33,P,province,,Tỉnh\n11953,C,commune,33,Phường\n")).unwrap();
        assert_eq!(path(&plan.created, "11953"), ["33", "11953"]);
    }

    #[test]
    fn an_unknown_parent_is_refused_with_its_line() {
        let errors = plan_import(&[], records("33,P,province,,Tỉnh\n323,D,district,34,Thành phố\n")).unwrap_err();
        assert_eq!(errors, [line_error(3, "parent_code", "unknown parent 34")]);
    }

    #[test]
    fn a_parent_already_in_the_directory_is_known() {
        let first = plan_import(&[], records("33,P,province,,Tỉnh\n")).unwrap();
        let plan = plan_import(&first.created, records("323,D,district,33,Thành phố\n")).unwrap();
        assert_eq!(path(&plan.created, "323"), ["33", "323"]);
    }

    #[test]
    fn a_duplicate_code_names_both_lines() {
        let errors = plan_import(&[], records("33,P,province,,Tỉnh\n33,Q,province,,Tỉnh\n")).unwrap_err();
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].message.contains("first on line 2"), "{}", errors[0]);
    }

    #[test]
    fn a_unit_cannot_sit_under_a_lower_or_equal_tier() {
        let errors =
            plan_import(&[], records("33,P,province,,Tỉnh\n11950,C,commune,33,Phường\n323,D,district,11950,Huyện\n"))
                .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 4);
        assert!(errors[0].message.contains("cannot sit under commune"));
    }

    #[test]
    fn only_a_province_may_be_a_root() {
        let errors = plan_import(&[], records("323,D,district,,Huyện\n")).unwrap_err();
        assert!(errors[0].message.contains("needs a parent_code"));
    }

    #[test]
    fn importing_the_same_list_again_changes_nothing() {
        let batch = records("33,P,province,,Tỉnh\n323,D,district,33,Thành phố\n");
        let first = plan_import(&[], batch.clone()).unwrap();
        let again = plan_import(&first.created, batch).unwrap();
        assert_eq!((again.created.len(), again.updated.len(), again.unchanged), (0, 0, 2));
    }

    #[test]
    fn moving_a_unit_moves_the_paths_of_everything_below_it() {
        let first = plan_import(
            &[],
            records("33,P,province,,Tỉnh\n323,D,district,33,Huyện\n324,E,district,33,Huyện\n11950,C,commune,323,Xã\n"),
        )
        .unwrap();
        // Only the district's row is in the batch; its commune moves along with it
        // because the commune's path goes through it. Here the commune itself moves.
        let plan = plan_import(&first.created, records("11950,C,commune,324,Xã\n")).unwrap();
        assert_eq!(plan.updated.len(), 1);
        assert_eq!(path(&apply(&first.created, &plan), "11950"), ["33", "324", "11950"]);
    }

    #[test]
    fn the_2025_merger_reparents_communes_under_the_province() {
        let first =
            plan_import(&[], records("33,P,province,,Tỉnh\n323,D,district,33,Thành phố\n11953,C,commune,323,Phường\n"))
                .unwrap();
        let plan =
            plan_import(&first.created, records("33,P,province,,Tỉnh\n11953,Phường Phố Hiến,commune,33,Phường\n"))
                .unwrap();
        let (before, after) = &plan.updated[0];
        assert_eq!(before.name, "C");
        assert_eq!(after.path.iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["33", "11953"]);
        assert_eq!(plan.unchanged, 1);
    }

    #[test]
    fn changing_a_tier_may_not_orphan_existing_children() {
        let first = plan_import(&[], records("33,P,province,,Tỉnh\n323,D,district,33,Huyện\n11950,C,commune,323,Xã\n"))
            .unwrap();
        let errors = plan_import(&first.created, records("323,D,commune,33,Xã\n")).unwrap_err();
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].message.contains("existing unit 11950"), "{}", errors[0]);
    }
}
