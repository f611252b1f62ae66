//! Subtree summaries from the maintained counts (see the migration
//! `…_counts.sql`): the units of the subtree from the unit replica, then
//! their counts — a few thousand rows at most, whatever the number of
//! obligations.

use chrono::NaiveDate;
use doithoai_directory::in_scope_sql;
use doithoai_proto::deadlines::v1::{ObligationState, StateCount, Summary};
use sqlx::PgConnection;

/// `kind` as stored (`OBLIGATION_KIND_…`) or all; due months within the range
/// if given. With whether the unit lies in the subtree of the caller's unit
/// `scope`: if not (or it is not in the directory), nothing is counted, and
/// [`directory::require_scope_if_nothing_read`] says why.
///
/// One statement, the caller's scope checked in it: the subtree's codes are
/// read once, as an array the counts are then looked up by (`= ANY`), so the
/// plan does not hang on how large the subtree is. PostgreSQL then keeps one
/// plan for every unit instead of planning each read again, which cost more
/// than the read itself.
///
/// [`directory::require_scope_if_nothing_read`]: doithoai_directory::require_scope_if_nothing_read
pub async fn subtree(
    conn: &mut PgConnection,
    scope: &str,
    unit_code: &str,
    kind: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> sqlx::Result<(bool, Summary)> {
    // Without a date range the totals serve: a few rows per unit.
    let counts = if from.is_none() && to.is_none() {
        "SELECT c.state, sum(c.count)::bigint AS n FROM obligation_totals c
         WHERE c.unit_code = ANY ((SELECT codes FROM subtree)::text[]) AND ($2::text IS NULL OR c.kind = $2)
         GROUP BY c.state"
    } else {
        "SELECT c.state, sum(c.count)::bigint AS n FROM obligation_counts c
         WHERE c.unit_code = ANY ((SELECT codes FROM subtree)::text[]) AND ($2::text IS NULL OR c.kind = $2)
           AND ($3::date IS NULL OR c.due_month >= date_trunc('month', $3::date))
           AND ($4::date IS NULL OR c.due_month <= date_trunc('month', $4::date))
         GROUP BY c.state"
    };
    let sql = format!(
        "WITH scope AS (SELECT {in_scope} AS in_scope),
              subtree AS (SELECT ARRAY(SELECT code FROM units WHERE path @> ARRAY[$1]::text[]) AS codes
                          WHERE (SELECT in_scope FROM scope)),
              counts AS ({counts}),
              histogram AS (
                  SELECT h.days, sum(h.count)::bigint AS n FROM met_days_histogram h
                  WHERE h.unit_code = ANY ((SELECT codes FROM subtree)::text[]) AND ($2::text IS NULL OR h.kind = $2)
                  GROUP BY h.days)
         SELECT (SELECT in_scope FROM scope),
                ARRAY(SELECT state FROM counts WHERE n > 0 ORDER BY state),
                ARRAY(SELECT n FROM counts WHERE n > 0 ORDER BY state),
                ARRAY(SELECT days FROM histogram WHERE n > 0 ORDER BY days),
                ARRAY(SELECT n FROM histogram WHERE n > 0 ORDER BY days)",
        in_scope = in_scope_sql(1, 5)
    );
    let (in_scope, states, state_counts, days, day_counts): (bool, Vec<String>, Vec<i64>, Vec<i32>, Vec<i64>) =
        sqlx::query_as(&sql).bind(unit_code).bind(kind).bind(from).bind(to).bind(scope).fetch_one(conn).await?;
    let counts: Vec<(String, i64)> = states.into_iter().zip(state_counts).collect();
    let histogram: Vec<(i32, i64)> = days.into_iter().zip(day_counts).collect();
    let count =
        |state: ObligationState| counts.iter().find(|(s, _)| s == state.as_str_name()).map_or(0, |(_, n)| *n) as f64;
    let rated = count(ObligationState::MetOnTime) + count(ObligationState::MetLate) + count(ObligationState::Overdue);
    let summary = Summary {
        counts: counts
            .iter()
            .map(|(state, n)| StateCount {
                state: ObligationState::from_str_name(state).unwrap_or_default() as i32,
                count: *n as u32,
            })
            .collect(),
        on_time_rate: if rated > 0.0 { count(ObligationState::MetOnTime) / rated } else { 0.0 },
        median_working_days: percentile(&histogram, 0.5),
        p90_working_days: percentile(&histogram, 0.9),
    };
    Ok((in_scope, summary))
}

/// The smallest value with at least `q` of the counts at or below it.
fn percentile(histogram: &[(i32, i64)], q: f64) -> f64 {
    let total: i64 = histogram.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return 0.0;
    }
    let wanted = (q * total as f64).ceil() as i64;
    let mut seen = 0;
    for (days, n) in histogram {
        seen += n;
        if seen >= wanted {
            return f64::from(*days);
        }
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_histogram() {
        let histogram = [(5, 4), (20, 5), (40, 1)];
        assert_eq!(percentile(&histogram, 0.5), 20.0);
        assert_eq!(percentile(&histogram, 0.9), 20.0);
        assert_eq!(percentile(&histogram, 0.95), 40.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
