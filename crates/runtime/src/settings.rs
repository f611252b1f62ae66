//! Settings: built-in defaults, then an optional TOML file (`DOITHOAI_CONFIG`),
//! then `DOITHOAI_…` environment variables (`__` separates sections:
//! `DOITHOAI_NATS__URL`). Checked once at start with errors that name the
//! setting; secrets are wrapped so they never print.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub grpc_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    /// Public HTTP (feeds for media and portals), for services that have any.
    pub public_addr: SocketAddr,
    pub database: DatabaseSettings,
    pub nats: NatsSettings,
    pub auth: AuthSettings,
    pub telemetry: TelemetrySettings,
    pub consumer: ConsumerSettings,
    pub outbox: OutboxSettings,
    #[serde(default)]
    pub clock: ClockSettings,
    #[serde(default)]
    pub limits: LimitSettings,
    /// gRPC health alone, in plaintext, for probes that cannot speak TLS (the
    /// kubelet's); unset, health is asked on `grpc_addr` with the API.
    #[serde(default)]
    pub health_addr: Option<SocketAddr>,
    /// gRPC over TLS, and whom it asks for client certificates; unset, plaintext.
    #[serde(default)]
    pub tls: Option<crate::tls::TlsSettings>,
    /// How this service calls the others over TLS (`https://` addresses).
    #[serde(default)]
    pub client_tls: crate::tls::ClientTlsSettings,
    /// Where these settings came from, for the sections a service reads itself.
    #[serde(skip)]
    sources: Sources,
}

/// The sources, never printed: they hold the secrets unwrapped.
#[derive(Clone, Default)]
struct Sources(Figment);

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sources(…)")
    }
}

/// How large one gRPC message may be. A request over the limit is refused
/// RESOURCE_EXHAUSTED before it is read.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LimitSettings {
    /// A request: an import's batch of unit rows or posts, a registration.
    pub max_request_bytes: usize,
    /// An answer: a rendered PDF of the minutes or of a province's report.
    pub max_response_bytes: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self { max_request_bytes: 4 * 1024 * 1024, max_response_bytes: 32 * 1024 * 1024 }
    }
}

/// The time every service reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClockSettings {
    /// Lets an administrator move the clock through the SimulatedClock API:
    /// for rehearsals, training and the demonstration year, never in production.
    pub adjustable: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Server URL without a database name; may hold a password.
    pub url: SecretString,
    /// Defaults to `doithoai_<service>`.
    pub name: Option<String>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NatsSettings {
    /// One server, or several separated by commas (the seeds of a cluster;
    /// the client learns the rest from them).
    pub url: String,
    /// 1 on one machine, 3 in a province cluster.
    pub stream_replicas: usize,
    pub duplicate_window_secs: u64,
}

impl NatsSettings {
    /// The servers of `url`, for the client to try in turn.
    pub fn servers(&self) -> Vec<&str> {
        nats_servers(&self.url)
    }
}

/// The servers of a `nats.url`: one, or several separated by commas.
pub fn nats_servers(url: &str) -> Vec<&str> {
    url.split(',').map(str::trim).filter(|u| !u.is_empty()).collect()
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// Ed25519 public key (PEM) whose signatures the service trusts, inline…
    pub public_key_pem: Option<String>,
    /// …or read from a file.
    pub public_key_file: Option<PathBuf>,
    pub audience: String,
    /// The unit at the top of this deployment (a province's code): its
    /// administrators load calendar announcements and move a rehearsal's
    /// clock. Unset, nobody may.
    pub root_unit: Option<String>,
    /// The province's identity provider, whose tokens are trusted beside
    /// (or instead of) the Ed25519 key's.
    #[serde(default)]
    pub oidc: Option<OidcSettings>,
}

/// An OpenID Connect provider whose access tokens the services accept.
#[derive(Debug, Clone, Deserialize)]
pub struct OidcSettings {
    /// The provider's issuer URL, exactly as its tokens' `iss` holds it.
    pub issuer: String,
    /// Where its key set is read; unset, from its discovery document.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// The `aud` its tokens carry for doithoai; unset, `auth.audience`.
    #[serde(default)]
    pub audience: Option<String>,
    /// How long its keys are trusted before they are read again, in seconds.
    #[serde(default = "five_minutes")]
    pub refresh_secs: u64,
    /// Which of its claims name the unit, the roles and the agency.
    #[serde(default)]
    pub claims: crate::auth::mapping::ClaimMapping,
}

