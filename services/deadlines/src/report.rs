//! The 6-month and annual report of a subtree (R13.1, R11.3, R12.3): what
//! was held, what was raised and what became of it, and whether the R10
//! clocks were kept — as figures, CSV, and a Vietnamese PDF.

use chrono::NaiveDate;
use doithoai_documents::{Block, Body, Document, Number, Signature, vietnamese};
use std::collections::BTreeMap;

use doithoai_proto::deadlines::v1::{Count, Report, ReportPart};
use sqlx::PgConnection;

/// The part of the report's unit ($1) a record counts in: the unit directly
/// below it on the record's own path (as the unit stood then), or the unit
/// itself.
const PART: &str = "coalesce(unit_path[array_position(unit_path, $1::text) + 1], $1::text)";

/// Each part's figures, by the part's code.
type Parts = BTreeMap<String, Report>;

/// `(part, key, count)` rows of `SELECT {PART}, key, count(*) …`, into each
/// part's counts chosen by `into`.
async fn counts(
    conn: &mut PgConnection,
    parts: &mut Parts,
    sql: String,
    (code, from, to): (&str, NaiveDate, NaiveDate),
    into: fn(&mut Report) -> &mut Vec<Count>,
) -> sqlx::Result<()> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(&sql).bind(code).bind(from).bind(to).fetch_all(conn).await?;
    for (part, key, count) in rows {
        into(parts.entry(part).or_default()).push(Count { key, count: count as u32 });
    }
    Ok(())
}

/// On time, late and overdue obligations of `kind` due in the period, by part.
async fn clocks(
    conn: &mut PgConnection,
    kind: &str,
    (code, from, to): (&str, NaiveDate, NaiveDate),
) -> sqlx::Result<Vec<(String, i64, i64, i64)>> {
    sqlx::query_as(&format!(
        "SELECT {PART}, count(*) FILTER (WHERE state = 'OBLIGATION_STATE_MET_ON_TIME'),
                count(*) FILTER (WHERE state = 'OBLIGATION_STATE_MET_LATE'),
                count(*) FILTER (WHERE state = 'OBLIGATION_STATE_OVERDUE')
         FROM obligations WHERE unit_path @> ARRAY[$1]::text[] AND kind = $4 AND due_date BETWEEN $2 AND $3
         GROUP BY 1"
    ))
    .bind(code)
    .bind(from)
    .bind(to)
    .bind(kind)
    .fetch_all(conn)
    .await
}

