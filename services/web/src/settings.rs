//! The web's own settings, the section `web`, beside the shared ones
//! (`public_addr` for the pages, `metrics_addr`, `auth` for the key the
//! services trust and the deployment's root unit).

use std::path::PathBuf;

use anyhow::bail;
use doithoai_runtime::Settings;
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WebSettings {
    /// The four services' gRPC addresses.
    pub scheduling_addr: String,
    pub participants_addr: String,
    pub minutes_addr: String,
    pub deadlines_addr: String,
    /// The unit at the top of the public pages: the deployment's root
    /// (`auth.root_unit`) unless set.
    pub root_unit: String,
    /// 64 or more bytes, base64: encrypts and signs the session cookies and
    /// the forms' tokens. Required in production; without it a random key is
    /// made at start, so sessions end when the web restarts.
    pub cookie_key: Option<SecretString>,
    /// The development signing key (Ed25519 PEM). With it the web signs its
    /// portal token and offers the development sign-in page (pick a unit and
    /// a role). Refused with `DOITHOAI_ENV=production`.
    pub dev_signing_key_file: Option<PathBuf>,
    /// The portal's own token (SERVICE at the root unit) where no development
    /// key is set: what the public pages read and register with.
    pub portal_token: Option<SecretString>,
    /// Per client address: public lookups and registrations per minute.
    pub lookups_per_minute: u32,
    pub registrations_per_minute: u32,
    /// How long a signed-in session lasts, in minutes.
    pub session_minutes: u64,
    /// Whether the cookies are sent only over HTTPS (behind the Ingress's TLS).
    pub secure_cookies: bool,
    /// Whether a proxy (the Ingress) stands in front: the rate limits then
    /// count the address it appends to `X-Forwarded-For`.
    pub behind_proxy: bool,
    /// Signing in with the province's identity provider (`auth.oidc` names
    /// it and how its claims map): this web as its client.
    pub oidc: Option<WebOidcSettings>,
}

/// The web as a client of the identity provider: the authorization-code
/// flow with PKCE.
#[derive(Debug, Clone, Deserialize)]
pub struct WebOidcSettings {
    pub client_id: String,
    /// For a confidential client (the provider's registration decides).
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// This web's callback as the provider knows it: `https://<host>/signin/callback`.
    pub redirect_url: String,
    /// The scopes asked for; `openid` always, and whatever the provider
    /// needs to issue an access token for the services.
    #[serde(default = "openid")]
    pub scopes: Vec<String>,
}

fn openid() -> Vec<String> {
    vec!["openid".into()]
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            scheduling_addr: "http://127.0.0.1:7061".into(),
            participants_addr: "http://127.0.0.1:7062".into(),
            minutes_addr: "http://127.0.0.1:7063".into(),
            deadlines_addr: "http://127.0.0.1:7064".into(),
            root_unit: String::new(),
            cookie_key: None,
            dev_signing_key_file: None,
            portal_token: None,
            lookups_per_minute: 30,
            registrations_per_minute: 5,
            session_minutes: 8 * 60,
            secure_cookies: false,
            behind_proxy: false,
            oidc: None,
        }
    }
}

impl WebSettings {
    pub fn from(settings: &Settings) -> anyhow::Result<Self> {
        let mut web: WebSettings = settings.section("web")?;
        if web.root_unit.is_empty() {
            web.root_unit = settings.auth.root_unit.clone().unwrap_or_default();
        }
        if doithoai_units::UnitCode::parse(&web.root_unit).is_err() {
            bail!(
                "invalid setting `web.root_unit`: set it (or auth.root_unit) to the unit the public pages start from"
            );
        }
        let production = std::env::var("DOITHOAI_ENV").is_ok_and(|e| e == "production");
        if production && web.dev_signing_key_file.is_some() {
            bail!(
                "invalid setting `web.dev_signing_key_file`: the development key is refused with DOITHOAI_ENV=production"
            );
        }
        if production && web.cookie_key.is_none() {
            bail!("invalid setting `web.cookie_key`: required with DOITHOAI_ENV=production");
        }
        if web.dev_signing_key_file.is_none() && web.portal_token.is_none() {
            bail!(
                "invalid setting `web.portal_token`: the public pages need the portal's token (or, locally, web.dev_signing_key_file)"
            );
        }
        if web.oidc.is_some() && settings.auth.oidc.is_none() {
            bail!("invalid setting `auth.oidc.issuer`: signing in with `web.oidc` needs the provider it names");
        }
        if let Some(oidc) = &web.oidc
            && !oidc.redirect_url.ends_with("/signin/callback")
        {
            bail!("invalid setting `web.oidc.redirect_url`: must be this web's https://<host>/signin/callback");
        }
        if web.lookups_per_minute == 0 || web.registrations_per_minute == 0 {
            bail!("invalid setting `web.lookups_per_minute`/`web.registrations_per_minute`: must be at least 1");
        }
        Ok(web)
    }

    pub fn development(&self) -> bool {
        self.dev_signing_key_file.is_some()
    }
}
