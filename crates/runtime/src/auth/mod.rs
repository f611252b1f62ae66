//! Authentication and scope. Every RPC carries `authorization: Bearer <JWT>`
//! signed with a key the service trusts: the province's identity provider's
//! (RS256, ES256 or EdDSA, from its JWKS) or, locally and in tests, the
//! deployment's Ed25519 key. The claims name the caller, its unit and its
//! roles; a caller acts only inside its unit's subtree.

mod layer;
pub mod mapping;
mod provider;

use std::{
    fmt,
    sync::Arc,
    time::{Duration, Instant},
};

use doithoai_units::{UnitCode, is_within};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
pub use layer::Authenticated;
use mapping::MappedClaims;
use provider::Provider;
pub use provider::http_client as provider_http_client;
use serde::{Deserialize, Serialize};
use tonic::{
    Request,
    metadata::{Ascii, MetadataValue, errors::InvalidMetadataValue},
};

use crate::{
    error::{Reason, ServiceError, ServiceResult},
    settings::Settings,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Admin,
    Office,
    Host,
    Secretary,
    Agency,
    Front,
    Monitor,
    Service,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Office,
        Role::Host,
        Role::Secretary,
        Role::Agency,
        Role::Front,
        Role::Monitor,
        Role::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Office => "OFFICE",
            Role::Host => "HOST",
            Role::Secretary => "SECRETARY",
            Role::Agency => "AGENCY",
            Role::Front => "FRONT",
            Role::Monitor => "MONITOR",
            Role::Service => "SERVICE",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub unit: String,
    pub roles: Vec<Role>,
    /// For AGENCY callers: the organization (directory id) they act for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
}

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub subject: String,
    pub unit: UnitCode,
    pub roles: Vec<Role>,
    /// The agency an AGENCY caller acts for.
    pub organization: Option<String>,
    /// Whether the caller's unit is the deployment's root (`auth.root_unit`):
    /// its administrators keep what the whole deployment shares, the legal
    /// calendar and a rehearsal's clock.
    pub at_root: bool,
    /// The identity of the client certificate the call came with (mutual
    /// TLS: another service, an agency's system), beside the token's subject.
    pub peer: Option<String>,
}

impl Caller {
    /// The caller put on the request by the [`Authenticator`].
    pub fn of<T>(request: &Request<T>) -> ServiceResult<Caller> {
        request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ServiceError::unauthenticated("no authenticated caller", "chưa xác thực người gọi"))
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Refuses a caller that has none of `allowed`.
    pub fn require_role(&self, allowed: &[Role]) -> ServiceResult<()> {
        if allowed.iter().any(|role| self.has_role(*role)) {
            return Ok(());
        }
        let names = allowed.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
        Err(ServiceError::permission_denied(
            Reason::RoleRequired,
            format!("this needs one of the roles {names}"),
            format!("thao tác này cần một trong các vai trò {names}"),
        ))
    }

    /// Refuses anyone but an administrator of the deployment's root unit.
    pub fn require_root_admin(&self) -> ServiceResult<()> {
        if self.at_root && self.has_role(Role::Admin) {
            return Ok(());
        }
        Err(ServiceError::permission_denied(
            Reason::RootAdminRequired,
            "only an administrator of the deployment's root unit may do this: it changes the whole deployment",
            "chỉ quản trị viên của đơn vị gốc mới được thực hiện: thao tác này ảnh hưởng toàn hệ thống",
        ))
    }

    /// Refuses a unit outside the caller's subtree. `path` is the unit's path
    /// from the root, the unit itself last.
    pub fn require_within<C: AsRef<str>>(&self, path: &[C]) -> ServiceResult<()> {
        if is_within(path, self.unit.as_str()) {
            return Ok(());
        }
        let unit = path.last().map_or("", |c| c.as_ref());
        Err(ServiceError::permission_denied(
            Reason::OutOfScope,
            format!("unit {unit} is outside the subtree of your unit {}", self.unit),
            format!("đơn vị {unit} nằm ngoài phạm vi đơn vị {} của bạn", self.unit),
        ))
    }
}