fn five_minutes() -> u64 {
    300
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    pub format: LogFormat,
    /// The OTLP/gRPC endpoint traces are exported to (`http://collector:4317`);
    /// empty: no export.
    #[serde(default)]
    pub otlp_endpoint: String,
    /// The share of new traces sampled, 0 to 1; a trace a caller sampled is always followed.
    #[serde(default = "all_traces")]
    pub sampling_ratio: f64,
}

fn all_traces() -> f64 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConsumerSettings {
    /// Deliveries after which a failing event is parked in the dead-letter table.
    pub max_deliveries: i64,
    pub ack_wait_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutboxSettings {
    /// How often the relay looks even without a NOTIFY.
    pub poll_interval_ms: u64,
    pub batch_size: i64,
    /// How long published rows are kept before they are pruned.
    pub retention_hours: i64,
}

#[derive(Serialize)]
struct Defaults {
    grpc_addr: String,
    metrics_addr: String,
    public_addr: String,
    database: serde_json::Value,
    nats: serde_json::Value,
    auth: serde_json::Value,
    telemetry: serde_json::Value,
    consumer: serde_json::Value,
    outbox: serde_json::Value,
}

/// The ports a service listens on by default, so that several services run
/// side by side on one machine; each service names its own. Keep them below
/// Linux's ephemeral range (32768–60999): a port in it may be held by any
/// outgoing connection, and the service would then fail to start.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub grpc: u16,
    pub metrics: u16,
    pub public: u16,
}

impl Ports {
    /// Any free ports (tests).
    pub const ANY: Ports = Ports { grpc: 0, metrics: 0, public: 0 };
}

impl Settings {
    /// Loads a service's settings from defaults, `DOITHOAI_CONFIG` and the environment.
    pub fn load(ports: Ports) -> anyhow::Result<Self> {
        let mut figment = Self::defaults(ports);
        if let Ok(path) = std::env::var("DOITHOAI_CONFIG") {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed("DOITHOAI_").split("__").ignore(&["config", "auth.root_unit"]));
        // A unit code is text: the environment's parser would read `33` as a
        // number and `01` (Hà Nội) as 1.
        if let Ok(code) = std::env::var("DOITHOAI_AUTH__ROOT_UNIT") {
            figment = figment.merge(("auth.root_unit", code));
        }
        Self::from_figment(figment)
    }

    pub fn defaults(ports: Ports) -> Figment {
        let Ports { grpc, metrics, public } = ports;
        let production = std::env::var("DOITHOAI_ENV").is_ok_and(|e| e == "production");
        Figment::from(Serialized::defaults(Defaults {
            grpc_addr: format!("127.0.0.1:{grpc}"),
            metrics_addr: format!("127.0.0.1:{metrics}"),
            public_addr: format!("127.0.0.1:{public}"),
            database: serde_json::json!({ "url": "postgres://postgres@127.0.0.1:5432", "max_connections": 10 }),
            nats: serde_json::json!({ "url": "nats://127.0.0.1:4222", "stream_replicas": 1, "duplicate_window_secs": 120 }),
            auth: serde_json::json!({ "audience": "doithoai" }),
            telemetry: serde_json::json!({ "format": if production { "json" } else { "pretty" } }),
            consumer: serde_json::json!({ "max_deliveries": 5, "ack_wait_secs": 30 }),
            outbox: serde_json::json!({ "poll_interval_ms": 1000, "batch_size": 200, "retention_hours": 168 }),
        }))
    }

    pub fn from_figment(figment: Figment) -> anyhow::Result<Self> {
        let mut settings: Settings = figment.extract().map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
        settings.validate()?;
        settings.sources = Sources(figment);
        Ok(settings)
    }

    /// A service's own section of settings (`deadlines`, `privacy`), read
    /// from the same sources; absent, its defaults.
    pub fn section<T: DeserializeOwned + Default>(&self, key: &str) -> anyhow::Result<T> {
        if self.sources.0.find_value(key).is_err() {
            return Ok(T::default());
        }
        self.sources.0.extract_inner(key).map_err(|e| anyhow::anyhow!("invalid setting `{key}`: {e}"))
    }

