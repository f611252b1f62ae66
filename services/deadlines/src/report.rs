//! The 6-month and annual report of a subtree (R13.1, R11.3, R12.3): what
//! was held, what was raised and what became of it, and whether the R10
//! clocks were kept — as figures, CSV, and a Vietnamese PDF.

use chrono::{Datelike, NaiveDate};
use doithoai_documents::{Line, MOTTO, MOTTO_2, center, columns, heading, left, place_and_date};
use doithoai_proto::deadlines::v1::{Count, Report};
use sqlx::PgConnection;

async fn counts(
    conn: &mut PgConnection,
    sql: &str,
    code: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<Count>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(sql).bind(code).bind(from).bind(to).fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(key, count)| Count { key, count: count as u32 }).collect())
}

async fn clocks(
    conn: &mut PgConnection,
    kind: &str,
    code: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<(u32, u32, u32)> {
    let (on_time, late, overdue): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE state = 'OBLIGATION_STATE_MET_ON_TIME'),
                count(*) FILTER (WHERE state = 'OBLIGATION_STATE_MET_LATE'),
                count(*) FILTER (WHERE state = 'OBLIGATION_STATE_OVERDUE')
         FROM obligations WHERE unit_path @> ARRAY[$1]::text[] AND kind = $4 AND due_date BETWEEN $2 AND $3",
    )
    .bind(code)
    .bind(from)
    .bind(to)
    .bind(kind)
    .fetch_one(conn)
    .await?;
    Ok((on_time as u32, late as u32, overdue as u32))
}

pub async fn compute(
    conn: &mut PgConnection,
    code: &str,
    unit_name: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Report> {
    let held = "FROM conferences_held WHERE unit_path @> ARRAY[$1]::text[] AND ended_on BETWEEN $2 AND $3";
    let raised = "FROM petitions WHERE unit_path @> ARRAY[$1]::text[] AND recorded_on BETWEEN $2 AND $3 AND escalated_from IS NULL";
    let conferences_by_kind =
        counts(conn, &format!("SELECT kind, count(*) {held} GROUP BY 1 ORDER BY 1"), code, from, to).await?;
    let conferences_by_regime =
        counts(conn, &format!("SELECT regime, count(*) {held} GROUP BY 1 ORDER BY 1"), code, from, to).await?;
    let petitions_by_field =
        counts(conn, &format!("SELECT field, count(*) {raised} GROUP BY 1 ORDER BY 1"), code, from, to).await?;
    let petitions_by_classification =
        counts(conn, &format!("SELECT classification, count(*) {raised} GROUP BY 1 ORDER BY 1"), code, from, to)
            .await?;
    let outcomes =
        counts(conn, &format!("SELECT outcome, count(*) {raised} GROUP BY 1 ORDER BY 1"), code, from, to).await?;
    let outcome = |key: &str| outcomes.iter().find(|c| c.key == key).map_or(0, |c| c.count);
    // R6.2: the heads' periodic dialogues of the period's year(s), held by its end.
    let (heads_held, heads_not_held): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE met_on IS NOT NULL AND met_on <= $3),
                count(*) FILTER (WHERE met_on IS NULL OR met_on > $3)
         FROM obligations WHERE unit_path @> ARRAY[$1]::text[] AND kind = 'OBLIGATION_KIND_PERIODIC_DIALOGUE'
           AND state <> 'OBLIGATION_STATE_CANCELLED' AND anchor_date <= $3 AND due_date >= $2",
    )
    .bind(code)
    .bind(from)
    .bind(to)
    .fetch_one(&mut *conn)
    .await?;
    let notices = clocks(conn, "OBLIGATION_KIND_CONCLUSION_NOTICE", code, from, to).await?;
    let responses = clocks(conn, "OBLIGATION_KIND_AGENCY_RESPONSE", code, from, to).await?;
    Ok(Report {
        unit_code: code.to_owned(),
        unit_name: unit_name.to_owned(),
        from: from.to_string(),
        to: to.to_string(),
        conferences_by_kind,
        conferences_by_regime,
        heads_held: heads_held as u32,
        heads_not_held: heads_not_held as u32,
        petitions_by_field,
        petitions_by_classification,
        petitions_answered_at_conference: outcome("ANSWERED"),
        petitions_referred: outcome("REFERRED"),
        petitions_escalated: outcome("ESCALATED"),
        notices_on_time: notices.0,
        notices_late: notices.1,
        notices_overdue: notices.2,
        responses_on_time: responses.0,
        responses_late: responses.1,
        responses_overdue: responses.2,
    })
}

/// `section,key,count` lines, one figure each.
pub fn csv(report: &Report) -> String {
    let mut out = String::from("section,key,count\n");
    let mut row = |section: &str, key: &str, count: u32| out.push_str(&format!("{section},{key},{count}\n"));
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
    out
}

