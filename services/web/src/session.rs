//! Who is looking: a signed-in person's session, kept in an encrypted and
//! signed cookie (AES-GCM, through `axum-extra`'s private cookies) that holds
//! the token the services trust; the portal's own token for the public
//! pages; and the tokens that guard forms (CSRF, and the public forms'
//! anti-abuse age check).

use std::time::Duration;

use axum::{extract::FromRequestParts, http::request::Parts};
use axum_extra::extract::{
    PrivateCookieJar,
    cookie::{Cookie, Key, SameSite},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use doithoai_runtime::{Role, Settings, auth::Authenticator, auth::TokenSigner};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{
    State,
    oidc::{Pending, SignedIn},
    settings::WebSettings,
};

pub const COOKIE: &str = "doithoai_session";
pub const PENDING_COOKIE: &str = "doithoai_signin";
/// How long a person may take at the provider's sign-in page.
const PENDING_MINUTES: i64 = 10;
/// A public form younger than this was filled by a machine, not a person.
const FORM_MIN_AGE: i64 = 2;
/// A public form older than this is stale: reload it.
const FORM_MAX_AGE: i64 = 2 * 60 * 60;

pub struct Sessions {
    key: Key,
    form_key: Vec<u8>,
    signer: Option<TokenSigner>,
    portal_token: Option<String>,
    verifier: Authenticator,
    ttl: Duration,
    secure: bool,
    root_unit: String,
}

/// A signed-in person, as the session cookie holds them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Viewer {
    pub token: String,
    pub subject: String,
    pub unit: String,
    pub roles: Vec<Role>,
    pub organization: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
    /// The anti-forgery token every signed-in form carries.
    pub csrf: String,
}

impl Viewer {
    /// Whether the person has a workspace: they plan, keep, host or answer.
    pub fn works(&self) -> bool {
        [Role::Office, Role::Secretary, Role::Host, Role::Agency].iter().any(|r| self.roles.contains(r))
    }

    pub fn may_oversee(&self) -> bool {
        [Role::Admin, Role::Office, Role::Host, Role::Front, Role::Monitor].iter().any(|r| self.roles.contains(r))
    }
}

/// Now on the wall clock, in Unix seconds: sessions and forms age in real
/// time, whatever time a rehearsal gives the services.
pub fn wall_now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn random_text() -> String {
    URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}

