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
        "committees": ["ØU"],
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
    let jwks = provider(&[
        ("AUTH_JWKS_FILE", key_file("jwks.json")),
        ("AUTH_ISSUER", "https://login.htk.dk".to_owned()),
        ("AUTH_AUDIENCE", "prioritering".to_owned()),
    ]);
    let app = TestApp::spawn_with(|config| config.auth = jwks).await;
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("ec-1".to_owned());
    let body = claims(json!({ "roles": ["hu_member"] }));
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
    let none = AuthConfig::from_env(true, |name| match name {
        "AUTH_ISSUER" => Some("https://login.htk.dk".to_owned()),
        "AUTH_AUDIENCE" => Some("prioritering".to_owned()),
        _ => None,
    });
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

// ---------------------------------------------------------------------------------------
// Claims: a string is one value; roles and committees match exactly.

/// The RSA provider, with `AUTH_ROLE_MAP` set to `map`.
fn rsa_provider_mapping(map: &str) -> AuthConfig {
    provider(&[
        ("AUTH_PUBLIC_KEY_FILE", key_file("rsa-public.pem")),
        ("AUTH_ALGORITHMS", "RS256".to_owned()),
        ("AUTH_ISSUER", "https://login.htk.dk".to_owned()),
        ("AUTH_AUDIENCE", "prioritering".to_owned()),
        ("AUTH_ROLES_CLAIM", "realm_access.roles".to_owned()),
        ("AUTH_ROLE_MAP", map.to_owned()),
    ])
}

/// The viewer a token with the roles claim `roles` becomes.
async fn viewer_with_roles(app: &TestApp, roles: Value) -> Value {
    let token = rs256(&claims(json!({ "realm_access": { "roles": roles } })));
    app.data_as(Some(&token), VIEWER, json!({})).await["viewer"].clone()
}

#[actix_web::test]
async fn a_roles_string_is_one_value_not_a_list_of_words() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;

    let viewer = viewer_with_roles(&app, json!("Skole admin")).await;

    assert_eq!(viewer["roles"], json!([]), "\"Skole admin\" is not admin");
    assert_eq!(
        viewer_with_roles(&app, json!("admin")).await["roles"],
        json!(["ADMIN"])
    );
}

#[actix_web::test]
async fn roles_come_only_from_the_exact_built_in_names() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;

    let loose = json!([
        "Admin",
        "ADMIN",
        " admin",
        "budget_office",
        "budgetafdeling",
        "hu",
        "hovedmed",
        "HU-member",
        "politiker",
        "budgetkoordinator"
    ]);
    let viewer = viewer_with_roles(&app, loose).await;

    assert_eq!(viewer["roles"], json!([]));
    let exact = json!(["reader", "coordinator", "hu_member", "admin", "integration"]);
    assert_eq!(
        viewer_with_roles(&app, exact).await["roles"],
        json!(["READER", "COORDINATOR", "HU_MEMBER", "ADMIN", "INTEGRATION"])
    );
}

#[actix_web::test]
async fn the_role_map_grants_roles_for_the_identity_providers_exact_group_names() {
    let map = "admin:Budgetkontoret, hu_member:HovedMED,hu_member:Skole MED: HU";
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider_mapping(map)).await;

    let mapped = viewer_with_roles(&app, json!(["Budgetkontoret", "Skole MED: HU"])).await;
    let near_misses = viewer_with_roles(
        &app,
        json!(["budgetkontoret", "Budgetkontoret ", "HovedMED-ØU"]),
    )
    .await;

    assert_eq!(mapped["roles"], json!(["ADMIN", "HU_MEMBER"]));
    assert_eq!(near_misses["roles"], json!([]));
    assert_eq!(
        viewer_with_roles(&app, json!(["admin", "Budgetkontoret"])).await["roles"],
        json!(["ADMIN"]),
        "a role granted twice is listed once"
    );
}

#[test]
fn a_bad_role_map_stops_the_start_with_the_reason() {
    let start = |map: &str| {
        AuthConfig::from_env(true, |name| match name {
            "AUTH_PUBLIC_KEY_FILE" => Some(key_file("rsa-public.pem")),
            "AUTH_ISSUER" => Some("https://login.htk.dk".to_owned()),
            "AUTH_AUDIENCE" => Some("prioritering".to_owned()),
            "AUTH_ROLE_MAP" => Some(map.to_owned()),
            _ => None,
        })
        .err()
        .unwrap_or_default()
    };

    let cases = [
        ("boss:Budgetkontoret", "unknown role \"boss\""),
        ("Admin:Budgetkontoret", "unknown role \"Admin\""),
        ("Budgetkontoret", "is not role:group"),
        ("admin:", "names no group"),
        ("admin:Budgetkontoret,", "an empty entry"),
        ("admin:reader", "built-in role name"),
        (
            "admin:Budgetkontoret,reader:Budgetkontoret",
            "mapped more than once",
        ),
    ];

    for (map, reason) in cases {
        let error = start(map);
        assert!(error.starts_with("AUTH_ROLE_MAP: "), "{map}: {error:?}");
        assert!(error.contains(reason), "{map}: {error:?}");
    }
}

