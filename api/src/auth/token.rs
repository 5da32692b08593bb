//! Tokens from the municipality's identity provider: verification is configured, never
//! guessed from the token. The algorithm list is pinned, HMAC is never accepted with public
//! keys (no algorithm confusion), `alg: none` cannot parse, `exp` is required and `nbf`,
//! `iss` and `aud` are checked with a small leeway.

use std::collections::BTreeMap;
use std::str::FromStr;

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyOperations, PublicKeyUse};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
    errors::ErrorKind,
};
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

use crate::auth::{Role, Viewer};
use crate::domain::model::normalize_committee_code;

/// The secret of the embedded development default. Public on purpose: never used in
/// production configuration.
pub const DEVELOPMENT_SECRET: &str = "prioritering-development-secret-never-use-in-production";

/// Larger tokens are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The longest `sub` accepted: what the database records. A longer one is refused, not cut,
/// so two long subjects that share their first 200 characters cannot become one person.
pub const MAX_SUBJECT_CHARS: usize = 200;

/// Verification keys.
#[derive(Clone)]
pub enum Keys {
    /// A shared HS256 secret.
    Secret {
        /// The secret.
        secret: Vec<u8>,
        /// Whether it is the built-in development secret.
        development: bool,
    },
    /// The identity provider's public keys (PEM or JWKS).
    Public(Vec<PublicKey>),
}

/// One public key.
#[derive(Clone)]
pub struct PublicKey {
    /// Key id (`kid`), from a JWKS.
    pub id: Option<String>,
    /// The key.
    pub key: DecodingKey,
}

/// How tokens are verified and read.
#[derive(Clone)]
pub struct AuthConfig {
    /// Key material.
    pub keys: Keys,
    /// Accepted algorithms.
    pub algorithms: Vec<Algorithm>,
    /// Required issuer (`iss`), when set.
    pub issuer: Option<String>,
    /// Required audience (`aud`), when set.
    pub audience: Option<String>,
    /// Claim holding the roles; a dotted path such as `realm_access.roles`.
    pub roles_claim: String,
    /// Which values of the roles claim grant which role.
    pub role_names: RoleNames,
    /// Claim holding the committee codes of a coordinator.
    pub committees_claim: String,
    /// Claim holding the display name.
    pub name_claim: String,
    /// Leeway for `exp` and `nbf`, seconds.
    pub leeway_seconds: u64,
}

impl AuthConfig {
    /// The embedded development default: HS256 with [`DEVELOPMENT_SECRET`].
    pub fn development() -> Self {
        Self {
            keys: Keys::Secret {
                secret: DEVELOPMENT_SECRET.as_bytes().to_vec(),
                development: true,
            },
            algorithms: vec![Algorithm::HS256],
            issuer: None,
            audience: None,
            roles_claim: "roles".to_owned(),
            role_names: RoleNames::default(),
            committees_claim: "committees".to_owned(),
            name_claim: "name".to_owned(),
            leeway_seconds: 30,
        }
    }

    /// Whether the development secret is in use.
    pub fn is_development(&self) -> bool {
        matches!(
            self.keys,
            Keys::Secret {
                development: true,
                ..
            }
        )
    }

