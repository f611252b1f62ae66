//! Trust in an OpenID Connect provider's tokens: its keys, read from its JWKS
//! (found through discovery unless configured), cached and read again when
//! they age or when a token names a key not yet seen, so that a rotation at
//! the provider is honoured without a restart. Only RS256, ES256 and EdDSA
//! keys are trusted, each for its own algorithm: a shared secret (`oct`) in a
//! key set is never a verification key.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use jsonwebtoken::{
    Algorithm, DecodingKey, Validation,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse},
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::mapping::{ClaimMapping, MappedClaims};
use crate::settings::OidcSettings;

/// A key set read again at most this often when tokens name unknown keys:
/// a forged `kid` cannot make the service hammer the provider.
const REFETCH_AT_MOST_EVERY: Duration = Duration::from_secs(1);

pub struct Provider {
    pub issuer: String,
    audience: String,
    jwks_url: Option<String>,
    pub mapping: ClaimMapping,
    refresh: Duration,
    http: reqwest::Client,
    keys: RwLock<Keys>,
    /// One fetch at a time; the others wait for its keys.
    fetching: tokio::sync::Mutex<()>,
    /// How many times the key set was read: a token verified with an earlier
    /// set is verified again (its key may have been withdrawn).
    generation: AtomicU64,
}

#[derive(Default)]
struct Keys {
    by_id: HashMap<String, Trusted>,
    /// The set's only key, for a token that names none.
    only: Option<Trusted>,
    fetched: Option<Instant>,
}

#[derive(Clone)]
struct Trusted {
    key: DecodingKey,
    algorithm: Algorithm,
}

/// Why a provider's token was refused (logged, never shown to the caller).
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("the token's header is not readable: {0}")]
    Header(jsonwebtoken::errors::Error),
    #[error("no trusted key {kid:?} for {algorithm:?}")]
    NoKey { kid: Option<String>, algorithm: Algorithm },
    #[error("the token does not verify: {0}")]
    Invalid(jsonwebtoken::errors::Error),
    #[error("{0}")]
    Claims(String),
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<Value>,
}

#[derive(Deserialize)]
struct Discovery {
    jwks_uri: String,
}

impl Provider {
    pub fn new(settings: &OidcSettings, default_audience: &str) -> anyhow::Result<Self> {
        let http = http_client()?;
        Ok(Self {
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone().unwrap_or_else(|| default_audience.to_owned()),
            jwks_url: settings.jwks_url.clone(),
            mapping: settings.claims.clone(),
            refresh: Duration::from_secs(settings.refresh_secs),
            http,
            keys: RwLock::new(Keys::default()),
            fetching: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        })
    }

    /// Verifies a token this provider issued: signature by one of its keys,
    /// issuer, audience, expiry; then maps its claims.
    pub async fn verify(self: &Arc<Self>, token: &str) -> Result<MappedClaims, Refused> {
        let header = jsonwebtoken::decode_header(token).map_err(Refused::Header)?;
        let trusted = self.key(header.kid.as_deref(), header.alg).await?;
        let mut validation = Validation::new(trusted.algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &trusted.key, &validation)
            .map_err(Refused::Invalid)?
            .claims;
        self.mapping.map(&claims).map_err(Refused::Claims)
    }

    /// Changes whenever the key set is read again.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The trusted key a token names. A key set that has aged is read again
    /// in the background while its keys still serve; one that does not hold
    /// the key yet is read again before the answer.
    async fn key(self: &Arc<Self>, kid: Option<&str>, algorithm: Algorithm) -> Result<Trusted, Refused> {
        let (mut found, fetched) = self.cached(kid);
        let aged = |every: Duration| fetched.is_none_or(|at| at.elapsed() >= every);
        if found.is_some() && aged(self.refresh) {
            let provider = self.clone();
            tokio::spawn(async move { provider.read_again(fetched).await });
        }
        if found.is_none() && aged(REFETCH_AT_MOST_EVERY) {
            self.read_again(fetched).await;
            found = self.cached(kid).0;
        }
        found
            .filter(|trusted| trusted.algorithm == algorithm)
            .ok_or_else(|| Refused::NoKey { kid: kid.map(str::to_owned), algorithm })
    }

