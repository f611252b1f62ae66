//! `add_working_days(d, 30)`: the precomputed calendar beside the naive loop.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use doithoai_calendar::{Calendar, naive::NaiveCalendar};

fn add_working_days(c: &mut Criterion) {
    let calendar = Calendar::builtin();
    let naive = NaiveCalendar::of(calendar);
    let anchor = NaiveDate::from_ymd_opt(2025, 12, 23).expect("a valid date");
    let mut group = c.benchmark_group("add_working_days_30");
    group.bench_function("precomputed", |b| b.iter(|| calendar.add_working_days(black_box(anchor), black_box(30))));
    group.bench_function("naive_loop", |b| b.iter(|| naive.add_working_days(black_box(anchor), black_box(30))));
    group.finish();
    c.bench_function("working_days_between_one_year", |b| {
        let end = NaiveDate::from_ymd_opt(2026, 12, 23).expect("a valid date");
        b.iter(|| calendar.working_days_between(black_box(anchor), black_box(end)))
    });
}

criterion_group!(benches, add_working_days);
criterion_main!(benches);
