//! Authentication: every token that fails verification is UNAUTHENTICATED with the reason,
//! never a 500; valid tokens from each kind of key material are accepted.

use api::auth::token::AuthConfig;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::{Value, json};
use tests::TestApp;

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");
const VIEWER: &str = "{ viewer { authenticated subject name roles committees } }";

fn key_file(name: &str) -> String {
    format!("{KEYS}/{name}")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(key_file(name)).unwrap()
}

/// An identity provider's configuration, read the way the server reads its environment.
fn provider(settings: &[(&str, String)]) -> AuthConfig {
    AuthConfig::from_env(true, |name| {
        settings
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .unwrap()
}

fn rsa_provider() -> AuthConfig {
    provider(&[
        ("AUTH_PUBLIC_KEY_FILE", key_file("rsa-public.pem")),
        ("AUTH_ALGORITHMS", "RS256".to_owned()),
        ("AUTH_ISSUER", "https://login.htk.dk".to_owned()),
        ("AUTH_AUDIENCE", "prioritering".to_owned()),
        ("AUTH_ROLES_CLAIM", "realm_access.roles".to_owned()),
    ])
}

fn claims(extra: Value) -> Value {
    let now = get_current_timestamp();
    let mut claims = json!({
        "sub": "k.hansen", "name": "Karen Hansen", "iss": "https://login.htk.dk", "aud": "prioritering",
        "iat": now, "nbf": now, "exp": now + 600,
        "realm_access": { "roles": ["coordinator", "offline_access"] },
        "committees": ["øu"],
    });
    for (key, value) in extra.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(key);
        } else {
            claims[key] = value.clone();
        }
    }
    claims
}

fn rs256(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::RS256),
        claims,
        &EncodingKey::from_rsa_pem(&read("rsa-private.pem")).unwrap(),
    )
    .unwrap()
}

fn b64(json: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
}

async fn refused(app: &TestApp, token: &str) -> String {
    let (status, body) = app.graphql_as(Some(token), VIEWER, json!({})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    body["errors"][0]["message"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_valid_rs256_token_maps_its_claims_to_the_viewer() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;
    let data = app
        .data_as(Some(&rs256(&claims(json!({})))), VIEWER, json!({}))
        .await;
    assert_eq!(
        data["viewer"],
        json!({ "authenticated": true, "subject": "k.hansen", "name": "Karen Hansen",
                "roles": ["COORDINATOR"], "committees": ["ØU"] })
    );
}

#[actix_web::test]
async fn no_token_is_anonymous() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;
    let data = app.data_as(None, VIEWER, json!({})).await;
    assert_eq!(data["viewer"]["authenticated"], false);
    assert_eq!(data["viewer"]["roles"], json!([]));
}

#[actix_web::test]
async fn every_bad_token_is_refused_with_its_reason() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;
    let now = get_current_timestamp();
    let valid = rs256(&claims(json!({})));
    let (head, rest) = valid.split_once('.').unwrap();
    let (body, _signature) = rest.split_once('.').unwrap();
    let shared_secret = encode(
        &Header::new(Algorithm::HS256),
        &claims(json!({})),
        &EncodingKey::from_secret(b"a secret the provider never configured"),
    )
    .unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "forged signature",
            format!("{head}.{body}.{}", b64(&json!("forged"))),
            "bad signature",
        ),
        (
            "tampered claims",
            format!(
                "{head}.{}.{_signature}",
                b64(&claims(json!({ "sub": "admin" })))
            ),
            "bad signature",
        ),
        (
            "expired",
            rs256(&claims(json!({ "exp": now - 3600 }))),
            "token expired",
        ),
        (
            "not yet valid",
            rs256(&claims(json!({ "nbf": now + 3600 }))),
            "token not yet valid",
        ),
        (
            "no expiry",
            rs256(&claims(json!({ "exp": null }))),
            "token has no expiry",
        ),
        (
            "no issuer",
            rs256(&claims(json!({ "iss": null }))),
            "wrong issuer",
        ),
        (
            "no audience",
            rs256(&claims(json!({ "aud": null }))),
            "wrong audience",
        ),
        (
            "wrong issuer",
            rs256(&claims(json!({ "iss": "https://evil.example" }))),
            "wrong issuer",
        ),
        (
            "wrong audience",
            rs256(&claims(json!({ "aud": "another-app" }))),
            "wrong audience",
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({ "alg": "none", "typ": "JWT" })),
                b64(&claims(json!({})))
            ),
            "malformed token",
        ),
        (
            "HMAC with a shared secret",
            shared_secret,
            "algorithm HS256 not allowed",
        ),
        (
            "malformed header",
            "abc.def.ghi".to_owned(),
            "malformed token",
        ),
        ("not a JWT", "hello".to_owned(), "malformed token"),
        (
            "oversized",
            format!("{head}.{}.{_signature}", "A".repeat(9000)),
            "token too large",
        ),
    ];
    for (case, token, reason) in cases {
        let message = refused(&app, &token).await;
        assert_eq!(message, format!("not authenticated: {reason}"), "{case}");
    }
}