    /// Reads the key set unless another request did since `seen`.
    async fn read_again(&self, seen: Option<Instant>) {
        let _one_fetch = self.fetching.lock().await;
        if self.cached(None).1 == seen {
            self.refetch().await;
        }
    }

    fn cached(&self, kid: Option<&str>) -> (Option<Trusted>, Option<Instant>) {
        let keys = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let found = match kid {
            Some(kid) => keys.by_id.get(kid).cloned(),
            None => keys.only.clone(),
        };
        (found, keys.fetched)
    }

    /// Reads the key set; on failure keeps the keys it had (a provider that
    /// is briefly down must not refuse every caller) and tries again later.
    async fn refetch(&self) {
        let fetched = self.fetch().await;
        let mut keys = self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        match fetched {
            Ok(set) => {
                tracing::info!(issuer = %self.issuer, keys = set.by_id.len() + usize::from(set.only.is_some()), "read the provider's keys");
                *keys = set;
                self.generation.fetch_add(1, Ordering::Release);
            }
            Err(error) => {
                tracing::warn!(issuer = %self.issuer, error = format!("{error:#}"), "cannot read the provider's keys");
                keys.fetched = Some(Instant::now());
            }
        }
    }

    async fn fetch(&self) -> anyhow::Result<Keys> {
        let url = match &self.jwks_url {
            Some(url) => url.clone(),
            None => {
                let discovery = format!("{}/.well-known/openid-configuration", self.issuer.trim_end_matches('/'));
                self.get::<Discovery>(&discovery).await?.jwks_uri
            }
        };
        // Key by key: one the library cannot read (an encryption key's
        // algorithm, a new key type) must not hide the others.
        let set: RawSet = self.get(&url).await?;
        let keys: Vec<Jwk> = set.keys.into_iter().filter_map(|key| serde_json::from_value(key).ok()).collect();
        Ok(trusted_keys(&keys))
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: &str) -> anyhow::Result<T> {
        let response = self.http.get(url).send().await.with_context(|| format!("GET {url}"))?;
        let response = response.error_for_status().with_context(|| format!("GET {url}"))?;
        response.json().await.with_context(|| format!("GET {url}: not the expected JSON"))
    }
}

/// The HTTP client that talks to an identity provider (its discovery, keys
/// and tokens): a bounded wait, and no redirect, which could point a fetch
/// anywhere: a provider's URLs are exact.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot build the HTTP client for `auth.oidc`")
}