/// Verifies bearer tokens against what the settings trust: the Ed25519 key
/// (`auth.public_key_*`, local and test tokens) and the province's identity
/// provider (`auth.oidc`). As a layer ([`Authenticated`]) it puts the
/// [`Caller`] on every request of the services it wraps.
#[derive(Clone)]
pub struct Authenticator {
    trust: Arc<Trust>,
    root_unit: Option<UnitCode>,
}

struct Trust {
    local: Option<(DecodingKey, Validation)>,
    providers: Vec<Arc<Provider>>,
    /// Tokens verified lately, by the token: a caller sends the same one with
    /// every request, and checking its signature again each time was a sixth
    /// of a read's CPU in the service.
    verified: quick_cache::sync::Cache<String, Verified>,
}

/// A token taken on trust for a short while without checking it again.
#[derive(Clone)]
struct Verified {
    caller: Caller,
    /// Its expiry, or [`VERIFIED_FOR`] after it was verified if sooner.
    until: Instant,
    /// The providers' key sets it was verified against ([`Trust::keys`]).
    keys: u64,
}

/// How long a verified token is trusted before its signature is checked again.
const VERIFIED_FOR: Duration = Duration::from_secs(60);
/// How many verified tokens are kept: a few per person signed in.
const VERIFIED_TOKENS: usize = 10_000;

impl Trust {
    fn new(local: Option<(DecodingKey, Validation)>, providers: Vec<Arc<Provider>>) -> Self {
        Self { local, providers, verified: quick_cache::sync::Cache::new(VERIFIED_TOKENS) }
    }

    /// Changes when any provider's key set is read again: a key may have
    /// been withdrawn, so the tokens verified before are checked again.
    fn keys(&self) -> u64 {
        self.providers.iter().map(|p| p.generation()).sum()
    }
}

/// The claims read before a token is verified: which issuer to verify it
/// with, and (trusted only once it verifies) until when it is valid.
#[derive(Deserialize)]
struct Unverified {
    iss: Option<String>,
    /// Seconds since the epoch; a provider may write them as a decimal.
    exp: Option<f64>,
}

