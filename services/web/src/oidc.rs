//! Signing in with the province's identity provider: OpenID Connect's
//! authorization-code flow with PKCE (the `openidconnect` crate). The web
//! sends the person to the provider with a fresh state, nonce and code
//! challenge, kept meanwhile in a short-lived encrypted cookie; on the way
//! back it exchanges the code, verifies the ID token (signature, issuer,
//! audience, nonce) and maps its claims as `auth.oidc.claims` says. The
//! access token that came with it is what the services are then called with.
//!
//! The provider's metadata and keys are read at every sign-in: sign-ins are
//! rare, and a key rotation at the provider is then never missed.

use openidconnect::{
    AdditionalClaims, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardErrorResponse, StandardTokenResponse,
    TokenResponse,
    core::{
        CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
        CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
        CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
    },
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use doithoai_runtime::{
    Settings,
    auth::mapping::{ClaimMapping, MappedClaims},
};

use crate::settings::WebOidcSettings;

/// The ID token's claims beyond the standard ones, kept whole for the mapping.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderClaims {
    #[serde(flatten)]
    claims: Map<String, Value>,
}

impl AdditionalClaims for ProviderClaims {}

type Tokens = StandardTokenResponse<
    IdTokenFields<
        ProviderClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

type Client = openidconnect::Client<
    ProviderClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

pub struct Oidc {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    scopes: Vec<String>,
    mapping: ClaimMapping,
    http: reqwest::Client,
}

/// A sign-in under way: what the callback must find again.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    nonce: String,
    verifier: String,
    /// Unix seconds; a pending sign-in lasts ten minutes.
    pub started: i64,
}

/// A person the provider signed in.
pub struct SignedIn {
    pub claims: MappedClaims,
    /// The access token the services verify.
    pub access_token: String,
    /// When the access token expires, in seconds from now, if the provider said.
    pub expires_in: Option<u64>,
}

impl Oidc {
    pub fn new(web: &WebOidcSettings, settings: &Settings) -> anyhow::Result<Self> {
        let provider = settings
            .auth
            .oidc
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("invalid setting `auth.oidc.issuer`: not set"))?;
        let http = doithoai_runtime::auth::provider_http_client()?;
        Ok(Self {
            issuer: IssuerUrl::new(provider.issuer.clone())
                .map_err(|e| anyhow::anyhow!("invalid setting `auth.oidc.issuer`: {e}"))?,
            client_id: ClientId::new(web.client_id.clone()),
            client_secret: web.client_secret.as_ref().map(|s| ClientSecret::new(s.expose_secret().to_owned())),
            redirect: RedirectUrl::new(web.redirect_url.clone())
                .map_err(|e| anyhow::anyhow!("invalid setting `web.oidc.redirect_url`: {e}"))?,
            scopes: web.scopes.clone(),
            mapping: provider.claims.clone(),
            http,
        })
    }

    async fn client(&self) -> anyhow::Result<Client> {
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| anyhow::anyhow!("cannot read the identity provider's metadata: {e}"))?;
        Ok(Client::from_provider_metadata(metadata, self.client_id.clone(), self.client_secret.clone())
            .set_redirect_uri(self.redirect.clone()))
    }

    /// Where to send the person, and what to keep until they come back.
    pub async fn start(&self, now: i64) -> anyhow::Result<(String, Pending)> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.scopes.iter().filter(|s| s.as_str() != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            started: now,
        };
        Ok((url.to_string(), pending))
    }

    /// Exchanges the code the provider sent back and verifies who it names.
    pub async fn finish(&self, pending: Pending, code: String) -> anyhow::Result<SignedIn> {
        let client = self.client().await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| anyhow::anyhow!("the identity provider did not exchange the code: {e}"))?;
        let id_token = tokens.id_token().ok_or_else(|| anyhow::anyhow!("the provider sent no ID token"))?;
        let nonce = Nonce::new(pending.nonce);
        let claims = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .map_err(|e| anyhow::anyhow!("the ID token does not verify: {e}"))?;
        let mut all = claims.additional_claims().claims.clone();
        all.insert("sub".into(), Value::String(claims.subject().to_string()));
        if let Some(name) = claims.preferred_username() {
            all.insert("preferred_username".into(), Value::String(name.to_string()));
        }
        let mapped = self.mapping.map(&all).map_err(|e| anyhow::anyhow!("the ID token's claims: {e}"))?;
        Ok(SignedIn {
            claims: mapped,
            access_token: tokens.access_token().secret().clone(),
            expires_in: tokens.expires_in().map(|d| d.as_secs()),
        })
    }
}
