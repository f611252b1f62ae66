//! Reading the unit tree, and keeping a replica of it. The scheduling service
//! owns the directory; every other service keeps a `units` table of the same
//! shape from UnitUpserted events and answers the same questions from it.

use anyhow::Context;
use doithoai_proto::{
    common::v1::{Tier as WireTier, Unit as WireUnit},
    directory::v1::{ListUnitsResponse, UnitRow as WireRow, UnitUpserted},
};
use doithoai_units::{Tier, UnitCode, UnitRecord};
use sqlx::{PgConnection, PgPool};

use doithoai_runtime::{
    Caller, Reason, ServiceError, ServiceResult, consumer::EventHandler, events::decode_payload, pagination::Page,
};

/// A row of a `units` table.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub tier: String,
    pub parent_code: Option<String>,
    pub kind: String,
    pub path: Vec<String>,
    pub legacy_codes: Vec<String>,
    pub valid_from: Option<chrono::NaiveDate>,
    pub valid_to: Option<chrono::NaiveDate>,
    pub successor_codes: Vec<String>,
}

pub const COLUMNS: &str =
    "code, name, tier, parent_code, kind, path, legacy_codes, valid_from, valid_to, successor_codes";

impl From<UnitRow> for WireUnit {
    fn from(row: UnitRow) -> Self {
        let tier = row.tier.parse::<Tier>().map_or(WireTier::Unspecified, tier_to_wire);
        WireUnit {
            code: row.code,
            name: row.name,
            tier: tier as i32,
            parent_code: row.parent_code.unwrap_or_default(),
            kind: row.kind,
            path: row.path,
            legacy_codes: row.legacy_codes,
            valid_from: row.valid_from.map(|d| d.to_string()).unwrap_or_default(),
            valid_to: row.valid_to.map(|d| d.to_string()).unwrap_or_default(),
            successor_codes: row.successor_codes,
        }
    }
}

pub fn tier_to_wire(tier: Tier) -> WireTier {
    match tier {
        Tier::Province => WireTier::Province,
        Tier::District => WireTier::District,
        Tier::Commune => WireTier::Commune,
    }
}

pub fn tier_from_wire(tier: i32) -> Result<Tier, String> {
    match WireTier::try_from(tier) {
        Ok(WireTier::Province) => Ok(Tier::Province),
        Ok(WireTier::District) => Ok(Tier::District),
        Ok(WireTier::Commune) => Ok(Tier::Commune),
        _ => Err(format!("tier {tier} is not PROVINCE, DISTRICT or COMMUNE")),
    }
}

/// A checked row of a unit list, as sent to ImportUnits.
pub fn wire_row(record: UnitRecord) -> WireRow {
    WireRow {
        line: record.line,
        code: record.code.to_string(),
        name: record.name,
        tier: tier_to_wire(record.tier) as i32,
        parent_code: record.parent.map(|p| p.to_string()).unwrap_or_default(),
        kind: record.kind,
        legacy_codes: record.legacy_codes.iter().map(ToString::to_string).collect(),
    }
}

pub fn parse_code(field: &str, text: &str) -> ServiceResult<UnitCode> {
    UnitCode::parse(text).map_err(|e| {
        ServiceError::invalid_argument(
            Reason::InvalidUnitCode,
            e.to_string(),
            format!("mã đơn vị {text:?} không hợp lệ"),
        )
        .with_violation(field, e.to_string())
    })
}

/// The condition by which a read checks the caller's scope in its own
/// statement, saving the round trip of [`unit_in_scope`] before it: the unit
/// `$unit` lies in the subtree of the caller's unit `$caller` (the numbers of
/// the statement's parameters). When it does not hold, the read returns
/// nothing, and [`require_scope_if_nothing_read`] then says why.
pub fn in_scope_sql(unit: u8, caller: u8) -> String {
    format!("EXISTS (SELECT 1 FROM units WHERE code = ${unit} AND path @> ARRAY[${caller}]::text[])")
}

/// After a read that checked the scope in its own statement ([`in_scope_sql`]):
/// when it read nothing, the refusal that explains it, if any (an unknown
/// unit, or one outside the caller's subtree); else nothing was there to read.
pub async fn require_scope_if_nothing_read(
    conn: &mut PgConnection,
    caller: &Caller,
    code: &UnitCode,
    nothing_read: bool,
) -> ServiceResult<()> {
    if nothing_read {
        caller.require_within(&unit_path(conn, code).await?)?;
    }
    Ok(())
}

/// The path of the unit a request names (`field`), after checking it lies
/// in the caller's subtree; the unit's code is its last element.
pub async fn unit_in_scope(
    conn: &mut PgConnection,
    caller: &Caller,
    field: &str,
    code: &str,
) -> ServiceResult<Vec<String>> {
    let path = unit_path(conn, &parse_code(field, code)?).await?;
    caller.require_within(&path)?;
    Ok(path)
}