    /// The same settings with one value changed (`deadlines.sweep_interval_ms`).
    pub fn with(&self, key: &str, value: impl Serialize) -> anyhow::Result<Self> {
        Self::from_figment(self.sources.0.clone().merge((key, value)))
    }

    fn validate(&self) -> anyhow::Result<()> {
        let bad = |setting: &str, why: &str| Err(anyhow::anyhow!("invalid setting `{setting}`: {why}"));
        let url = self.database.url.expose_secret();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return bad("database.url", "must start with postgres://");
        }
        if let Some(name) = &self.database.name
            && !valid_database_name(name)
        {
            return bad("database.name", "must be lowercase letters, digits and _");
        }
        if let Some(Err((setting, why))) = self.tls.as_ref().map(crate::tls::TlsSettings::validate) {
            return bad(setting, why);
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        let servers = self.nats.servers();
        if servers.is_empty() || servers.iter().any(|u| !u.starts_with("nats://") && !u.starts_with("tls://")) {
            return bad("nats.url", "each server must start with nats:// or tls://");
        }
        if !(1..=5).contains(&self.nats.stream_replicas) {
            return bad("nats.stream_replicas", "must be 1 to 5");
        }
        if self.auth.public_key_pem.is_none() && self.auth.public_key_file.is_none() && self.auth.oidc.is_none() {
            return bad(
                "auth.public_key_file",
                "set it (or auth.public_key_pem, or auth.oidc.issuer) to what signs the tokens this service trusts",
            );
        }
        if let Some(oidc) = &self.auth.oidc
            && !(oidc.issuer.starts_with("https://") || oidc.issuer.starts_with("http://"))
        {
            return bad("auth.oidc.issuer", "must be the provider's http(s) URL");
        }
        if let Some(oidc) = &self.auth.oidc
            && oidc.issuer.starts_with("http://")
            && std::env::var("DOITHOAI_ENV").is_ok_and(|e| e == "production")
        {
            return bad("auth.oidc.issuer", "a production service reads its provider's keys over https");
        }
        if let Some(root) = &self.auth.root_unit
            && doithoai_units::UnitCode::parse(root).is_err()
        {
            return bad("auth.root_unit", "must be a unit code");
        }
        if self.limits.max_request_bytes < 64 * 1024 || self.limits.max_response_bytes < 64 * 1024 {
            return bad("limits", "max_request_bytes and max_response_bytes are at least 65536");
        }
        if self.consumer.max_deliveries < 1 {
            return bad("consumer.max_deliveries", "must be at least 1");
        }
        if self.clock.adjustable && std::env::var("DOITHOAI_ENV").is_ok_and(|e| e == "production") {
            return bad("clock.adjustable", "a production service runs on the system clock");
        }
        if self.outbox.batch_size < 1 || self.outbox.poll_interval_ms == 0 {
            return bad("outbox", "batch_size and poll_interval_ms must be positive");
        }
        Ok(())
    }

    /// The deployment's root unit, checked by `validate`.
    pub fn root_unit(&self) -> Option<doithoai_units::UnitCode> {
        self.auth.root_unit.as_deref().and_then(|code| doithoai_units::UnitCode::parse(code).ok())
    }

    pub fn database_name(&self, service: &str) -> String {
        self.database.name.clone().unwrap_or_else(|| format!("doithoai_{service}"))
    }

    /// The trusted public key, read from wherever it was configured.
    pub fn public_key_pem(&self) -> anyhow::Result<String> {
        match (&self.auth.public_key_pem, &self.auth.public_key_file) {
            (Some(pem), _) => Ok(pem.clone()),
            (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("invalid setting `auth.public_key_file`: cannot read {}: {e}", path.display())
            }),
            (None, None) => anyhow::bail!("invalid setting `auth.public_key_file`: not set"),
        }
    }

    pub fn ack_wait(&self) -> Duration {
        Duration::from_secs(self.consumer.ack_wait_secs)
    }
}