/// The report of `code`'s subtree for the period, with its parts: the units
/// directly below it that lived in the period, and itself.
pub async fn compute(
    conn: &mut PgConnection,
    code: &str,
    unit_name: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Report> {
    let period = (code, from, to);
    let mut parts = Parts::new();
    let held = "FROM conferences_held WHERE unit_path @> ARRAY[$1]::text[] AND ended_on BETWEEN $2 AND $3";
    let raised = "FROM petitions WHERE unit_path @> ARRAY[$1]::text[] AND recorded_on BETWEEN $2 AND $3 AND escalated_from IS NULL";
    let by = |key: &str, from: &str| format!("SELECT {PART}, {key}, count(*) {from} GROUP BY 1, 2 ORDER BY 1, 2");
    counts(conn, &mut parts, by("kind", held), period, |r| &mut r.conferences_by_kind).await?;
    counts(conn, &mut parts, by("regime", held), period, |r| &mut r.conferences_by_regime).await?;
    counts(conn, &mut parts, by("field", raised), period, |r| &mut r.petitions_by_field).await?;
    counts(conn, &mut parts, by("classification", raised), period, |r| &mut r.petitions_by_classification).await?;
    let outcomes: Vec<(String, String, i64)> =
        sqlx::query_as(&by("outcome", raised)).bind(code).bind(from).bind(to).fetch_all(&mut *conn).await?;
    for (part, outcome, count) in outcomes {
        let report = parts.entry(part).or_default();
        let count = count as u32;
        match outcome.as_str() {
            "ANSWERED" => report.petitions_answered_at_conference += count,
            "REFERRED" => report.petitions_referred += count,
            "ESCALATED" => report.petitions_escalated += count,
            _ => {}
        }
    }
    // R6.2: the heads' periodic dialogues of the period's year(s), held by its end.
    let heads: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT {PART}, count(*) FILTER (WHERE met_on IS NOT NULL AND met_on <= $3),
                count(*) FILTER (WHERE met_on IS NULL OR met_on > $3)
         FROM obligations WHERE unit_path @> ARRAY[$1]::text[] AND kind = 'OBLIGATION_KIND_PERIODIC_DIALOGUE'
           AND state <> 'OBLIGATION_STATE_CANCELLED' AND anchor_date <= $3 AND due_date >= $2
         GROUP BY 1"
    ))
    .bind(code)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    for (part, held, not_held) in heads {
        let report = parts.entry(part).or_default();
        (report.heads_held, report.heads_not_held) = (held as u32, not_held as u32);
    }
    for (part, on_time, late, overdue) in clocks(conn, "OBLIGATION_KIND_CONCLUSION_NOTICE", period).await? {
        let report = parts.entry(part).or_default();
        (report.notices_on_time, report.notices_late, report.notices_overdue) =
            (on_time as u32, late as u32, overdue as u32);
    }
    for (part, on_time, late, overdue) in clocks(conn, "OBLIGATION_KIND_AGENCY_RESPONSE", period).await? {
        let report = parts.entry(part).or_default();
        (report.responses_on_time, report.responses_late, report.responses_overdue) =
            (on_time as u32, late as u32, overdue as u32);
    }
    // The units below that lived in the period count, with nothing to report or not.
    let lived: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM units WHERE parent_code = $1
           AND (valid_from IS NULL OR valid_from <= $3) AND (valid_to IS NULL OR valid_to >= $2)",
    )
    .bind(code)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    parts.entry(code.to_owned()).or_default();
    for unit in lived {
        parts.entry(unit).or_default();
    }
    let mut whole = Report {
        unit_code: code.to_owned(),
        unit_name: unit_name.to_owned(),
        from: from.to_string(),
        to: to.to_string(),
        ..Report::default()
    };
    for figures in parts.values() {
        add(&mut whole, figures);
    }
    whole.parts = described(conn, code, parts, (from, to)).await?;
    Ok(whole)
}

/// The parts with their units' names and lives, the unit itself first.
async fn described(
    conn: &mut PgConnection,
    code: &str,
    parts: Parts,
    (from, to): (NaiveDate, NaiveDate),
) -> sqlx::Result<Vec<ReportPart>> {
    let codes: Vec<&String> = parts.keys().collect();
    type Life = (String, String, Option<NaiveDate>, Option<NaiveDate>, Vec<String>, Vec<String>);
    let units: Vec<Life> = sqlx::query_as(
        "SELECT code, name, valid_from, valid_to, successor_codes, legacy_codes FROM units WHERE code = ANY($1)",
    )
    .bind(&codes)
    .fetch_all(conn)
    .await?;
    let units: BTreeMap<String, Life> = units.into_iter().map(|unit| (unit.0.clone(), unit)).collect();
    let within = |day: Option<NaiveDate>| day.filter(|d| (from..=to).contains(d)).map(|d| d.to_string());
    let mut described: Vec<ReportPart> = parts
        .into_iter()
        .map(|(part, figures)| {
            let (name, began, ended, successors, sources) = match units.get(&part) {
                Some((_, name, began, ended, successors, sources)) => {
                    (name.clone(), *began, *ended, successors.clone(), sources.clone())
                }
                None => (String::new(), None, None, Vec::new(), Vec::new()),
            };
            ReportPart {
                began_on: within(began).unwrap_or_default(),
                ended_on: within(ended).unwrap_or_default(),
                successor_codes: if within(ended).is_some() { successors } else { Vec::new() },
                formed_from: sources,
                unit_name: name,
                unit_code: part,
                figures: Some(figures),
            }
        })
        .collect();
    described.sort_by_key(|part| (part.unit_code != code, part.unit_code.clone()));
    Ok(described)
}

