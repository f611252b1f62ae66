//! The deadlines service at national scale: builds a database with the
//! whole country's units (a GSO list: three tiers in January 2025, two from
//! July 2025) and N obligations spread over ten years, then times the queries
//! that must stay fast — subtree summaries, the sweep's selection — and
//! prints a table.
//!
//! ```sh
//! cargo run --release -p doithoai-deadlines --bin doithoai-deadlines-scale -- --obligations 25000000 \
//!     --units deploy/data/units/vietnam-2025-07.csv
//! ```

use std::time::{Duration, Instant};

use anyhow::Context;
use doithoai_runtime::db;
use doithoai_units::{Tier, Unit};
use sqlx::{Connection, Executor, PgConnection, PgPool, postgres::PgConnectOptions};

const DATABASE: &str = "doithoai_deadlines_scale";
const RUNS: usize = 20;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let obligations: i64 = arg("--obligations", "1000000").parse().context("--obligations takes a number")?;
    let url =
        std::env::var("DOITHOAI_DATABASE__URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
    let server: PgConnectOptions = url.parse()?;
    let mut admin = PgConnection::connect_with(&server.clone().database("postgres")).await?;
    admin.execute(format!(r#"DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)"#).as_str()).await?;
    db::ensure_database(&server, DATABASE).await?;
    let pool = PgPool::connect_with(server.database(DATABASE)).await?;
    for mut migrator in doithoai_deadlines::migrations() {
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
    }

    let list = arg("--units", concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/data/units/vietnam-2025-01.csv"));
    let started = Instant::now();
    let units = load_units(&pool, &list).await?;
    println!("units: {} ({list}) in {:.1} s", units.len(), started.elapsed().as_secs_f64());
    let probes = probes(&units)?;

    let started = Instant::now();
    generate(&pool, obligations).await?;
    let generated = started.elapsed();
    let size: String =
        sqlx::query_scalar("SELECT pg_size_pretty(pg_database_size(current_database()))").fetch_one(&pool).await?;
    println!(
        "obligations: {obligations} generated, indexed and counted in {:.0} s; database {size}",
        generated.as_secs_f64()
    );

    println!();
    println!("| query | subtree | median | p95 |");
    println!("|---|---|---|---|");
    for probe in &probes {
        let timings = time(&pool, || async {
            let mut conn = pool.acquire().await?;
            // Read as the unit's own office: in scope.
            doithoai_deadlines::summary::subtree(&mut conn, probe.code.as_str(), probe.code.as_str(), None, None, None)
                .await?;
            Ok(())
        })
        .await?;
        println!("| subtree summary | {} | {} | {} |", probe.label, ms(timings.0), ms(timings.1));
    }
    for probe in probes.iter().filter(|probe| probe.tier == Tier::Province) {
        let timings = time(&pool, || async {
            let mut conn = pool.acquire().await?;
            let (from, to) = (
                chrono::NaiveDate::from_ymd_opt(2025, 1, 1).context("a date")?,
                chrono::NaiveDate::from_ymd_opt(2025, 12, 31).context("a date")?,
            );
            doithoai_deadlines::report::compute(&mut conn, probe.code.as_str(), &probe.name, from, to).await?;
            Ok(())
        })
        .await?;
        println!("| annual report (2025) | {} | {} | {} |", probe.label, ms(timings.0), ms(timings.1));
    }
    let timings = time(&pool, || async {
        let mut tx = pool.begin().await?;
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).context("a date")?;
        sqlx::query(
            "SELECT id FROM obligations
             WHERE (state IN ('OBLIGATION_STATE_OPEN', 'OBLIGATION_STATE_DUE_SOON') AND due_date < $1)
                OR (state = 'OBLIGATION_STATE_OPEN' AND due_date <= $1 + 5)
             ORDER BY due_date LIMIT 500 FOR UPDATE SKIP LOCKED",
        )
        .bind(today)
        .fetch_all(&mut *tx)
        .await?;
        tx.rollback().await?;
        Ok(())
    })
    .await?;
    println!("| sweep selection (500 rows that change) | all | {} | {} |", ms(timings.0), ms(timings.1));
    Ok(())
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// Median and 95th percentile of `RUNS` runs after one warm-up.
async fn time<F, Fut>(_: &PgPool, mut run: F) -> anyhow::Result<(Duration, Duration)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    run().await?;
    let mut timings = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        run().await?;
        timings.push(started.elapsed());
    }
    timings.sort();
    Ok((timings[RUNS / 2], timings[RUNS * 95 / 100]))
}

/// A unit whose subtree is timed.
struct Probe {
    label: String,
    code: String,
    name: String,
    tier: Tier,
}

/// The largest province, Hưng Yên, one of its districts (when the list has
/// three tiers) and one of its communes: the same questions of either shape.
fn probes(units: &[Unit]) -> anyhow::Result<Vec<Probe>> {
    let communes_of = |code: &str| {
        units.iter().filter(|u| u.tier == Tier::Commune && u.path.iter().any(|c| c.as_str() == code)).count()
    };
    let largest = units
        .iter()
        .filter(|u| u.tier == Tier::Province)
        .max_by_key(|u| communes_of(u.code.as_str()))
        .context("the list has no province")?;
    let under_33 =
        |tier: Tier| units.iter().find(|u| u.tier == tier && u.path.first().is_some_and(|c| c.as_str() == "33"));
    let mut probes = vec![Probe {
        label: format!("largest province ({}, {} communes)", largest.name, communes_of(largest.code.as_str())),
        code: largest.code.to_string(),
        name: largest.name.clone(),
        tier: Tier::Province,
    }];
    for unit in [under_33(Tier::Province), under_33(Tier::District), under_33(Tier::Commune)].into_iter().flatten() {
        let communes = communes_of(unit.code.as_str());
        probes.push(Probe {
            label: match unit.tier {
                Tier::Commune => format!("commune ({})", unit.name),
                _ => format!("{} ({}, {communes} communes)", unit.tier.as_str(), unit.name),
            },
            code: unit.code.to_string(),
            name: unit.name.clone(),
            tier: unit.tier,
        });
    }
    Ok(probes)
}

async fn load_units(pool: &PgPool, list: &str) -> anyhow::Result<Vec<Unit>> {
    let file = std::fs::File::open(list).with_context(|| format!("cannot open {list}"))?;
    let records = doithoai_units::read_units_csv(file).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let plan = doithoai_units::plan_import(&[], records).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let units: Vec<Unit> = plan.changed().cloned().collect();
    let codes: Vec<String> = units.iter().map(|u| u.code.to_string()).collect();
    let tiers: Vec<&str> = units.iter().map(|u| u.tier.as_str()).collect();
    let paths: Vec<String> =
        units.iter().map(|u| u.path.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(".")).collect();
    sqlx::query(
        "INSERT INTO units (code, name, tier, parent_code, kind, path, source_event_id)
         SELECT code, code, tier, NULL, '-', string_to_array(path, '.'), gen_random_uuid()
         FROM UNNEST($1::text[], $2::text[], $3::text[]) AS u(code, tier, path)",
    )
    .bind(&codes)
    .bind(&tiers)
    .bind(&paths)
    .execute(pool)
    .await?;
    Ok(units)
}

/// N obligations over the communes, ten years of due dates, a realistic mix
/// of kinds and states; then the counts the summaries read, in one pass.
async fn generate(pool: &PgPool, obligations: i64) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    conn.execute("ALTER TABLE obligations DISABLE TRIGGER obligation_counts_follow").await?;
    conn.execute("CREATE TEMP TABLE communes AS SELECT row_number() OVER (ORDER BY code) AS n, path FROM units WHERE tier = 'commune'").await?;
    let batch = 1_000_000;
    let mut done = 0;
    while done < obligations {
        let size = batch.min(obligations - done);
        sqlx::query(
            "INSERT INTO obligations (id, key, kind, rule, unit_path, petition_id, organization_id, anchor_date, anchor, working_days,
                 due_date, calendar_revision, explanation, state, met_on, met_after_working_days)
             SELECT gen_random_uuid(), 'SCALE:' || g, k.kind, k.rule, c.path, gen_random_uuid(), gen_random_uuid(), d.due - 42, 'RECEIVED', 30,
                    d.due, 'scale', ARRAY[]::text[], s.state,
                    CASE WHEN s.state LIKE 'OBLIGATION_STATE_MET%' THEN d.due - (g % 20)::int END,
                    CASE WHEN s.state LIKE 'OBLIGATION_STATE_MET%' THEN 10 + (g % 35)::int END
             FROM generate_series($1::bigint, $2::bigint) AS g
             JOIN communes c ON c.n = 1 + (g * 7919) % (SELECT count(*) FROM communes)
             CROSS JOIN LATERAL (SELECT (date '2016-12-01' + ((g * 104729) % 3650)::int) AS due) d
             CROSS JOIN LATERAL (SELECT CASE WHEN g % 10 = 0 THEN 'OBLIGATION_KIND_CONCLUSION_NOTICE' ELSE 'OBLIGATION_KIND_AGENCY_RESPONSE' END AS kind,
                                        CASE WHEN g % 10 = 0 THEN 'R10.2' ELSE 'R10.3' END AS rule) k
             CROSS JOIN LATERAL (SELECT CASE
                 WHEN d.due > date '2026-11-26' THEN 'OBLIGATION_STATE_OPEN'
                 WHEN g % 50 = 0 THEN 'OBLIGATION_STATE_OVERDUE'
                 WHEN g % 7 = 0 THEN 'OBLIGATION_STATE_MET_LATE'
                 ELSE 'OBLIGATION_STATE_MET_ON_TIME' END AS state) s",
        )
        .bind(done + 1)
        .bind(done + size)
        .execute(&mut *conn)
        .await?;
        done += size;
        println!("  {done} obligations");
    }
    conn.execute(
        "INSERT INTO obligation_counts (unit_code, kind, state, due_month, count)
         SELECT unit_path[cardinality(unit_path)], kind, state, date_trunc('month', due_date)::date, count(*) FROM obligations GROUP BY 1, 2, 3, 4",
    )
    .await?;
    conn.execute(
        "INSERT INTO obligation_totals (unit_code, kind, state, count)
         SELECT unit_code, kind, state, sum(count) FROM obligation_counts GROUP BY 1, 2, 3",
    )
    .await?;
    conn.execute(
        "INSERT INTO met_days_histogram (unit_code, kind, days, count)
         SELECT unit_path[cardinality(unit_path)], kind, met_after_working_days, count(*) FROM obligations
         WHERE met_after_working_days IS NOT NULL GROUP BY 1, 2, 3",
    )
    .await?;
    conn.execute("ALTER TABLE obligations ENABLE TRIGGER obligation_counts_follow").await?;
    conn.execute("ANALYZE").await?;
    Ok(())
}