/// The Vietnamese name of a counted key.
fn vi(key: &str) -> &str {
    match key {
        "CONFERENCE_KIND_SECTOR_CADRES" => "Với cán bộ, lãnh đạo cấp dưới của ngành (1.1)",
        "CONFERENCE_KIND_REPRESENTATIVES" => "Với đại diện tổ chức, MTTQ, đoàn thể và nhân dân (1.2)",
        "CONFERENCE_KIND_CITIZENS_DIRECT" => "Trực tiếp với nhân dân (1.3)",
        "CONFERENCE_KIND_THEMATIC" => "Theo chuyên đề (1.4)",
        "REGIME_PERIODIC" => "Định kỳ",
        "REGIME_REGULAR" => "Thường xuyên",
        "REGIME_AD_HOC" => "Đột xuất",
        "FIELD_ECONOMY_AND_SOCIETY" => "Kinh tế - xã hội",
        "FIELD_DEFENCE_AND_SECURITY" => "Quốc phòng - an ninh",
        "FIELD_SOCIAL_ORDER_AND_SAFETY" => "Trật tự, an toàn xã hội",
        "FIELD_PARTY_BUILDING" => "Xây dựng Đảng",
        "FIELD_GOVERNMENT_BUILDING" => "Xây dựng chính quyền",
        "FIELD_FRONT_AND_ORGANIZATIONS" => "Mặt trận và các đoàn thể",
        "CLASSIFICATION_PETITION" => "Kiến nghị",
        "CLASSIFICATION_PROPOSAL" => "Đề xuất",
        "CLASSIFICATION_FEEDBACK" => "Phản ánh",
        "CLASSIFICATION_COMPLAINT" => "Khiếu nại",
        "CLASSIFICATION_DENUNCIATION" => "Tố cáo",
        other => other,
    }
}

fn date_vi(date: &str) -> String {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| date.to_owned())
}

pub fn lines(report: &Report, place: &str, today: NaiveDate) -> Vec<Line> {
    let mut lines = vec![
        columns(report.unit_name.to_uppercase(), MOTTO, true),
        columns("", MOTTO_2, false),
        Line::Right { text: place_and_date(place, today.day(), today.month(), today.year()) },
        Line::Blank,
        center("BÁO CÁO", true),
        center("Kết quả tiếp xúc, đối thoại của người đứng đầu cấp ủy, chính quyền với nhân dân", true),
        center(format!("(từ ngày {} đến ngày {})", date_vi(&report.from), date_vi(&report.to)), false),
        Line::Blank,
        heading("I. HỘI NGHỊ ĐÃ TỔ CHỨC"),
    ];
    let list = |lines: &mut Vec<Line>, counts: &[Count]| {
        if counts.is_empty() {
            lines.push(left("- Không có."));
        }
        for c in counts {
            lines.push(left(format!("- {}: {}", vi(&c.key), c.count)));
        }
    };
    lines.push(left("Theo hình thức:"));
    list(&mut lines, &report.conferences_by_kind);
    lines.push(left("Theo chế độ:"));
    list(&mut lines, &report.conferences_by_regime);
    lines.extend([
        Line::Blank,
        heading("II. ĐỐI THOẠI ĐỊNH KỲ CỦA NGƯỜI ĐỨNG ĐẦU"),
        left(format!("- Đã tổ chức: {} người; chưa tổ chức: {} người.", report.heads_held, report.heads_not_held)),
        Line::Blank,
        heading("III. Ý KIẾN, KIẾN NGHỊ CỦA NHÂN DÂN"),
        left("Theo lĩnh vực:"),
    ]);
    list(&mut lines, &report.petitions_by_field);
    lines.push(left("Theo loại:"));
    list(&mut lines, &report.petitions_by_classification);
    lines.extend([
        left(format!("- Trả lời trực tiếp tại hội nghị: {}", report.petitions_answered_at_conference)),
        left(format!(
            "- Chuyển giải quyết theo thủ tục tiếp công dân, khiếu nại, tố cáo: {}",
            report.petitions_referred
        )),
        left(format!("- Đề xuất cấp trên giải quyết: {}", report.petitions_escalated)),
        Line::Blank,
        heading("IV. THỰC HIỆN THỜI HẠN"),
        left(format!(
            "- Thông báo kết luận (10 ngày làm việc): đúng hạn {}, trễ hạn {}, quá hạn chưa ban hành {}.",
            report.notices_on_time, report.notices_late, report.notices_overdue
        )),
        left(format!(
            "- Trả lời bằng văn bản của cơ quan (30 ngày làm việc): đúng hạn {}, trễ hạn {}, quá hạn chưa trả lời {}.",
            report.responses_on_time, report.responses_late, report.responses_overdue
        )),
        Line::Blank,
        columns("Nơi nhận:", "NGƯỜI LẬP BÁO CÁO", true),
        columns("- Ban Nội chính Tỉnh ủy;", "", false),
        columns("- Lưu.", "", false),
    ]);
    lines
}
