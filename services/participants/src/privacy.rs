//! Personal data is kept to the minimum: an identity number is never stored,
//! only a keyed hash (HMAC-SHA-256) that finds a second registration of the
//! same person without revealing the number.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::Sha256;

/// The service's own settings, section `privacy`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PrivacySettings {
    /// Key of the keyed hash under which identity numbers are kept (never the numbers).
    pub identity_key: Option<SecretString>,
}

#[derive(Clone)]
pub struct IdentityKey(SecretString);

impl IdentityKey {
    /// The key the settings name: required, and long enough to be a secret.
    pub fn from_settings(settings: PrivacySettings) -> anyhow::Result<Self> {
        match settings.identity_key {
            Some(key) if key.expose_secret().len() >= 16 => Ok(Self(key)),
            Some(_) => anyhow::bail!("invalid setting `privacy.identity_key`: must be at least 16 characters"),
            None => anyhow::bail!("invalid setting `privacy.identity_key`: required by this service (a random secret)"),
        }
    }

    /// The key of a person: their identity number when given, otherwise their
    /// name, unit and phone, normalised.
    pub fn person(&self, national_id: Option<&str>, name: &str, unit_code: &str, phone: Option<&str>) -> Vec<u8> {
        match national_id {
            Some(id) => self.hash(&["id", id]),
            None => self.hash(&["name", &normalise(name), unit_code, phone.unwrap_or("")]),
        }
    }

    pub fn collective(&self, organization: &str, unit_code: &str) -> Vec<u8> {
        self.hash(&["collective", &normalise(organization), unit_code])
    }

    fn hash(&self, parts: &[&str]) -> Vec<u8> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.0.expose_secret().as_bytes()).expect("HMAC takes keys of any length");
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        mac.finalize().into_bytes().to_vec()
    }
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> IdentityKey {
        IdentityKey("a test key of enough length".to_owned().into())
    }

    #[test]
    fn the_same_person_has_the_same_key_and_the_number_is_not_in_it() {
        let a = key().person(Some("034123456789"), "Nguyễn Văn A", "11950", None);
        let b = key().person(Some("034123456789"), "Nguyen Van A", "11953", Some("0912345678"));
        assert_eq!(a, b);
        assert!(!String::from_utf8_lossy(&a).contains("034123456789"));
    }

    #[test]
    fn without_a_number_name_unit_and_phone_decide() {
        let a = key().person(None, "Nguyễn  Văn A", "11950", Some("0912345678"));
        assert_eq!(a, key().person(None, "nguyễn văn a", "11950", Some("0912345678")));
        assert_ne!(a, key().person(None, "Nguyễn Văn A", "11953", Some("0912345678")));
    }

    #[test]
    fn the_identity_key_is_required_and_long() {
        let with = |key: &str| PrivacySettings { identity_key: Some(key.to_owned().into()) };
        assert!(IdentityKey::from_settings(PrivacySettings::default()).is_err());
        let short = IdentityKey::from_settings(with("short")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(short.contains("privacy.identity_key"), "{short}");
        assert!(IdentityKey::from_settings(with("sixteen chars ok")).is_ok());
    }

    #[test]
    fn another_key_gives_another_hash() {
        let other = IdentityKey("another key, also long enough".to_owned().into());
        assert_ne!(key().person(Some("034123456789"), "", "", None), other.person(Some("034123456789"), "", "", None));
    }
}