/// Adds a part's figures to the whole.
fn add(whole: &mut Report, part: &Report) {
    let merge = |into: &mut Vec<Count>, from: &[Count]| {
        for count in from {
            match into.iter_mut().find(|c| c.key == count.key) {
                Some(existing) => existing.count += count.count,
                None => into.push(count.clone()),
            }
        }
        into.sort_by(|a, b| a.key.cmp(&b.key));
    };
    merge(&mut whole.conferences_by_kind, &part.conferences_by_kind);
    merge(&mut whole.conferences_by_regime, &part.conferences_by_regime);
    merge(&mut whole.petitions_by_field, &part.petitions_by_field);
    merge(&mut whole.petitions_by_classification, &part.petitions_by_classification);
    whole.heads_held += part.heads_held;
    whole.heads_not_held += part.heads_not_held;
    whole.petitions_answered_at_conference += part.petitions_answered_at_conference;
    whole.petitions_referred += part.petitions_referred;
    whole.petitions_escalated += part.petitions_escalated;
    whole.notices_on_time += part.notices_on_time;
    whole.notices_late += part.notices_late;
    whole.notices_overdue += part.notices_overdue;
    whole.responses_on_time += part.responses_on_time;
    whole.responses_late += part.responses_late;
    whole.responses_overdue += part.responses_overdue;
}

/// `section,key,count,unit` lines, one figure each: the whole's (unit
/// empty), then each part's.
pub fn csv(report: &Report) -> String {
    let mut out = String::from("section,key,count,unit\n");
    figures_csv(&mut out, report, "");
    for part in &report.parts {
        if let Some(figures) = &part.figures {
            figures_csv(&mut out, figures, &part.unit_code);
        }
    }
    out
}

fn figures_csv(out: &mut String, report: &Report, unit: &str) {
    let mut row = |section: &str, key: &str, count: u32| out.push_str(&format!("{section},{key},{count},{unit}\n"));
    for c in &report.conferences_by_kind {
        row("conferences_by_kind", &c.key, c.count);
    }
    for c in &report.conferences_by_regime {
        row("conferences_by_regime", &c.key, c.count);
    }
    row("heads", "held", report.heads_held);
    row("heads", "not_held", report.heads_not_held);
    for c in &report.petitions_by_field {
        row("petitions_by_field", &c.key, c.count);
    }
    for c in &report.petitions_by_classification {
        row("petitions_by_classification", &c.key, c.count);
    }
    row("petitions", "answered_at_conference", report.petitions_answered_at_conference);
    row("petitions", "referred", report.petitions_referred);
    row("petitions", "escalated", report.petitions_escalated);
    for (section, (on_time, late, overdue)) in [
        ("notices", (report.notices_on_time, report.notices_late, report.notices_overdue)),
        ("responses", (report.responses_on_time, report.responses_late, report.responses_overdue)),
    ] {
        row(section, "on_time", on_time);
        row(section, "late", late);
        row(section, "overdue", overdue);
    }
}

/// The Vietnamese name of a counted key.
fn date_vi(date: &str) -> String {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| date.to_owned())
}

/// One part's line: the unit, what became of it in the period, its figures.
fn part_line(part: &ReportPart, whole: &str) -> String {
    let figures = part.figures.clone().unwrap_or_default();
    let held: u32 = figures.conferences_by_kind.iter().map(|c| c.count).sum();
    let raised: u32 = figures.petitions_by_field.iter().map(|c| c.count).sum();
    let name =
        if part.unit_code == whole { format!("{} (cấp mình)", part.unit_name) } else { part.unit_name.clone() };
    let mut life = String::new();
    if !part.ended_on.is_empty() {
        life.push_str(&format!(
            " — đến ngày {}, kế thừa: {}",
            date_vi(&part.ended_on),
            part.successor_codes.join(", ")
        ));
    }
    if !part.began_on.is_empty() {
        life.push_str(&format!(" — từ ngày {}", date_vi(&part.began_on)));
    }
    if !part.formed_from.is_empty() {
        life.push_str(&format!(" — hình thành từ {} đơn vị", part.formed_from.len()));
    }
    format!(
        "- {name} ({}){life}: {held} hội nghị, {raised} ý kiến; thông báo {}/{}/{}, trả lời {}/{}/{} (đúng hạn/trễ/quá hạn).",
        part.unit_code,
        figures.notices_on_time,
        figures.notices_late,
        figures.notices_overdue,
        figures.responses_on_time,
        figures.responses_late,
        figures.responses_overdue
    )
}

/// Who issues the report and signs it: the body, its unit's name and the
/// unit above, the place, and the head who held the post on the day.
pub struct Issuing {
    pub body: Body,
    pub parent_unit_name: Option<String>,
    pub place: String,
    pub head_name: String,
}