impl Authenticator {
    /// What the settings trust.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let auth = &settings.auth;
        let local = match auth.public_key_pem.is_some() || auth.public_key_file.is_some() {
            true => Some(local_key(&settings.public_key_pem()?, &auth.audience)?),
            false => None,
        };
        let providers = auth
            .oidc
            .iter()
            .map(|oidc| Provider::new(oidc, &auth.audience).map(Arc::new))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { trust: Arc::new(Trust::new(local, providers)), root_unit: settings.root_unit() })
    }

    /// Trusts one Ed25519 key only: for the CLI's checks and for tests.
    pub fn from_public_pem(pem: &str, audience: &str) -> anyhow::Result<Self> {
        let local = Some(local_key(pem, audience)?);
        Ok(Self { trust: Arc::new(Trust::new(local, Vec::new())), root_unit: None })
    }

    /// Names the deployment's root unit, whose administrators are root administrators.
    pub fn with_root_unit(mut self, root_unit: Option<UnitCode>) -> Self {
        self.root_unit = root_unit;
        self
    }

    pub async fn verify(&self, token: &str) -> ServiceResult<Caller> {
        let keys = self.trust.keys();
        let cached = self.trust.verified.get(token).filter(|v| v.keys == keys && v.until > Instant::now());
        let mut caller = match cached {
            Some(verified) => verified.caller,
            None => {
                let (caller, expires) = self.verify_signature(token).await?;
                let left = expires.saturating_sub(jsonwebtoken::get_current_timestamp());
                if left > 0 {
                    let until = Instant::now() + VERIFIED_FOR.min(Duration::from_secs(left));
                    self.trust.verified.insert(token.to_owned(), Verified { caller: caller.clone(), until, keys });
                }
                caller
            }
        };
        // The cache is shared by this authenticator's clones; the root unit is each one's own.
        caller.at_root = self.root_unit.as_ref() == Some(&caller.unit);
        Ok(caller)
    }

    /// The caller a token names once its signature, audience and expiry are
    /// checked (whether it is at the root is [`Self::verify`]'s to say), and
    /// when it expires.
    async fn verify_signature(&self, token: &str) -> ServiceResult<(Caller, u64)> {
        let refused = || {
            ServiceError::unauthenticated(
                "the token is invalid, expired or not signed by a trusted key",
                "mã xác thực không hợp lệ, đã hết hạn hoặc không do khóa tin cậy ký",
            )
        };
        let unverified = jsonwebtoken::dangerous::insecure_decode_claims::<Unverified>(token).ok();
        let (iss, exp) = unverified.map_or((None, None), |c| (c.iss, c.exp));
        let provider = iss.and_then(|iss| self.trust.providers.iter().find(|p| p.issuer == iss));
        let claims = match (provider, &self.trust.local) {
            (Some(provider), _) => provider.verify(token).await.map_err(|error| {
                tracing::debug!(%error, issuer = %provider.issuer, "token refused");
                refused()
            })?,
            (None, Some((key, validation))) => {
                let claims = jsonwebtoken::decode::<Claims>(token, key, validation)
                    .map_err(|error| {
                        tracing::debug!(%error, "token refused");
                        refused()
                    })?
                    .claims;
                MappedClaims { subject: claims.sub, unit: claims.unit, roles: claims.roles, organization: claims.org }
            }
            (None, None) => return Err(refused()),
        };
        let unit = UnitCode::parse(&claims.unit).map_err(|_| {
            ServiceError::unauthenticated(
                "the token's unit is not a unit code",
                "đơn vị trong mã xác thực không hợp lệ",
            )
        })?;
        let organization = claims.organization;
        let caller =
            Caller { subject: claims.subject, unit, roles: claims.roles, organization, at_root: false, peer: None };
        // Both ways of verifying require `exp`: a token without one never verifies.
        Ok((caller, exp.map_or(0, |exp| exp as u64)))
    }

    /// The caller of a request's `authorization: Bearer` header. Every RPC
    /// needs a role: a token with none may call nothing.
    pub async fn authenticate(&self, headers: &http::HeaderMap) -> ServiceResult<Caller> {
        let header = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(|h| h.strip_prefix(BEARER)) else {
            return Err(ServiceError::unauthenticated(
                "missing `authorization: Bearer <token>`",
                "thiếu `authorization: Bearer <mã xác thực>`",
            ));
        };
        let caller = self.verify(token.trim()).await?;
        if caller.roles.is_empty() {
            return Err(ServiceError::permission_denied(
                Reason::RoleRequired,
                "the token carries no role: it may call nothing",
                "mã xác thực không có vai trò nào: không được gọi thao tác nào",
            ));
        }
        Ok(caller)
    }
}

fn local_key(pem: &str, audience: &str) -> anyhow::Result<(DecodingKey, Validation)> {
    let key = DecodingKey::from_ed_pem(pem.as_bytes())
        .map_err(|e| anyhow::anyhow!("invalid setting `auth.public_key`: not an Ed25519 public key in PEM: {e}"))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    Ok((key, validation))
}

/// The `authorization` metadata value that carries a bearer token, as the
/// [`Authenticator`] reads it.
pub fn bearer_value(token: &str) -> Result<MetadataValue<Ascii>, InvalidMetadataValue> {
    format!("{BEARER}{token}").parse()
}

const BEARER: &str = "Bearer ";

/// `message` as a request carrying `token`. A signed token is always ASCII;
/// were it not, the request goes without it and the service refuses it as
/// unauthenticated.
pub fn with_bearer<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    if let Ok(value) = bearer_value(token) {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// The caller's own credentials, to ask another service on their behalf:
/// that service then decides what the caller may see there, exactly as if
/// asked directly, so no service holds a key that sees more than its caller.
#[derive(Clone)]
pub struct OnBehalf(MetadataValue<Ascii>);

impl OnBehalf {
    /// The `authorization` a request came with; the [`Authenticator`] has
    /// checked it before any RPC body runs.
    pub fn of<T>(request: &Request<T>) -> ServiceResult<OnBehalf> {
        request.metadata().get("authorization").cloned().map(OnBehalf).ok_or_else(|| {
            ServiceError::unauthenticated(
                "missing `authorization: Bearer <token>`",
                "thiếu `authorization: Bearer <mã xác thực>`",
            )
        })
    }

    /// `message` as a request carrying these credentials, in the current trace.
    pub fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request.metadata_mut().insert("authorization", self.0.clone());
        if let Some(parent) = crate::telemetry::current_traceparent().and_then(|t| t.parse().ok()) {
            request.metadata_mut().insert("traceparent", parent);
        }
        request
    }
}