pub(crate) fn valid_database_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let mut figment = Settings::defaults(Ports { grpc: 7063, metrics: 9163, public: 8063 });
        for (key, value) in pairs {
            figment = figment.merge((*key, *value));
        }
        Settings::from_figment(figment)
    }

    #[test]
    fn a_service_gets_its_own_ports_and_database() {
        let settings = with(&[("auth.public_key_pem", "k")]).unwrap();
        assert_eq!(settings.grpc_addr.port(), 7063);
        assert_eq!(settings.database_name("minutes"), "doithoai_minutes");
    }

    #[test]
    fn a_bad_setting_is_named() {
        let error = with(&[("auth.public_key_pem", "k"), ("nats.url", "http://x")]).unwrap_err();
        assert!(error.to_string().contains("`nats.url`"), "{error}");
        let error = with(&[("auth.public_key_pem", "k"), ("grpc_addr", "nowhere")]).unwrap_err();
        assert!(error.to_string().contains("grpc_addr"), "{error}");
    }

    #[test]
    fn a_missing_trust_key_is_named() {
        let error = with(&[]).unwrap_err();
        assert!(error.to_string().contains("auth.public_key_file"), "{error}");
    }

    #[test]
    fn the_database_password_never_prints() {
        let settings = with(&[("auth.public_key_pem", "k"), ("database.url", "postgres://u:hunter2@db:5432")]).unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
        let section = settings.with("mine.key", "hunter3").unwrap();
        assert!(!format!("{section:?}").contains("hunter3"), "a service's own section, secrets included");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's own test harness
    fn a_production_service_refuses_an_adjustable_clock() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DOITHOAI_AUTH__PUBLIC_KEY_PEM", "k");
            jail.set_env("DOITHOAI_CLOCK__ADJUSTABLE", "true");
            assert!(Settings::load(Ports::ANY).map_err(|e| e.to_string())?.clock.adjustable);
            jail.set_env("DOITHOAI_ENV", "production");
            let error = Settings::load(Ports::ANY).unwrap_err().to_string();
            assert!(error.contains("clock.adjustable"), "{error}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's own test harness
    fn the_root_unit_is_read_as_a_code_not_a_number() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DOITHOAI_AUTH__PUBLIC_KEY_PEM", "k");
            for code in ["33", "01"] {
                jail.set_env("DOITHOAI_AUTH__ROOT_UNIT", code);
                let settings = Settings::load(Ports::ANY).map_err(|e| e.to_string())?;
                assert_eq!(settings.root_unit().map(|c| c.to_string()).as_deref(), Some(code));
            }
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's own test harness
    fn environment_variables_override_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DOITHOAI_NATS__URL", "nats://10.0.0.9:4222");
            jail.set_env("DOITHOAI_AUTH__PUBLIC_KEY_PEM", "k");
            let settings = Settings::load(Ports::ANY).map_err(|e| e.to_string())?;
            assert_eq!(settings.nats.url, "nats://10.0.0.9:4222");
            Ok(())
        });
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Section {
        interval_ms: u64,
        name: String,
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's own test harness
    fn a_service_reads_its_own_section_from_the_same_sources() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DOITHOAI_AUTH__PUBLIC_KEY_PEM", "k");
            let settings = Settings::load(Ports::ANY).map_err(|e| e.to_string())?;
            assert_eq!(settings.section::<Section>("mine").map_err(|e| e.to_string())?, Section::default());
            jail.set_env("DOITHOAI_MINE__INTERVAL_MS", "250");
            let settings = Settings::load(Ports::ANY).map_err(|e| e.to_string())?;
            let section: Section = settings.section("mine").map_err(|e| e.to_string())?;
            assert_eq!(section, Section { interval_ms: 250, name: String::new() });
            let changed = settings.with("mine.name", "x").map_err(|e| e.to_string())?;
            assert_eq!(changed.section::<Section>("mine").map_err(|e| e.to_string())?.name, "x");
            jail.set_env("DOITHOAI_MINE__INTERVAL_MS", "soon");
            let settings = Settings::load(Ports::ANY).map_err(|e| e.to_string())?;
            let error = settings.section::<Section>("mine").unwrap_err().to_string();
            assert!(error.contains("`mine`"), "{error}");
            Ok(())
        });
    }
}