    /// Reads the configuration from `AUTH_*` variables (see the README). In production,
    /// key material, `AUTH_ISSUER` and `AUTH_AUDIENCE` must be configured: the development
    /// secret is never used there, and without an audience a token the same identity
    /// provider issued for another application (a payroll app's admin) would be accepted.
    pub fn from_env(
        production: bool,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let mut config = Self::development();
        let secret = var("AUTH_HS256_SECRET");
        let pem = var("AUTH_PUBLIC_KEY_FILE");
        let jwks = var("AUTH_JWKS_FILE");
        let algorithms = var("AUTH_ALGORITHMS")
            .map(|list| {
                list.split(',')
                    .map(|name| {
                        Algorithm::from_str(name.trim())
                            .map_err(|_| format!("AUTH_ALGORITHMS: unknown algorithm {name:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        match (secret, pem, jwks) {
            (None, None, None) if production => {
                return Err("production configuration needs AUTH_JWKS_FILE, \
                            AUTH_PUBLIC_KEY_FILE or AUTH_HS256_SECRET"
                    .to_owned());
            }
            (None, None, None) => {}
            (Some(secret), None, None) => {
                if secret.len() < 32 {
                    return Err("AUTH_HS256_SECRET must be at least 32 bytes".to_owned());
                }
                if secret == DEVELOPMENT_SECRET && production {
                    return Err("the development secret is not allowed in production".to_owned());
                }
                config.keys = Keys::Secret {
                    secret: secret.into_bytes(),
                    development: false,
                };
            }
            (None, Some(path), None) => {
                let pem = std::fs::read(&path)
                    .map_err(|error| format!("AUTH_PUBLIC_KEY_FILE {path}: {error}"))?;
                let algorithm = algorithms
                    .as_ref()
                    .and_then(|list| list.first().copied())
                    .unwrap_or(Algorithm::RS256);
                let key = match algorithm {
                    Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(&pem),
                    Algorithm::EdDSA => DecodingKey::from_ed_pem(&pem),
                    _ => DecodingKey::from_rsa_pem(&pem),
                }
                .map_err(|error| format!("AUTH_PUBLIC_KEY_FILE {path}: {error}"))?;
                config.keys = Keys::Public(vec![PublicKey { id: None, key }]);
                config.algorithms = vec![algorithm];
            }
            (None, None, Some(path)) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|error| format!("AUTH_JWKS_FILE {path}: {error}"))?;
                let set: JwkSet = serde_json::from_str(&text)
                    .map_err(|error| format!("AUTH_JWKS_FILE {path}: {error}"))?;
                let mut keys = Vec::new();
                let mut found_algorithms = Vec::new();
                for jwk in set.keys.iter().filter(|jwk| verifies_signatures(jwk)) {
                    let key = DecodingKey::from_jwk(jwk)
                        .map_err(|error| format!("AUTH_JWKS_FILE {path}: {error}"))?;
                    if let Some(algorithm) = jwk
                        .common
                        .key_algorithm
                        .and_then(|a| Algorithm::from_str(&format!("{a:?}")).ok())
                    {
                        found_algorithms.push(algorithm);
                    }
                    keys.push(PublicKey {
                        id: jwk.common.key_id.clone(),
                        key,
                    });
                }
                if keys.is_empty() {
                    return Err(format!(
                        "AUTH_JWKS_FILE {path} holds no signature keys (\"use\": \"sig\")"
                    ));
                }
                found_algorithms.dedup();
                config.keys = Keys::Public(keys);
                config.algorithms = if found_algorithms.is_empty() {
                    vec![Algorithm::RS256, Algorithm::ES256]
                } else {
                    found_algorithms
                };
            }
            _ => {
                return Err("configure one of AUTH_JWKS_FILE, AUTH_PUBLIC_KEY_FILE and \
                            AUTH_HS256_SECRET, not several"
                    .to_owned());
            }
        }
        if let Some(algorithms) = algorithms {
            config.algorithms = algorithms;
        }
        config.check_algorithms()?;
        config.issuer = var("AUTH_ISSUER");
        config.audience = var("AUTH_AUDIENCE");
        let required = [
            (
                "AUTH_ISSUER",
                &config.issuer,
                "the `iss` of the identity provider's tokens",
            ),
            (
                "AUTH_AUDIENCE",
                &config.audience,
                "the `aud` of its tokens for this API; without it, its tokens for any other \
                 application are accepted",
            ),
        ];
        for (name, value, meaning) in required {
            if production && value.is_none() {
                return Err(format!("production configuration needs {name}: {meaning}"));
            }
        }
        if let Some(claim) = var("AUTH_ROLES_CLAIM") {
            config.roles_claim = claim;
        }
        if let Some(map) = var("AUTH_ROLE_MAP") {
            config.role_names = RoleNames::parse(&map)?;
        }
        if let Some(claim) = var("AUTH_COMMITTEES_CLAIM") {
            config.committees_claim = claim;
        }
        if let Some(claim) = var("AUTH_NAME_CLAIM") {
            config.name_claim = claim;
        }
        if let Some(leeway) = var("AUTH_LEEWAY_SECONDS") {
            config.leeway_seconds = leeway
                .parse()
                .map_err(|_| "AUTH_LEEWAY_SECONDS must be a whole number".to_owned())?;
        }
        Ok(config)
    }

    /// Refuses algorithm lists that do not fit the keys: HMAC with public keys is exactly
    /// the confusion attack (a token signed with the public key as an HMAC secret).
    pub fn check_algorithms(&self) -> Result<(), String> {
        if self.algorithms.is_empty() {
            return Err("no algorithm configured".to_owned());
        }
        let hmac =
            |a: &Algorithm| matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512);
        match &self.keys {
            Keys::Secret { .. } if !self.algorithms.iter().all(hmac) => {
                Err("a shared secret only verifies HS256/HS384/HS512".to_owned())
            }
            Keys::Public(_) if self.algorithms.iter().any(hmac) => {
                Err("HMAC algorithms are not accepted with public keys".to_owned())
            }
            _ => Ok(()),
        }
    }

    /// Verifies a bearer token and reads the caller from it. The error says why, briefly.
    pub fn verify(&self, token: &str) -> Result<Viewer, String> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err("token too large".to_owned());
        }
        let header = decode_header(token).map_err(|_| "malformed token".to_owned())?;
        // `crit` names extensions the verifier must understand (RFC 7515 §4.1.11): this one
        // understands none, so any token that has the header is refused, as the RFC asks.
        if header.crit.is_some() {
            return Err("critical header extensions are not supported".to_owned());
        }
        if !self.algorithms.contains(&header.alg) {
            return Err(format!("algorithm {:?} not allowed", header.alg));
        }
        let key = match &self.keys {
            Keys::Secret { secret, .. } => DecodingKey::from_secret(secret),
            Keys::Public(keys) => match (&header.kid, keys.as_slice()) {
                // One configured key without an id (a PEM file): whatever kid the token names.
                (_, [only]) if only.id.is_none() => only.key.clone(),
                (Some(kid), _) => keys
                    .iter()
                    .find(|key| key.id.as_deref() == Some(kid))
                    .map(|key| key.key.clone())
                    .ok_or_else(|| "unknown key id".to_owned())?,
                (None, [only]) => only.key.clone(),
                (None, _) => return Err("token names no key id".to_owned()),
            },
        };
        if key.family() != header.alg.family() {
            return Err("the key named does not fit the token's algorithm".to_owned());
        }
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.leeway = self.leeway_seconds;
        validation.validate_nbf = true;
        // A configured issuer or audience is required, not only checked when present.
        let mut required = vec!["exp"];
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        let claims = decode::<Value>(token, &key, &validation)
            .map_err(|error| describe(error.kind()))?
            .claims;
        let subject = claims.get("sub").and_then(Value::as_str);
        if subject.is_some_and(|sub| sub.chars().count() > MAX_SUBJECT_CHARS) {
            return Err(format!(
                "subject longer than {MAX_SUBJECT_CHARS} characters"
            ));
        }
        Ok(self.viewer(&claims))
    }