#[actix_web::test]
async fn algorithm_confusion_with_the_public_key_as_hmac_secret_is_refused() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;
    // The classic attack: HS256 "signed" with the server's RSA public key as the secret.
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims(json!({})),
        &EncodingKey::from_secret(&read("rsa-public.pem")),
    )
    .unwrap();
    assert_eq!(
        refused(&app, &token).await,
        "not authenticated: algorithm HS256 not allowed"
    );
}

#[actix_web::test]
async fn a_non_bearer_authorization_is_refused() {
    let app = TestApp::spawn().await;
    let (status, body) = app.graphql_as(Some(""), VIEWER, json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[actix_web::test]
async fn jwks_keys_are_chosen_by_key_id_and_es256_works() {
    let jwks = provider(&[("AUTH_JWKS_FILE", key_file("jwks.json"))]);
    let app = TestApp::spawn_with(|config| config.auth = jwks).await;
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("ec-1".to_owned());
    let mut body = claims(json!({ "roles": ["hu_member"] }));
    body.as_object_mut().unwrap().remove("aud");
    let token = encode(
        &header,
        &body,
        &EncodingKey::from_ec_pem(&read("ec-private.pem")).unwrap(),
    )
    .unwrap();
    let data = app.data_as(Some(&token), VIEWER, json!({})).await;
    assert_eq!(data["viewer"]["roles"], json!(["HU_MEMBER"]));

    header.kid = Some("rsa-1".to_owned());
    let wrong_key = encode(
        &header,
        &body,
        &EncodingKey::from_ec_pem(&read("ec-private.pem")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        refused(&app, &wrong_key).await,
        "not authenticated: the key named does not fit the token's algorithm"
    );
    header.kid = Some("unknown".to_owned());
    let unknown = encode(
        &header,
        &body,
        &EncodingKey::from_ec_pem(&read("ec-private.pem")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        refused(&app, &unknown).await,
        "not authenticated: unknown key id"
    );
}

#[test]
fn production_refuses_to_start_without_key_material() {
    let none = AuthConfig::from_env(true, |_| None);
    assert!(none.is_err_and(|why| why.contains("production")));
    let development_secret = AuthConfig::from_env(true, |name| {
        (name == "AUTH_HS256_SECRET").then(|| api::auth::token::DEVELOPMENT_SECRET.to_owned())
    });
    assert!(development_secret.is_err());
    let hmac_with_rsa = AuthConfig::from_env(true, |name| match name {
        "AUTH_PUBLIC_KEY_FILE" => Some(key_file("rsa-public.pem")),
        "AUTH_ALGORITHMS" => Some("RS256,HS256".to_owned()),
        _ => None,
    });
    assert!(hmac_with_rsa.is_err_and(|why| why.contains("HMAC")));
    assert!(AuthConfig::from_env(false, |_| None).is_ok_and(|config| config.is_development()));
}

#[actix_web::test]
async fn another_authorization_scheme_is_refused() {
    let app = TestApp::spawn().await;
    let (status, body) = app.graphql_with_header("Basic dXNlcjpwYXNz", VIEWER).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[actix_web::test]
async fn a_single_pem_key_accepts_a_token_that_names_a_key_id() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("provider-key-2026".to_owned());
    let token = encode(
        &header,
        &claims(json!({})),
        &EncodingKey::from_rsa_pem(&read("rsa-private.pem")).unwrap(),
    )
    .unwrap();
    let data = app.data_as(Some(&token), VIEWER, json!({})).await;
    assert_eq!(data["viewer"]["subject"], "k.hansen");
}