/// A draft of `committee` in Budget 2023-2026, and the query that finds it by id.
async fn draft_of(app: &TestApp, committee: &str) -> (String, &'static str) {
    let draft = crate::fixtures::insert(
        app,
        &crate::fixtures::sheet(
            committee,
            "Kladde",
            "draft",
            json!({ "efficiency": "-1000" }),
            json!({}),
        ),
    )
    .await;
    let id = api::graphql::ids::encode(api::graphql::ids::Kind::Proposal, draft.id).to_string();
    (id, "query($id: ID!) { proposal(id: $id) { number } }")
}

/// The viewer and whether it sees the draft `id`, for a coordinator token with `committees`.
async fn coordinator_with(app: &TestApp, committees: Value, id: &str, find: &str) -> (Value, bool) {
    let token = rs256(&claims(json!({ "committees": committees })));
    let viewer = app.data_as(Some(&token), VIEWER, json!({})).await["viewer"].clone();
    let (_, body) = app
        .graphql_as(Some(&token), find, json!({ "id": id }))
        .await;
    let sees = body["data"]["proposal"].is_object();
    if !sees {
        // A hidden draft looks exactly like a missing proposal.
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{body}"
        );
    }
    (viewer, sees)
}

#[actix_web::test]
async fn a_committees_string_is_one_code_not_a_list_of_words() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;
    let (draft, find) = draft_of(&app, "ÆSU").await;

    let (viewer, sees) = coordinator_with(&app, json!("SU ØU - ikke ÆSU"), &draft, find).await;

    assert_eq!(viewer["committees"], json!(["SU ØU - ikke ÆSU"]));
    assert!(
        !sees,
        "the string does not make its holder a coordinator of ÆSU"
    );
    assert!(coordinator_with(&app, json!("ÆSU"), &draft, find).await.1);
}

#[actix_web::test]
async fn committee_codes_match_exactly_after_nfc_with_no_case_folding() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;
    let (su_draft, find) = draft_of(&app, "SU").await;

    let (long_s, long_s_sees) = coordinator_with(&app, json!(["ſu"]), &su_draft, find).await;
    let (_, lower_sees) = coordinator_with(&app, json!(["su"]), &su_draft, find).await;
    let (exact, exact_sees) = coordinator_with(&app, json!(["SU"]), &su_draft, find).await;
    let (decomposed, _) = coordinator_with(&app, json!(["A\u{30A}U"]), &su_draft, find).await;

    assert_eq!(long_s["committees"], json!(["ſu"]));
    assert!(!long_s_sees, "ſu is not SU");
    assert!(!lower_sees, "the claim is compared exactly: su is not SU");
    assert_eq!(exact["committees"], json!(["SU"]));
    assert!(exact_sees);
    assert_eq!(
        decomposed["committees"],
        json!(["\u{C5}U"]),
        "NFC: Å as one character"
    );
}

#[actix_web::test]
async fn a_committee_filter_takes_any_case_but_not_folded_letters() {
    let app = TestApp::spawn().await;
    let find = r#"query($code: String!) { committee(code: $code) { code } }"#;

    let lower = app.data(find, json!({ "code": "su" })).await;
    let long_s = app.error(find, json!({ "code": "ſu" })).await;

    assert_eq!(lower["committee"]["code"], "SU");
    assert_eq!(
        long_s["extensions"]["code"], "NOT_FOUND",
        "ſu is not SU in a filter either"
    );
}

// ---------------------------------------------------------------------------------------
// Production needs an issuer and an audience.

#[test]
fn production_refuses_to_start_without_issuer_or_audience() {
    let start = |issuer: Option<&str>, audience: Option<&str>| {
        AuthConfig::from_env(true, |name| match name {
            "AUTH_PUBLIC_KEY_FILE" => Some(key_file("rsa-public.pem")),
            "AUTH_ISSUER" => issuer.map(str::to_owned),
            "AUTH_AUDIENCE" => audience.map(str::to_owned),
            _ => None,
        })
    };

    let no_issuer = start(None, Some("prioritering"));
    let no_audience = start(Some("https://login.htk.dk"), None);
    let both = start(Some("https://login.htk.dk"), Some("prioritering"));

    assert!(
        no_issuer
            .as_ref()
            .is_err_and(|why| why.contains("AUTH_ISSUER")),
        "{:?}",
        no_issuer.err()
    );
    assert!(
        no_audience
            .as_ref()
            .is_err_and(|why| why.contains("AUTH_AUDIENCE")),
        "{:?}",
        no_audience.err()
    );
    assert!(both.is_ok());
    assert!(
        AuthConfig::from_env(false, |name| {
            (name == "AUTH_PUBLIC_KEY_FILE").then(|| key_file("rsa-public.pem"))
        })
        .is_ok(),
        "outside production both stay optional"
    );
}

