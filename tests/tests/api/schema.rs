//! The checked-in schema is the code's schema, and every part of it is documented.

use std::path::PathBuf;

use serde_json::json;
use tests::TestApp;

fn checked_in() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql")
}

#[test]
fn the_checked_in_schema_is_up_to_date() {
    let sdl = api::sdl();
    if std::env::var("UPDATE_SCHEMA").is_ok() {
        std::fs::write(checked_in(), &sdl).unwrap();
    }
    let file = std::fs::read_to_string(checked_in()).unwrap_or_default();
    assert!(
        file == sdl,
        "schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test --test api schema` and commit it"
    );
}

#[actix_web::test]
async fn every_type_field_and_argument_has_a_description() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            r#"{ __schema { types { name kind description
                 fields { name description args { name description } }
                 inputFields { name description }
                 enumValues { name description } } } }"#,
            json!({}),
        )
        .await;
    let builtin = ["String", "Int", "Boolean", "Float", "ID"];
    let mut missing = Vec::new();
    for t in data["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if name.starts_with("__") || builtin.contains(&name) {
            continue;
        }
        if t["description"].as_str().unwrap_or_default().is_empty() {
            missing.push(name.to_owned());
        }
        for field in t["fields"].as_array().into_iter().flatten() {
            let field_name = field["name"].as_str().unwrap();
            if field["description"].as_str().unwrap_or_default().is_empty() {
                missing.push(format!("{name}.{field_name}"));
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if arg["description"].as_str().unwrap_or_default().is_empty() {
                    missing.push(format!("{name}.{field_name}({})", arg["name"]));
                }
            }
        }
        for key in ["inputFields", "enumValues"] {
            for item in t[key].as_array().into_iter().flatten() {
                if item["description"].as_str().unwrap_or_default().is_empty() {
                    missing.push(format!("{name}.{}", item["name"]));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}