/// Refuses a record whose unit (`path`, from the root) the caller neither
/// holds in its subtree nor inherited: a caller reaches the records of the
/// units whose work passed, through one succession or a chain of them, into
/// its subtree (a new commune its sources' conferences and petitions, the
/// province an abolished district's), as scope checks the tree as of today.
pub async fn require_reach<C: AsRef<str>>(conn: &mut PgConnection, caller: &Caller, path: &[C]) -> ServiceResult<()> {
    let refused = match caller.require_within(path) {
        Ok(()) => return Ok(()),
        Err(refused) => refused,
    };
    // From the record's own unit: what a district passed to the province is
    // not what each of its communes passed to theirs.
    let Some(unit) = path.last().map(AsRef::as_ref) else { return Err(refused) };
    let inherited: bool = sqlx::query_scalar(
        "WITH RECURSIVE heirs (code) AS (
             SELECT $2::text
             UNION SELECT successor FROM units u JOIN heirs h ON u.code = h.code, unnest(u.successor_codes) successor
         )
         SELECT EXISTS (SELECT 1 FROM heirs h JOIN units u ON u.code = h.code WHERE u.path @> ARRAY[$1]::text[])",
    )
    .bind(caller.unit.as_str())
    .bind(unit)
    .fetch_one(conn)
    .await?;
    if inherited { Ok(()) } else { Err(refused) }
}

/// A unit's name, if the directory has the unit.
pub async fn unit_name(conn: &mut PgConnection, code: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM units WHERE code = $1").bind(code).fetch_optional(conn).await
}

/// The name of the unit directly above `code`, if any.
pub async fn parent_name(conn: &mut PgConnection, code: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT p.name FROM units u JOIN units p ON p.code = u.parent_code WHERE u.code = $1")
        .bind(code)
        .fetch_optional(conn)
        .await
}

/// The place a province's documents are dated at: its name without "Tỉnh" or "Thành phố".
pub async fn place(conn: &mut PgConnection, unit_path: &[String]) -> sqlx::Result<String> {
    let province = unit_name(conn, unit_path.first().map_or("", String::as_str)).await?.unwrap_or_default();
    Ok(province.trim_start_matches("Tỉnh ").trim_start_matches("Thành phố ").to_owned())
}

/// The path of a unit from the root, for scope checks.
pub async fn unit_path(conn: &mut PgConnection, code: &UnitCode) -> ServiceResult<Vec<String>> {
    sqlx::query_scalar("SELECT path FROM units WHERE code = $1")
        .bind(code.as_str())
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| unknown_unit(code))
}

/// NOT_FOUND: a unit the directory does not hold.
pub fn unknown_unit(code: &UnitCode) -> ServiceError {
    ServiceError::not_found(
        format!("unit {code} is not in the directory"),
        format!("đơn vị {code} không có trong danh mục"),
    )
}

/// A unit that exists on the day `$4`, or any unit when `$4` is NULL.
const EXISTS_ON: &str =
    "($4::date IS NULL OR ((valid_from IS NULL OR valid_from <= $4) AND (valid_to IS NULL OR valid_to >= $4)))";

/// Scope-checked reads of a `units` table, shared by the directory and its replicas.
#[derive(Clone)]
pub struct UnitReader {
    pool: PgPool,
}

impl UnitReader {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub async fn get_unit(&self, caller: &Caller, code: &str) -> ServiceResult<WireUnit> {
        let code = parse_code("code", code)?;
        let row: UnitRow = sqlx::query_as(&format!("SELECT {COLUMNS} FROM units WHERE code = $1"))
            .bind(code.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| unknown_unit(&code))?;
        caller.require_within(&row.path)?;
        Ok(row.into())
    }