    fn viewer(&self, claims: &Value) -> Viewer {
        let mut roles = Vec::new();
        for role in strings(claim(claims, &self.roles_claim))
            .iter()
            .filter_map(|name| self.role_names.role(name))
        {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        // Exactly as the token names them, after NFC: no trimming, no case mapping (which
        // would make `ſu` the committee `SU`).
        let committees = strings(claim(claims, &self.committees_claim))
            .iter()
            .map(|code| nfc(code))
            .collect();
        // A display name is kept to what the database records; it identifies no one.
        let short = |text: &str| text.chars().take(MAX_SUBJECT_CHARS).collect::<String>();
        Viewer {
            subject: claims.get("sub").and_then(Value::as_str).map(str::to_owned),
            name: claim(claims, &self.name_claim)
                .and_then(Value::as_str)
                .map(short),
            roles,
            committees,
            expires_at: claims.get("exp").and_then(|exp| {
                exp.as_i64()
                    .or_else(|| exp.as_f64().map(|exp| exp.floor() as i64))
            }),
        }
    }

    /// Signs a token with the shared secret (the development `token` command).
    pub fn sign(
        &self,
        subject: &str,
        name: &str,
        roles: &[Role],
        committees: &[String],
        valid_seconds: u64,
    ) -> Result<String, String> {
        let Keys::Secret { secret, .. } = &self.keys else {
            return Err("tokens can only be issued with a shared secret; \
                        ask the identity provider for one"
                .to_owned());
        };
        let now = jsonwebtoken::get_current_timestamp();
        let mut claims = json!({
            "sub": subject,
            "name": name,
            "iat": now,
            "nbf": now,
            "exp": now + valid_seconds,
            "roles": roles.iter().map(|role| role.as_str()).collect::<Vec<_>>(),
            "committees": committees.iter().map(|c| normalize_committee_code(c)).collect::<Vec<_>>(),
        });
        if let (Some(issuer), Some(object)) = (&self.issuer, claims.as_object_mut()) {
            object.insert("iss".to_owned(), json!(issuer));
        }
        if let (Some(audience), Some(object)) = (&self.audience, claims.as_object_mut()) {
            object.insert("aud".to_owned(), json!(audience));
        }
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret),
        )
        .map_err(|error| format!("cannot sign: {error}"))
    }
}