impl Sessions {
    pub fn new(web: &WebSettings, settings: &Settings) -> anyhow::Result<Self> {
        let key = match &web.cookie_key {
            Some(key) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(key.expose_secret().trim())
                    .map_err(|_| anyhow::anyhow!("invalid setting `web.cookie_key`: not base64"))?;
                Key::try_from(bytes.as_slice())
                    .map_err(|_| anyhow::anyhow!("invalid setting `web.cookie_key`: needs at least 64 bytes"))?
            }
            None => Key::generate(),
        };
        let form_key = Hmac::<Sha256>::new_from_slice(key.signing())
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .chain_update(b"doithoai web forms")
            .finalize()
            .into_bytes()
            .to_vec();
        let signer = match &web.dev_signing_key_file {
            Some(path) => {
                let pem = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("invalid setting `web.dev_signing_key_file`: cannot read {}: {e}", path.display())
                })?;
                Some(TokenSigner::from_private_pem(&pem, &settings.auth.audience)?)
            }
            None => None,
        };
        let verifier = Authenticator::from_settings(settings)?;
        Ok(Self {
            key,
            form_key,
            signer,
            portal_token: web.portal_token.as_ref().map(|t| t.expose_secret().to_owned()),
            verifier,
            ttl: Duration::from_secs(web.session_minutes * 60),
            secure: web.secure_cookies,
            root_unit: web.root_unit.clone(),
        })
    }

    /// The token the public pages read and register with: the portal, a
    /// SERVICE of the root unit.
    pub fn portal_token(&self) -> String {
        match (&self.signer, &self.portal_token) {
            (Some(signer), _) => signer
                .sign("web-portal", &self.root_unit, &[Role::Service], Duration::from_secs(300))
                .unwrap_or_default(),
            (None, Some(token)) => token.clone(),
            (None, None) => String::new(),
        }
    }

    pub fn development(&self) -> bool {
        self.signer.is_some()
    }

    /// Signs a development session in: a token for the chosen unit and role,
    /// verified as the services will verify it.
    pub async fn dev_sign_in(
        &self,
        subject: &str,
        unit: &str,
        role: Role,
        organization: Option<&str>,
        now: i64,
    ) -> anyhow::Result<Viewer> {
        let signer = self.signer.as_ref().ok_or_else(|| anyhow::anyhow!("the development sign-in is off"))?;
        let token = signer.sign_for(subject, unit, &[role], organization, self.ttl)?;
        let caller = self.accepted(&token).await?;
        Ok(Viewer {
            subject: caller.subject,
            unit: caller.unit.to_string(),
            roles: caller.roles,
            organization: caller.organization,
            expires_at: now + self.ttl.as_secs() as i64,
            csrf: random_text(),
            token,
        })
    }

    /// A session for a person the identity provider signed in: who the ID
    /// token names, calling the services with the access token, until that
    /// expires (or the session's own length, if sooner).
    pub async fn provider_sign_in(&self, signed_in: SignedIn, now: i64) -> anyhow::Result<Viewer> {
        let caller = self.accepted(&signed_in.access_token).await?;
        let named = signed_in.claims;
        // Both tokens come from one provider through one mapping: if they
        // disagree, its configuration does, and the pages would mislead.
        if caller.unit.as_str() != named.unit || caller.roles != named.roles {
            anyhow::bail!("the ID token and the access token name different units or roles: check `auth.oidc.claims`");
        }
        let lasts = signed_in.expires_in.map_or(self.ttl, |s| self.ttl.min(Duration::from_secs(s)));
        Ok(Viewer {
            subject: named.subject,
            unit: named.unit,
            roles: named.roles,
            organization: named.organization,
            expires_at: now + lasts.as_secs() as i64,
            csrf: random_text(),
            token: signed_in.access_token,
        })
    }

    /// The caller a token names, if the services will accept it.
    async fn accepted(&self, token: &str) -> anyhow::Result<doithoai_runtime::Caller> {
        self.verifier.verify(token).await.map_err(|_| anyhow::anyhow!("the services would refuse this token"))
    }

    /// The cookie that keeps a sign-in under way until the provider sends the person back.
    pub fn pending_cookie(&self, pending: &Pending) -> Cookie<'static> {
        self.private_cookie(PENDING_COOKIE, pending, "/signin")
    }

    /// The sign-in under way, if it is still young enough to finish.
    pub fn pending(&self, jar: &PrivateCookieJar, now: i64) -> Option<Pending> {
        let pending: Pending = serde_json::from_str(jar.get(PENDING_COOKIE)?.value()).ok()?;
        (now - pending.started < PENDING_MINUTES * 60).then_some(pending)
    }

    pub fn cookie(&self, viewer: &Viewer) -> Cookie<'static> {
        self.private_cookie(COOKIE, viewer, "/")
    }

    /// A cookie scripts cannot read, sent over HTTPS only when configured.
    /// Lax: it comes with a top-level GET from elsewhere (the provider's
    /// redirect back, a link), never with another site's form.
    fn private_cookie(&self, name: &'static str, value: &impl Serialize, path: &'static str) -> Cookie<'static> {
        let mut cookie = Cookie::new(name, serde_json::to_string(value).unwrap_or_default());
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_secure(self.secure);
        cookie.set_path(path);
        cookie
    }

    /// The viewer of a request's cookie, while the session lasts.
    pub fn of(&self, jar: &PrivateCookieJar, now: i64) -> Option<Viewer> {
        let viewer: Viewer = serde_json::from_str(jar.get(COOKIE)?.value()).ok()?;
        (viewer.expires_at > now).then_some(viewer)
    }

    /// A public form's token: when it was served, signed. It stands in for
    /// a session's CSRF token on forms anyone may fill, and lets the form
    /// refuse what a machine fills faster than a person can.
    pub fn form_token(&self, now: i64) -> String {
        let mut bytes = now.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.form_mac(now).finalize().into_bytes()[..16]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A public form's token: signed by this web, younger than two hours,
    /// and (a machine's tell) older than two seconds.
    pub fn check_form_token(&self, token: &str, now: i64) -> Result<(), FormProblem> {
        match self.check_form_signature(token, now)? {
            age if age < FORM_MIN_AGE => Err(FormProblem::TooFast),
            _ => Ok(()),
        }
    }

    /// A form's token signed by this web and younger than two hours: its age.
    pub fn check_form_signature(&self, token: &str, now: i64) -> Result<i64, FormProblem> {
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| FormProblem::Forged)?;
        let (stamp, mac) = bytes.split_at_checked(8).ok_or(FormProblem::Forged)?;
        let issued = i64::from_be_bytes(stamp.try_into().map_err(|_| FormProblem::Forged)?);
        self.form_mac(issued).verify_truncated_left(mac).map_err(|_| FormProblem::Forged)?;
        match now - issued {
            age if age > FORM_MAX_AGE => Err(FormProblem::Stale),
            age => Ok(age),
        }
    }

    /// The MAC of a form served at `issued`, keyed and fed, to finish or to verify.
    fn form_mac(&self, issued: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.form_key).expect("HMAC takes a key of any length");
        mac.update(&issued.to_be_bytes());
        mac
    }
}

/// Why a public form's token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    Forged,
    TooFast,
    Stale,
}

/// The request's viewer, if signed in; handlers that need one redirect to
/// the sign-in page without.
pub struct MaybeViewer(pub Option<Viewer>, pub PrivateCookieJar);

impl FromRequestParts<State> for MaybeViewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let jar = PrivateCookieJar::from_headers(&parts.headers, state.sessions.key.clone());
        Ok(MaybeViewer(state.sessions.of(&jar, wall_now()), jar))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions() -> Sessions {
        let key = Key::generate();
        Sessions {
            form_key: key.signing().to_vec(),
            key,
            signer: None,
            portal_token: None,
            verifier: Authenticator::from_public_pem(
                include_str!("../../../deploy/local/dev-keys/public.pem"),
                "doithoai",
            )
            .unwrap(),
            ttl: Duration::from_secs(60),
            secure: false,
            root_unit: "33".into(),
        }
    }

    #[test]
    fn a_public_form_is_taken_between_two_seconds_and_two_hours_after_it_was_served() {
        let sessions = sessions();
        let token = sessions.form_token(1_000);
        assert_eq!(sessions.check_form_token(&token, 1_001), Err(FormProblem::TooFast));
        assert_eq!(sessions.check_form_token(&token, 1_010), Ok(()));
        assert_eq!(sessions.check_form_token(&token, 1_000 + FORM_MAX_AGE + 1), Err(FormProblem::Stale));
    }

    #[test]
    fn a_forged_or_altered_form_token_is_refused() {
        let sessions = sessions();
        let token = sessions.form_token(1_000);
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[7] ^= 1;
        assert_eq!(sessions.check_form_token(&URL_SAFE_NO_PAD.encode(bytes), 1_010), Err(FormProblem::Forged));
        assert_eq!(sessions.check_form_token("nonsense", 1_010), Err(FormProblem::Forged));
        let other = self::sessions().form_token(1_000);
        assert_eq!(sessions.check_form_token(&other, 1_010), Err(FormProblem::Forged));
    }
}