impl fmt::Debug for OnBehalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnBehalf(…)")
    }
}

/// Signs tokens: for the operator CLI's development tokens and for tests.
pub struct TokenSigner {
    key: EncodingKey,
    audience: String,
}

impl TokenSigner {
    pub fn from_private_pem(pem: &str, audience: &str) -> anyhow::Result<Self> {
        let key = EncodingKey::from_ed_pem(pem.as_bytes())
            .map_err(|e| anyhow::anyhow!("not an Ed25519 private key in PEM: {e}"))?;
        Ok(Self { key, audience: audience.to_owned() })
    }

    pub fn sign(&self, subject: &str, unit: &str, roles: &[Role], ttl: Duration) -> anyhow::Result<String> {
        self.sign_for(subject, unit, roles, None, ttl)
    }

    /// A token for a caller acting for an organization (AGENCY).
    pub fn sign_for(
        &self,
        subject: &str,
        unit: &str,
        roles: &[Role],
        organization: Option<&str>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            unit: unit.to_owned(),
            roles: roles.to_vec(),
            org: organization.map(str::to_owned),
            aud: self.audience.clone(),
            iat: now,
            exp: now + ttl.as_secs(),
        };
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.key)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV_KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/local/dev-keys");

    fn read(path: &str) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    fn signer(path: &str) -> TokenSigner {
        TokenSigner::from_private_pem(&read(path), "doithoai").unwrap()
    }

    fn authenticator() -> Authenticator {
        Authenticator::from_public_pem(&read(&format!("{DEV_KEYS}/public.pem")), "doithoai").unwrap()
    }

    #[tokio::test]
    async fn a_token_signed_with_the_trusted_key_names_the_caller() {
        let token = signer(&format!("{DEV_KEYS}/signing.pem"))
            .sign("office-33", "33", &[Role::Office], Duration::from_secs(60))
            .unwrap();
        let caller = authenticator().verify(&token).await.unwrap();
        assert_eq!((caller.subject.as_str(), caller.unit.as_str()), ("office-33", "33"));
        assert_eq!(caller.roles, [Role::Office]);
    }

    #[tokio::test]
    async fn a_token_signed_with_another_key_is_refused() {
        let forger = signer(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/forger-signing.pem"));
        let token = forger.sign("mallory", "33", &[Role::Admin], Duration::from_secs(60)).unwrap();
        assert_eq!(authenticator().verify(&token).await.unwrap_err().code(), tonic::Code::Unauthenticated);
    }

    #[tokio::test]
    async fn an_expired_token_is_refused() {
        let signer = signer(&format!("{DEV_KEYS}/signing.pem"));
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: "x".into(),
            unit: "33".into(),
            roles: vec![],
            org: None,
            aud: "doithoai".into(),
            iat: now - 7200,
            exp: now - 3600,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &signer.key).unwrap();
        assert!(authenticator().verify(&token).await.is_err());
    }

    #[test]
    fn a_caller_acts_only_inside_its_subtree() {
        let caller = Caller {
            subject: "d".into(),
            unit: UnitCode::parse("323").unwrap(),
            roles: vec![Role::Office],
            organization: None,
            at_root: false,
            peer: None,
        };
        assert!(caller.require_within(&["33", "323", "11950"]).is_ok());
        assert!(caller.require_within(&["33", "323"]).is_ok());
        let denied = caller.require_within(&["33"]).unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert!(caller.require_within(&["33", "324", "12000"]).is_err());
    }

    #[test]
    fn a_caller_without_the_role_is_refused() {
        let caller = Caller {
            subject: "f".into(),
            unit: UnitCode::parse("33").unwrap(),
            roles: vec![Role::Front],
            organization: None,
            at_root: false,
            peer: None,
        };
        assert!(caller.require_role(&[Role::Front, Role::Monitor]).is_ok());
        assert_eq!(caller.require_role(&[Role::Admin]).unwrap_err().code(), tonic::Code::PermissionDenied);
    }
}