/// A claim by dotted path (`realm_access.roles`).
fn claim<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(claims, |value, part| value.get(part))
}

/// A claim's strings: each string of a JSON array, or one string as ONE value. A string is
/// never split into words: `"Skole admin"` is a group of that name, not the role `admin`.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(text)) => vec![text.clone()],
        _ => Vec::new(),
    }
}

/// Text in Unicode normal form C, so `Å` typed as `A` + ring matches `Å` typed as one
/// character, and nothing else changes.
fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// Whether a JWKS key may verify signatures: a key published for encryption (`use: enc`,
/// or `key_ops` without `verify`) is not, even when it is a key of the right type.
fn verifies_signatures(jwk: &Jwk) -> bool {
    let usable = match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => true,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_)) => false,
    };
    let operations = jwk
        .common
        .key_operations
        .as_ref()
        .is_none_or(|ops| ops.contains(&KeyOperations::Verify));
    usable && operations
}

/// Which values of the roles claim grant which role: the built-in names (`reader`,
/// `coordinator`, `hu_member`, `admin`, `integration`) exactly, and the identity provider's
/// own group names as `AUTH_ROLE_MAP` maps them. Nothing else grants anything: no case
/// folding, no aliases, no words picked out of a longer name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleNames {
    /// Group name (NFC) → role.
    mapped: BTreeMap<String, Role>,
}

impl RoleNames {
    /// Reads `AUTH_ROLE_MAP`: comma-separated `role:group` pairs, e.g.
    /// `admin:Budgetkontoret,hu_member:HovedMED`. The role is a built-in name; the group is
    /// everything after the first colon (spaces inside it kept, around it trimmed), so it
    /// may hold spaces and colons but no comma. A role may be given several groups; a
    /// group maps to one role, and a built-in name cannot be remapped.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut mapped = BTreeMap::new();
        for entry in text.split(',') {
            let entry = entry.trim();
            let fail = |why: String| Err(format!("AUTH_ROLE_MAP: {why}"));
            if entry.is_empty() {
                return fail("an empty entry (a comma too many?)".to_owned());
            }
            let Some((role, group)) = entry.split_once(':') else {
                return fail(format!("{entry:?} is not role:group"));
            };
            let Some(role) = Role::parse(role.trim()) else {
                return fail(format!(
                    "{entry:?}: unknown role {:?} (one of {})",
                    role.trim(),
                    Role::ALL.map(Role::as_str).join(", ")
                ));
            };
            let group = nfc(group.trim());
            if group.is_empty() {
                return fail(format!("{entry:?} names no group after the colon"));
            }
            if Role::parse(&group).is_some() {
                return fail(format!(
                    "{group:?} is a built-in role name and cannot be mapped"
                ));
            }
            if mapped.insert(group.clone(), role).is_some() {
                return fail(format!("{group:?} is mapped more than once"));
            }
        }
        Ok(Self { mapped })
    }

    /// The role a claim value grants, if any.
    pub fn role(&self, value: &str) -> Option<Role> {
        Role::parse(value).or_else(|| self.mapped.get(&nfc(value)).copied())
    }
}

fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::ImmatureSignature => "token not yet valid",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => "algorithm not allowed",
        ErrorKind::MissingRequiredClaim(claim) if claim == "exp" => "token has no expiry",
        ErrorKind::MissingRequiredClaim(claim) if claim == "iss" => "wrong issuer",
        ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => "wrong audience",
        ErrorKind::MissingRequiredClaim(_) => "token misses a required claim",
        _ => "malformed token",
    }
    .to_owned()
}

#[cfg(test)]
mod expiry_tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A development token with `exp` exactly as given.
    fn signed_with_exp(exp: Value) -> String {
        let claims = json!({ "sub": "float.exp", "roles": ["admin"], "exp": exp });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(DEVELOPMENT_SECRET.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn an_exp_sent_as_a_float_is_read_as_the_whole_second_before_it() {
        let exp = jsonwebtoken::get_current_timestamp() + 600;
        let verified = AuthConfig::development().verify(&signed_with_exp(json!(exp as f64 + 0.5)));
        // Read as a whole second, never later: the socket and subscriptions end on time.
        assert_eq!(verified.unwrap().expires_at, Some(exp as i64));
    }

    #[test]
    fn a_float_exp_in_the_past_is_refused_like_an_integer_one() {
        let past = jsonwebtoken::get_current_timestamp() as f64 - 3600.5;
        let refused = AuthConfig::development().verify(&signed_with_exp(json!(past)));
        assert_eq!(refused, Err("token expired".to_owned()));
    }
}