#[actix_web::test]
async fn a_token_for_another_application_is_refused() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;
    let payroll_admin = rs256(&claims(json!({
        "aud": "payroll-app", "realm_access": { "roles": ["admin"] }
    })));

    let message = refused(&app, &payroll_admin).await;

    assert_eq!(message, "not authenticated: wrong audience");
}

// ---------------------------------------------------------------------------------------
// Smaller: long subjects, encryption keys, critical headers.

#[actix_web::test]
async fn a_subject_longer_than_200_characters_is_refused_not_cut() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;
    let first = format!("{}-first", "x".repeat(200));
    let second = format!("{}-second", "x".repeat(200));
    let longest = "ø".repeat(200);

    let first_message = refused(&app, &rs256(&claims(json!({ "sub": first })))).await;
    let second_message = refused(&app, &rs256(&claims(json!({ "sub": second })))).await;
    let accepted = app
        .data_as(
            Some(&rs256(&claims(json!({ "sub": longest })))),
            VIEWER,
            json!({}),
        )
        .await;

    assert_eq!(
        first_message,
        "not authenticated: subject longer than 200 characters"
    );
    assert_eq!(first_message, second_message);
    assert_eq!(
        accepted["viewer"]["subject"], longest,
        "200 characters are fine"
    );
}

/// A JWKS file in `dir` with the ES256 key `ec-1` and the RSA key as `enc-1`, marked for
/// encryption by `use: enc` or, with `key_ops`, by operations that do not include `verify`.
fn jwks_with_an_encryption_key(dir: &std::path::Path, key_ops: Option<&Value>) -> String {
    let mut set: Value = serde_json::from_slice(&read("jwks.json")).unwrap();
    let keys = set["keys"].as_array_mut().unwrap();
    let mut encryption = keys.iter().find(|k| k["kid"] == "rsa-1").unwrap().clone();
    encryption["kid"] = json!("enc-1");
    match key_ops {
        Some(ops) => {
            encryption.as_object_mut().unwrap().remove("use");
            encryption["key_ops"] = ops.clone();
        }
        None => encryption["use"] = json!("enc"),
    }
    keys.retain(|k| k["kid"] != "rsa-1");
    keys.push(encryption);
    let path = dir.join(if key_ops.is_some() {
        "key-ops.json"
    } else {
        "use-enc.json"
    });
    std::fs::write(&path, set.to_string()).unwrap();
    path.display().to_string()
}

#[actix_web::test]
async fn jwks_keys_for_encryption_do_not_verify_signatures() {
    let dir = std::env::temp_dir().join(format!("prioritering-jwks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for key_ops in [None, Some(json!(["encrypt", "wrapKey"]))] {
        let file = jwks_with_an_encryption_key(&dir, key_ops.as_ref());
        let jwks = provider(&[
            ("AUTH_JWKS_FILE", file),
            ("AUTH_ALGORITHMS", "RS256,ES256".to_owned()),
            ("AUTH_ISSUER", "https://login.htk.dk".to_owned()),
            ("AUTH_AUDIENCE", "prioritering".to_owned()),
        ]);
        let app = TestApp::spawn_with(|config| config.auth = jwks).await;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("enc-1".to_owned());
        let signed_with_the_encryption_key = encode(
            &header,
            &claims(json!({})),
            &EncodingKey::from_rsa_pem(&read("rsa-private.pem")).unwrap(),
        )
        .unwrap();

        let message = refused(&app, &signed_with_the_encryption_key).await;

        assert_eq!(message, "not authenticated: unknown key id", "{key_ops:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[actix_web::test]
async fn a_token_with_a_critical_header_is_refused() {
    let app = TestApp::spawn_with(|config| config.auth = rsa_provider()).await;
    let mut header = Header::new(Algorithm::RS256);
    header.crit = Some(vec!["https://login.htk.dk/step-up".to_owned()]);
    let critical = encode(
        &header,
        &claims(json!({})),
        &EncodingKey::from_rsa_pem(&read("rsa-private.pem")).unwrap(),
    )
    .unwrap();

    let message = refused(&app, &critical).await;

    assert_eq!(
        message,
        "not authenticated: critical header extensions are not supported"
    );
}
