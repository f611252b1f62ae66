//! Planning a reorganisation: the real two-tier merger of 1 July 2025 over
//! Hưng Yên and Thái Bình as they were in January 2025, and small cases of
//! each kind of change — merges, splits, a move under a new parent, a code
//! reused by a successor — and the mappings that are refused, with their line.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use chrono::NaiveDate;
use doithoai_units::{
    Decision, Life, LivingUnit, ReorganisationPlan, Tier, UnitCode, plan_import, plan_reorganisation, read_units_csv,
};

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn july() -> Decision {
    Decision { number: "202/2025/QH15".into(), effective: day("2025-07-01") }
}

fn code(text: &str) -> UnitCode {
    UnitCode::parse(text).unwrap()
}

fn data(file: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../../deploy/data/units/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The directory as a plain import of `csv` leaves it: every unit alive.
fn directory(csv: &[u8]) -> Vec<LivingUnit> {
    let plan = plan_import(&[], read_units_csv(csv).unwrap()).unwrap();
    plan.created.into_iter().map(|unit| LivingUnit { unit, life: Life::default() }).collect()
}

/// The directory after the plan.
fn apply(existing: &[LivingUnit], plan: &ReorganisationPlan) -> Vec<LivingUnit> {
    let mut all: HashMap<UnitCode, LivingUnit> = existing.iter().map(|u| (u.unit.code.clone(), u.clone())).collect();
    for unit in plan.changed() {
        all.insert(unit.unit.code.clone(), unit.clone());
    }
    all.into_values().collect()
}

fn list(body: &str) -> Vec<doithoai_units::UnitRecord> {
    read_units_csv(format!("code,name,tier,parent_code,type,legacy_sources\n{body}").as_bytes()).unwrap()
}

/// Hưng Yên and Thái Bình of January 2025, three tiers.
fn january_2025() -> Vec<LivingUnit> {
    let country = directory(&data("vietnam-2025-01.csv"));
    let mut units: Vec<LivingUnit> = country.into_iter().filter(|u| u.unit.path[0].as_str() == "34").collect();
    assert!(units.len() > 200, "Thái Bình is in the country's list");
    units.extend(directory(&data("hung-yen-2025-01.csv")));
    units
}

#[test]
fn the_july_2025_merger_makes_hung_yen_two_tiers_and_names_every_successor() {
    let before = january_2025();
    let alive = |units: &[LivingUnit], tier: Tier, root: &str| {
        units.iter().filter(|u| u.unit.tier == tier && u.unit.path[0].as_str() == root && u.life.to.is_none()).count()
    };
    assert_eq!((alive(&before, Tier::District, "33"), alive(&before, Tier::Commune, "33")), (10, 139));
    let plan = plan_reorganisation(&before, read_units_csv(data("hung-yen-2025-07.csv").as_slice()).unwrap(), &july())
        .unwrap();
    assert_eq!(plan.received, 105);
    let after = apply(&before, &plan);
    let unit = |c: &str| after.iter().find(|u| u.unit.code.as_str() == c).unwrap();

    // Two tiers: the province and its 104 communes, alive from 1 July.
    let living: Vec<&LivingUnit> = after.iter().filter(|u| u.life.alive_on(day("2025-07-01"))).collect();
    assert_eq!(living.iter().filter(|u| u.unit.tier == Tier::Province).count(), 1);
    assert_eq!(living.iter().filter(|u| u.unit.tier == Tier::Commune).count(), 104);
    assert!(living.iter().all(|u| u.unit.tier != Tier::District && u.unit.path[0].as_str() == "33"));
    // Thái Bình ends on 30 June, succeeded by Hưng Yên; so do the abolished districts.
    assert_eq!(unit("34").life, Life { to: Some(day("2025-06-30")), successors: vec![code("33")], ..Life::default() });
    for district in after.iter().filter(|u| u.unit.tier == Tier::District) {
        assert_eq!(district.life.to, Some(day("2025-06-30")), "{}", district.unit.code);
        assert_eq!(district.life.successors, [code("33")], "{}", district.unit.code);
    }
    // A new commune reuses one of its sources' codes: 11953 goes on, now under
    // the province, with the five others it absorbed; they end with it as successor.
    let pho_hien = unit("11953");
    assert_eq!((pho_hien.unit.path.clone(), pho_hien.life.to), (vec![code("33"), code("11953")], None));
    assert_eq!(pho_hien.unit.legacy_codes, ["11956", "11959", "11962", "11971", "11974"].map(code));
    assert_eq!(unit("11974").life.successors, [code("11953")]);
    assert_eq!(unit("11974").unit.path, [code("33"), code("323"), code("11974")], "history keeps its place");
    // Every commune of January is alive, or ended on 30 June with a successor alive on 1 July.
    for commune in after.iter().filter(|u| u.unit.tier == Tier::Commune && u.life.to.is_some()) {
        assert_eq!(commune.life.to, Some(day("2025-06-30")));
        assert!(!commune.life.successors.is_empty(), "{}", commune.unit.code);
        assert!(commune.life.successors.iter().all(|s| unit(s.as_str()).life.alive_on(day("2025-07-01"))));
    }
    let retired_communes = plan.retired.iter().filter(|(_, u)| u.unit.tier == Tier::Commune).count();
    let thai_binh_communes = before.iter().filter(|u| u.unit.tier == Tier::Commune && u.unit.path[0].as_str() == "34");
    assert_eq!(retired_communes + 104, 139 + thai_binh_communes.count() + plan.created.len());

    // Applying it again changes nothing.
    let again =
        plan_reorganisation(&after, read_units_csv(data("hung-yen-2025-07.csv").as_slice()).unwrap(), &july()).unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(again.unchanged, 105);
}

#[test]
fn the_december_2024_commune_mergers_then_the_july_2025_merger_bring_up_todays_hung_yen() {
    // The 2020 list, then Resolution 1248/NQ-UBTVQH15 from 1 December 2024: 161 communes become 139.
    let december = Decision { number: "1248/NQ-UBTVQH15".into(), effective: day("2024-12-01") };
    let before = directory(&data("hung-yen-2020.csv"));
    let plan =
        plan_reorganisation(&before, read_units_csv(data("hung-yen-2024-12.csv").as_slice()).unwrap(), &december)
            .unwrap();
    assert_eq!((plan.received, plan.created.len(), plan.retired.len()), (150, 0, 22));
    let after = apply(&before, &plan);
    let unit = |c: &str| after.iter().find(|u| u.unit.code.as_str() == c).unwrap();
    // Quang Trung joined Lê Lợi; Việt Yên was formed from three communes and keeps one's code.
    assert_eq!(
        unit("11965").life,
        Life { to: Some(day("2024-11-30")), successors: vec![code("11959")], ..Life::default() }
    );
    assert_eq!(unit("12091").unit.name, "Xã Việt Yên");
    assert_eq!(unit("12091").unit.legacy_codes, ["12082", "12088"].map(code));
    assert_eq!(unit("12082").life.successors, [code("12091")]);
    let alive = after.iter().filter(|u| u.unit.tier == Tier::Commune && u.life.alive_on(day("2024-12-01"))).count();
    assert_eq!(alive, 139);
    // The districts go on, as the same units.
    assert!(after.iter().filter(|u| u.unit.tier == Tier::District).all(|u| u.life.to.is_none()));

    // July 2025 follows from there, with Thái Bình of January 2025.
    let mut today = after;
    let country = directory(&data("vietnam-2025-01.csv"));
    today.extend(country.into_iter().filter(|u| u.unit.path[0].as_str() == "34"));
    let july_plan =
        plan_reorganisation(&today, read_units_csv(data("hung-yen-2025-07.csv").as_slice()).unwrap(), &july()).unwrap();
    let today = apply(&today, &july_plan);
    let living = today.iter().filter(|u| u.life.alive_on(day("2025-07-01"))).count();
    assert_eq!(living, 105);
    // A commune that ended in December stays ended; its successor's successor carries on.
    let quang_trung = today.iter().find(|u| u.unit.code.as_str() == "11965").unwrap();
    assert_eq!(quang_trung.life.to, Some(day("2024-11-30")));
}

fn small_province() -> Vec<LivingUnit> {
    directory(
        b"code,name,tier,parent_code,type\n\
          33,Province,province,,Tinh\n\
          323,District A,district,33,Huyen\n\
          324,District B,district,33,Huyen\n\
          11950,Commune 1,commune,323,Xa\n\
          11951,Commune 2,commune,323,Xa\n\
          11952,Commune 3,commune,324,Xa\n\
          11953,Commune 4,commune,324,Xa\n",
    )
}

fn january() -> Decision {
    Decision { number: "1318/NQ-UBTVQH15".into(), effective: day("2025-01-01") }
}

#[test]
fn merges_splits_and_moves_on_the_effective_date() {
    let before = small_province();
    // District A absorbs district B; 11950 absorbs 11951 (merge, code reused);
    // 11952 is split into itself and a new 11960, which also takes 11953.
    let plan = plan_reorganisation(
        &before,
        list(
            "33,Province,province,,Tinh,33\n\
             323,District A,district,33,Huyen,324\n\
             11950,Commune 1+2,commune,323,Xa,11950;11951\n\
             11952,Commune 3 north,commune,323,Xa,11952\n\
             11960,Commune 3 south + 4,commune,323,Xa,11952;11953\n",
        ),
        &january(),
    )
    .unwrap();
    let after = apply(&before, &plan);
    let unit = |c: &str| after.iter().find(|u| u.unit.code.as_str() == c).unwrap();
    assert_eq!(unit("11951").life.successors, [code("11950")]);
    assert_eq!(unit("11953").life.successors, [code("11960")]);
    // District B goes into A; its commune 11952 goes on, moved under district A.
    assert_eq!(
        unit("324").life,
        Life { to: Some(day("2024-12-31")), successors: vec![code("323")], ..Life::default() }
    );
    assert_eq!(unit("11952").unit.path, [code("33"), code("323"), code("11952")]);
    assert_eq!(unit("11952").life.to, None);
    // The new commune begins on the date, formed from both.
    assert_eq!(unit("11960").life, Life { from: Some(day("2025-01-01")), ..Life::default() });
    assert_eq!(unit("11960").unit.legacy_codes, [code("11952"), code("11953")]);
    let codes =
        |units: &[(LivingUnit, LivingUnit)]| units.iter().map(|(_, u)| u.unit.code.to_string()).collect::<Vec<_>>();
    assert_eq!(codes(&plan.retired), ["11951", "324", "11953"], "in path order");
    assert_eq!(plan.created.iter().map(|u| u.unit.code.to_string()).collect::<Vec<_>>(), ["11960"]);
    assert_eq!(codes(&plan.continued), ["323", "11950", "11952"]);
    assert_eq!(plan.unchanged, 1, "the province");
}

#[test]
fn a_mapping_that_forgets_a_unit_or_names_a_stranger_is_refused_with_its_line() {
    let before = small_province();
    let refused = plan_reorganisation(
        &before,
        list(
            "33,Province,province,,Tinh,\n\
             323,District A,district,33,Huyen,324\n\
             11950,Commune 1+2,commune,323,Xa,11950;11951;99999\n\
             11952,Commune 3,commune,323,Xa,11952;01001\n",
        ),
        &january(),
    )
    .unwrap_err();
    let found: Vec<(u32, &str, bool)> =
        refused.iter().map(|e| (e.line, e.field, e.message.contains("11953"))).collect();
    // 99999 is unknown and 01001 is not Hưng Yên's (line 4 and 5); commune 11953 is
    // succeeded by nobody (blamed on the province's line 2).
    assert_eq!(found, [(2, "legacy_sources", true), (4, "legacy_sources", false), (5, "legacy_sources", false)]);
    assert!(refused[1].message.contains("99999"), "{}", refused[1]);
}

#[test]
fn a_source_already_gone_or_a_parent_that_ends_is_refused() {
    let mut before = small_province();
    for unit in before.iter_mut().filter(|u| u.unit.code.as_str() == "11951") {
        unit.life = Life { to: Some(day("2020-12-31")), successors: vec![code("11950")], ..Life::default() };
    }
    let refused = plan_reorganisation(
        &before,
        list(
            "33,Province,province,,Tinh,\n\
             323,District A,district,33,Huyen,324\n\
             11950,Commune 1,commune,323,Xa,11951\n\
             11952,Commune 3,commune,324,Xa,11953\n",
        ),
        &january(),
    )
    .unwrap_err();
    let found: Vec<(u32, &str)> = refused.iter().map(|e| (e.line, e.field)).collect();
    assert_eq!(found, [(4, "legacy_sources"), (5, "parent_code")], "{refused:?}");
    assert!(refused[1].message.contains("324"), "{}", refused[1]);
}

#[test]
fn a_list_without_its_province_is_refused() {
    let refused =
        plan_reorganisation(&small_province(), list("11950,Commune 1,commune,323,Xa,11951\n"), &january()).unwrap_err();
    assert_eq!((refused[0].line, refused[0].field), (1, "tier"));
}
