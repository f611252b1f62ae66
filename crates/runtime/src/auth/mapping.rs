//! How an identity provider's claims name a doithoai caller. Providers differ
//! (a `groups` claim here, `roles` there, a unit under a province's own
//! claim name), so the mapping is configured (`auth.oidc.claims`), never
//! coded: the services read it for access tokens, the web for ID tokens.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::Role;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ClaimMapping {
    /// The claim that names the caller (the audit log's subject).
    pub subject: String,
    /// The claim holding the caller's unit code.
    pub unit: String,
    /// The claim listing the caller's roles: an array of strings, or one
    /// string of space-separated values.
    pub roles: String,
    /// The claim naming the agency (directory id) an AGENCY caller acts for.
    pub organization: String,
    /// The provider's values and the roles they give (`"noi-chinh" =
    /// "MONITOR"`). Empty: the values are doithoai's role names. A value
    /// named nowhere gives no role: a provider's groups serve other systems too.
    pub role_values: BTreeMap<String, Role>,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            subject: "sub".into(),
            unit: "unit".into(),
            roles: "roles".into(),
            organization: "org".into(),
            role_values: BTreeMap::new(),
        }
    }
}

/// A caller as a provider's claims name it, before its unit is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedClaims {
    pub subject: String,
    pub unit: String,
    pub roles: Vec<Role>,
    pub organization: Option<String>,
}

impl ClaimMapping {
    /// The caller the claims name; the error names the missing claim.
    pub fn map(&self, claims: &Map<String, Value>) -> Result<MappedClaims, String> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let subject = text(&self.subject).ok_or_else(|| format!("the claim `{}` is missing", self.subject))?;
        let unit = text(&self.unit).ok_or_else(|| format!("the claim `{}` is missing", self.unit))?;
        let values: Vec<&str> = match claims.get(&self.roles) {
            Some(Value::Array(values)) => values.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(values)) => values.split_whitespace().collect(),
            _ => Vec::new(),
        };
        let mut roles = Vec::new();
        for value in values {
            let role =
                if self.role_values.is_empty() { Role::parse(value) } else { self.role_values.get(value).copied() };
            if let Some(role) = role
                && !roles.contains(&role)
            {
                roles.push(role);
            }
        }
        let organization = text(&self.organization).filter(|o| !o.is_empty());
        Ok(MappedClaims { subject, unit, roles, organization })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn doithoai_claim_names_map_by_default() {
        let mapped = ClaimMapping::default()
            .map(&claims(json!({"sub": "kiemtra-33", "unit": "33", "roles": ["MONITOR", "unknown"]})))
            .unwrap();
        assert_eq!(
            mapped,
            MappedClaims {
                subject: "kiemtra-33".into(),
                unit: "33".into(),
                roles: vec![Role::Monitor],
                organization: None
            }
        );
    }

    #[test]
    fn a_provider_s_own_claim_names_and_group_values_map_as_configured() {
        let mapping = ClaimMapping {
            subject: "preferred_username".into(),
            unit: "province_unit".into(),
            roles: "groups".into(),
            organization: "agency".into(),
            role_values: [("co-quan".to_owned(), Role::Agency), ("lanh-dao".to_owned(), Role::Host)].into(),
        };
        let mapped = mapping
            .map(&claims(json!({
                "sub": "8f2c", "preferred_username": "tnmt-323", "province_unit": "323",
                "groups": "co-quan other-app AGENCY", "agency": "org-1"
            })))
            .unwrap();
        assert_eq!((mapped.subject.as_str(), mapped.unit.as_str()), ("tnmt-323", "323"));
        assert_eq!(mapped.roles, [Role::Agency], "only the configured values give roles");
        assert_eq!(mapped.organization.as_deref(), Some("org-1"));
    }

    #[test]
    fn a_missing_unit_claim_is_named() {
        let error = ClaimMapping::default().map(&claims(json!({"sub": "x", "roles": ["HOST"]}))).unwrap_err();
        assert!(error.contains("`unit`"), "{error}");
    }
}