/// The signing keys of a set that doithoai trusts, each with its one algorithm.
fn trusted_keys(set: &[Jwk]) -> Keys {
    let mut keys = Keys { fetched: Some(Instant::now()), ..Keys::default() };
    let mut signing = Vec::new();
    for jwk in set {
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            continue;
        }
        let algorithm = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => Algorithm::ES256,
            AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => Algorithm::EdDSA,
            _ => continue,
        };
        let declared = jwk.common.key_algorithm;
        let agrees = match declared {
            None => true,
            Some(KeyAlgorithm::RS256) => algorithm == Algorithm::RS256,
            Some(KeyAlgorithm::ES256) => algorithm == Algorithm::ES256,
            Some(KeyAlgorithm::EdDSA) => algorithm == Algorithm::EdDSA,
            Some(_) => false,
        };
        let Ok(key) = DecodingKey::from_jwk(jwk) else { continue };
        if agrees {
            signing.push((jwk.common.key_id.clone(), Trusted { key, algorithm }));
        }
    }
    if let [(_, only)] = signing.as_slice() {
        keys.only = Some(only.clone());
    }
    keys.by_id = signing.into_iter().filter_map(|(kid, trusted)| Some((kid?, trusted))).collect();
    keys
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::{Json, Router, extract::State, routing::get};
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/provider");

    /// A provider's signing key, from the test's fixtures.
    struct Key {
        kid: &'static str,
        algorithm: Algorithm,
        key: EncodingKey,
    }

    impl Key {
        fn new(kid: &'static str, algorithm: Algorithm) -> Self {
            let file = match algorithm {
                Algorithm::RS256 => "rs256.pem",
                Algorithm::ES256 => "es256.pem",
                _ => "eddsa.pem",
            };
            let pem = std::fs::read(format!("{FIXTURES}/{file}")).unwrap();
            let key = match algorithm {
                Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
                Algorithm::ES256 => EncodingKey::from_ec_pem(&pem),
                _ => EncodingKey::from_ed_pem(&pem),
            };
            Self { kid, algorithm, key: key.unwrap() }
        }

        fn public(&self) -> Value {
            let mut jwk = Jwk::from_encoding_key(&self.key, self.algorithm).unwrap();
            jwk.common.key_id = Some(self.kid.to_owned());
            serde_json::to_value(jwk).unwrap()
        }

        fn sign(&self, claims: Value) -> String {
            let mut header = Header::new(self.algorithm);
            header.kid = Some(self.kid.to_owned());
            jsonwebtoken::encode(&header, &claims, &self.key).unwrap()
        }
    }

    /// A provider on a loopback port: its discovery document and the key set
    /// the test sets.
    struct TestProvider {
        issuer: String,
        keys: Arc<Mutex<Vec<Value>>>,
        reads: Arc<Mutex<u32>>,
    }

    type Served = (Arc<Mutex<Vec<Value>>>, Arc<Mutex<u32>>, String);

    async fn discovery(State((_, _, issuer)): State<Served>) -> Json<Value> {
        Json(json!({ "issuer": issuer, "jwks_uri": format!("{issuer}/jwks") }))
    }

    async fn jwks(State((keys, reads, _)): State<Served>) -> Json<Value> {
        *reads.lock().unwrap() += 1;
        Json(json!({ "keys": keys.lock().unwrap().clone() }))
    }

    impl TestProvider {
        async fn start(keys: Vec<Value>) -> Self {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let issuer = format!("http://{}", listener.local_addr().unwrap());
            let (keys, reads) = (Arc::new(Mutex::new(keys)), Arc::new(Mutex::new(0)));
            let router = Router::new()
                .route("/.well-known/openid-configuration", get(discovery))
                .route("/jwks", get(jwks))
                .with_state((keys.clone(), reads.clone(), issuer.clone()));
            tokio::spawn(async move { axum::serve(listener, router).await });
            Self { issuer, keys, reads }
        }

        fn trusting(&self) -> Arc<Provider> {
            let settings = OidcSettings {
                issuer: self.issuer.clone(),
                jwks_url: None,
                audience: None,
                refresh_secs: 300,
                claims: ClaimMapping { unit: "province_unit".into(), roles: "groups".into(), ..Default::default() },
            };
            Arc::new(Provider::new(&settings, "doithoai").unwrap())
        }

        fn claims(&self) -> Value {
            let now = jsonwebtoken::get_current_timestamp();
            json!({
                "iss": self.issuer, "aud": "doithoai", "sub": "kiemtra-33", "iat": now, "exp": now + 300,
                "province_unit": "33", "groups": ["MONITOR"]
            })
        }
    }

    #[tokio::test]
    async fn a_provider_s_rs256_es256_and_eddsa_tokens_are_trusted_through_its_discovery() {
        let keys = [Key::new("r", Algorithm::RS256), Key::new("e", Algorithm::ES256), Key::new("d", Algorithm::EdDSA)];
        let provider = TestProvider::start(keys.iter().map(Key::public).collect()).await;
        let trust = provider.trusting();
        for key in &keys {
            let caller = trust.verify(&key.sign(provider.claims())).await.unwrap();
            assert_eq!((caller.unit.as_str(), caller.roles.as_slice()), ("33", &[super::super::Role::Monitor][..]));
        }
        assert_eq!(*provider.reads.lock().unwrap(), 1, "the key set is read once and cached");
    }

    #[tokio::test]
    async fn a_rotated_key_is_read_when_a_token_names_it_and_a_withdrawn_one_is_refused() {
        let (old, new) = (Key::new("2026-01", Algorithm::RS256), Key::new("2026-07", Algorithm::ES256));
        let provider = TestProvider::start(vec![old.public()]).await;
        let trust = provider.trusting();
        let before = old.sign(provider.claims());
        trust.verify(&before).await.unwrap();

        // The provider rotates: the new key signs, the old one is withdrawn.
        *provider.keys.lock().unwrap() = vec![new.public()];
        tokio::time::sleep(REFETCH_AT_MOST_EVERY).await;
        trust.verify(&new.sign(provider.claims())).await.unwrap();
        assert!(matches!(trust.verify(&before).await, Err(Refused::NoKey { .. })));
    }

    #[tokio::test]
    async fn a_token_trusted_before_its_key_was_withdrawn_is_refused_once_the_set_is_read_again() {
        let (old, new) = (Key::new("2026-01", Algorithm::RS256), Key::new("2026-07", Algorithm::ES256));
        let provider = TestProvider::start(vec![old.public()]).await;
        let trust = super::super::Trust::new(None, vec![provider.trusting()]);
        let authenticator = super::super::Authenticator { trust: Arc::new(trust), root_unit: None };
        let before = old.sign(provider.claims());
        authenticator.verify(&before).await.unwrap();
        authenticator.verify(&before).await.unwrap();

        *provider.keys.lock().unwrap() = vec![new.public()];
        tokio::time::sleep(REFETCH_AT_MOST_EVERY).await;
        authenticator.verify(&new.sign(provider.claims())).await.unwrap();
        assert!(authenticator.verify(&before).await.is_err(), "a withdrawn key's token is not served from the cache");
        assert_eq!(*provider.reads.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn unknown_key_ids_do_not_make_the_service_hammer_the_provider() {
        let key = Key::new("r", Algorithm::RS256);
        let provider = TestProvider::start(vec![key.public()]).await;
        let trust = provider.trusting();
        trust.verify(&key.sign(provider.claims())).await.unwrap();
        let forged = Key { kid: "forged", ..Key::new("r", Algorithm::ES256) };
        for _ in 0..20 {
            assert!(trust.verify(&forged.sign(provider.claims())).await.is_err());
        }
        assert_eq!(*provider.reads.lock().unwrap(), 1);
    }

    #[tokio::test]
    async fn a_token_for_another_issuer_or_audience_or_expired_is_refused() {
        let key = Key::new("r", Algorithm::RS256);
        let provider = TestProvider::start(vec![key.public()]).await;
        let trust = provider.trusting();
        let with = |field: &str, value: Value| {
            let mut claims = provider.claims();
            claims[field] = value;
            key.sign(claims)
        };
        let now = jsonwebtoken::get_current_timestamp();
        for token in [
            with("iss", json!("https://idp.elsewhere.example")),
            with("aud", json!("another-system")),
            with("exp", json!(now - 120)),
        ] {
            assert!(matches!(trust.verify(&token).await, Err(Refused::Invalid(_))));
        }
    }

    #[tokio::test]
    async fn a_shared_secret_in_the_key_set_never_verifies_a_token() {
        // An HS256 token "signed" with a secret published as an `oct` key:
        // the classic confusion, refused because the set's secret is no key.
        let secret = Key { kid: "oct", algorithm: Algorithm::HS256, key: EncodingKey::from_secret(b"published") };
        let provider = TestProvider::start(vec![secret.public()]).await;
        assert!(matches!(
            provider.trusting().verify(&secret.sign(provider.claims())).await,
            Err(Refused::NoKey { .. })
        ));
    }

    #[tokio::test]
    async fn a_token_may_not_choose_another_algorithm_for_a_key() {
        let key = Key::new("r", Algorithm::RS256);
        let provider = TestProvider::start(vec![key.public()]).await;
        let other = Key { kid: "r", ..Key::new("r", Algorithm::ES256) };
        assert!(matches!(provider.trusting().verify(&other.sign(provider.claims())).await, Err(Refused::NoKey { .. })));
    }
}