    /// The units right below `code` (those that exist `on` a day, if given).
    pub async fn list_children(
        &self,
        caller: &Caller,
        code: &str,
        on: Option<chrono::NaiveDate>,
        page: Page,
    ) -> ServiceResult<ListUnitsResponse> {
        let path = unit_in_scope(&mut *self.pool.acquire().await?, caller, "code", code).await?;
        let after = page.after_key(|key| UnitCode::parse(key).ok())?;
        let rows: Vec<UnitRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM units WHERE parent_code = $1 AND ($2::text IS NULL OR code > $2) AND {EXISTS_ON}
             ORDER BY code LIMIT $3"
        ))
        .bind(path.last())
        .bind(after.as_ref().map(UnitCode::as_str))
        .bind(page.limit())
        .bind(on)
        .fetch_all(&self.pool)
        .await?;
        Ok(response(&page, rows, |u| u.code.clone()))
    }

    /// The unit and every unit below it, root first (those that exist `on` a day, if given).
    pub async fn get_subtree(
        &self,
        caller: &Caller,
        code: &str,
        on: Option<chrono::NaiveDate>,
        page: Page,
    ) -> ServiceResult<ListUnitsResponse> {
        let path = unit_in_scope(&mut *self.pool.acquire().await?, caller, "code", code).await?;
        let after: Option<Vec<String>> = page
            .after_key(|key| key.split('.').map(|code| UnitCode::parse(code).ok().map(|c| c.to_string())).collect())?;
        let rows: Vec<UnitRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM units WHERE path @> ARRAY[$1]::text[] AND ($2::text[] IS NULL OR path > $2) AND {EXISTS_ON}
             ORDER BY path LIMIT $3"
        ))
        .bind(path.last())
        .bind(&after)
        .bind(page.limit())
        .bind(on)
        .fetch_all(&self.pool)
        .await?;
        Ok(response(&page, rows, |u| u.path.join(".")))
    }
}

fn response(page: &Page, rows: Vec<UnitRow>, key: impl Fn(&UnitRow) -> String) -> ListUnitsResponse {
    let (rows, info) = page.finish(rows, key);
    ListUnitsResponse { units: rows.into_iter().map(WireUnit::from).collect(), page: Some(info) }
}

/// Keeps the replica from the scheduling service's UnitUpserted events.
pub struct UnitReplicaHandler;

impl EventHandler for UnitReplicaHandler {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &doithoai_proto::common::v1::EventEnvelope,
    ) -> anyhow::Result<()> {
        let Some(upserted) = decode_payload::<UnitUpserted>(event)? else {
            return Ok(());
        };
        let unit = upserted.unit.context("UnitUpserted without a unit")?;
        let tier = tier_from_wire(unit.tier).map_err(anyhow::Error::msg)?;
        let event_id = uuid::Uuid::parse_str(&event.event_id)?;
        // An older event arriving after a newer one (a redelivery after a
        // failure) must not roll the unit back: UUIDv7 ids order by time.
        sqlx::query(
            "INSERT INTO units (code, name, tier, parent_code, kind, path, legacy_codes, source_event_id,
                 valid_from, valid_to, successor_codes)
             VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (code) DO UPDATE SET
                 name = EXCLUDED.name, tier = EXCLUDED.tier, parent_code = EXCLUDED.parent_code,
                 kind = EXCLUDED.kind, path = EXCLUDED.path, legacy_codes = EXCLUDED.legacy_codes,
                 source_event_id = EXCLUDED.source_event_id, valid_from = EXCLUDED.valid_from,
                 valid_to = EXCLUDED.valid_to, successor_codes = EXCLUDED.successor_codes, updated_at = now()
             WHERE units.source_event_id < EXCLUDED.source_event_id",
        )
        .bind(&unit.code)
        .bind(&unit.name)
        .bind(tier.as_str())
        .bind(&unit.parent_code)
        .bind(&unit.kind)
        .bind(&unit.path)
        .bind(&unit.legacy_codes)
        .bind(event_id)
        .bind(date(&unit.valid_from)?)
        .bind(date(&unit.valid_to)?)
        .bind(&unit.successor_codes)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// A date of a unit's life on the wire; empty is none.
fn date(text: &str) -> anyhow::Result<Option<chrono::NaiveDate>> {
    Some(text).filter(|t| !t.is_empty()).map(|t| t.parse().with_context(|| format!("not a date: {t:?}"))).transpose()
}

/// The UnitReplica gRPC service of a replica-keeping service.
pub struct UnitReplicaService {
    reader: UnitReader,
}

impl UnitReplicaService {
    pub fn new(pool: PgPool) -> Self {
        Self { reader: UnitReader::new(pool) }
    }
}

#[tonic::async_trait]
impl doithoai_proto::directory::v1::unit_replica_server::UnitReplica for UnitReplicaService {
    async fn get_unit(
        &self,
        request: tonic::Request<doithoai_proto::directory::v1::GetUnitRequest>,
    ) -> Result<tonic::Response<WireUnit>, tonic::Status> {
        let caller = Caller::of(&request)?;
        Ok(tonic::Response::new(self.reader.get_unit(&caller, &request.get_ref().code).await?))
    }

    async fn list_children(
        &self,
        request: tonic::Request<doithoai_proto::directory::v1::ListChildrenRequest>,
    ) -> Result<tonic::Response<ListUnitsResponse>, tonic::Status> {
        let caller = Caller::of(&request)?;
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref())?;
        let on = doithoai_runtime::parse::optional_date("on_date", &request.on_date)?;
        Ok(tonic::Response::new(self.reader.list_children(&caller, &request.code, on, page).await?))
    }
}