/// The body's head on `day` in the unit: their name, if the replica has it.
pub async fn head_name(conn: &mut PgConnection, code: &str, body: Body, day: NaiveDate) -> sqlx::Result<String> {
    let name: Option<String> = sqlx::query_scalar(
        "SELECT person_name FROM heads
         WHERE unit_code = $1 AND body = $2 AND term_start <= $3 AND (term_end IS NULL OR term_end >= $3)
         ORDER BY term_start DESC LIMIT 1",
    )
    .bind(code)
    .bind(body.proto_name())
    .bind(day)
    .fetch_optional(conn)
    .await?;
    Ok(name.unwrap_or_default())
}

/// The report as its body issues it (R13.1), to the Provincial Internal
/// Affairs Committee.
pub fn document(report: &Report, issuing: &Issuing, today: NaiveDate) -> Document {
    let mut body = vec![Block::Heading("I. HỘI NGHỊ ĐÃ TỔ CHỨC".into())];
    let list = |body: &mut Vec<Block>, counts: &[Count]| {
        if counts.is_empty() {
            body.push(Block::Item("- Không có.".into()));
        }
        for c in counts {
            body.push(Block::Item(format!("- {}: {}", vietnamese(&c.key), c.count)));
        }
    };
    body.push(Block::Item("Theo hình thức:".into()));
    list(&mut body, &report.conferences_by_kind);
    body.push(Block::Item("Theo chế độ:".into()));
    list(&mut body, &report.conferences_by_regime);
    body.extend([
        Block::Heading("II. ĐỐI THOẠI ĐỊNH KỲ CỦA NGƯỜI ĐỨNG ĐẦU".into()),
        Block::Item(format!(
            "- Đã tổ chức: {} người; chưa tổ chức: {} người.",
            report.heads_held, report.heads_not_held
        )),
        Block::Heading("III. Ý KIẾN, KIẾN NGHỊ CỦA NHÂN DÂN".into()),
        Block::Item("Theo lĩnh vực:".into()),
    ]);
    list(&mut body, &report.petitions_by_field);
    body.push(Block::Item("Theo loại:".into()));
    list(&mut body, &report.petitions_by_classification);
    body.extend([
        Block::Item(format!("- Trả lời trực tiếp tại hội nghị: {}", report.petitions_answered_at_conference)),
        Block::Item(format!(
            "- Chuyển giải quyết theo thủ tục tiếp công dân, khiếu nại, tố cáo: {}",
            report.petitions_referred
        )),
        Block::Item(format!("- Đề xuất cấp trên giải quyết: {}", report.petitions_escalated)),
        Block::Heading("IV. THỰC HIỆN THỜI HẠN".into()),
        Block::Item(format!(
            "- Thông báo kết luận (10 ngày làm việc): đúng hạn {}, trễ hạn {}, quá hạn chưa ban hành {}.",
            report.notices_on_time, report.notices_late, report.notices_overdue
        )),
        Block::Item(format!(
            "- Trả lời bằng văn bản của cơ quan (30 ngày làm việc): đúng hạn {}, trễ hạn {}, quá hạn chưa trả lời {}.",
            report.responses_on_time, report.responses_late, report.responses_overdue
        )),
        Block::Heading("V. THEO ĐƠN VỊ".into()),
    ]);
    body.extend(report.parts.iter().map(|part| Block::Item(part_line(part, &report.unit_code))));
    let (authority, title) = issuing.body.head_signs(&report.unit_name);
    Document {
        format: issuing.body.format(),
        issuer: issuing.body.issuer(&report.unit_name, issuing.parent_unit_name.as_deref()),
        // Numbered by hand when the office registers it.
        number: Some(Number { number: String::new(), symbol: issuing.body.symbol("BC", &report.unit_name, false) }),
        marking: None,
        place: issuing.place.clone(),
        date: Some(today.into()),
        kind: "Báo cáo".into(),
        title: format!(
            "Kết quả tiếp xúc, đối thoại của người đứng đầu cấp ủy, chính quyền với nhân dân (từ ngày {} đến ngày {})",
            date_vi(&report.from),
            date_vi(&report.to)
        ),
        body,
        recipients: vec!["Ban Nội chính Tỉnh ủy".into(), "Lưu: VT".into()],
        signatures: vec![Signature { authority, title, name: issuing.head_name.clone(), signed: String::new() }],
    }
}
