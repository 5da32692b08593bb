//! CORS: browser pages on configured origins may call the API; pages on any other origin
//! get no CORS headers, so the browser keeps the answer from them. Proven over HTTP and in
//! a real browser (headless Chromium, which must be installed: the test fails without it).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tests::TestApp;

const ALLOWED: &str = "https://budget.example";
const OTHER: &str = "https://evil.example";

/// What a server answered, headers by lowercase name.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(found, _)| found == name)
            .map(|(_, value)| value.as_str())
    }

    fn cors_headers(&self) -> Vec<&str> {
        self.headers
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| name.starts_with("access-control-"))
            .collect()
    }

    fn varies_by_origin(&self) -> bool {
        self.headers.iter().any(|(name, value)| {
            name == "vary"
                && value
                    .split(',')
                    .any(|v| v.trim().eq_ignore_ascii_case("origin"))
        })
    }
}

/// A browser's preflight for a POST with a token from a page on `origin`.
async fn preflight(app: &TestApp, origin: &str) -> Answer {
    let response = awc::Client::new()
        .request(
            actix_web::http::Method::OPTIONS,
            format!("{}/graphql", app.address),
        )
        .insert_header(("origin", origin))
        .insert_header(("access-control-request-method", "POST"))
        .insert_header((
            "access-control-request-headers",
            "authorization,content-type",
        ))
        .send()
        .await
        .unwrap();
    answer(&response)
}

/// The POST a page on `origin` makes after the preflight.
async fn post_from(app: &TestApp, origin: &str) -> Answer {
    let response = awc::Client::new()
        .post(format!("{}/graphql", app.address))
        .insert_header(("origin", origin))
        .send_json(&json!({ "query": "{ viewer { authenticated } }" }))
        .await
        .unwrap();
    answer(&response)
}

fn answer<S>(response: &awc::ClientResponse<S>) -> Answer {
    Answer {
        status: response.status().as_u16(),
        headers: tests::headers_of(response),
    }
}

async fn app_allowing(origins: &[&str]) -> TestApp {
    let origins: Vec<String> = origins.iter().map(|o| (*o).to_owned()).collect();
    TestApp::spawn_with(|config| config.cors_origins = origins).await
}

#[actix_web::test]
async fn a_preflight_from_an_allowed_origin_allows_get_and_post_with_a_token() {
    let app = app_allowing(&[ALLOWED, "http://localhost:5173"]).await;

    let answer = preflight(&app, ALLOWED).await;

    assert_eq!(answer.status, 204);
    assert_eq!(answer.header("access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(
        answer.header("access-control-allow-methods"),
        Some("GET, POST")
    );
    assert_eq!(
        answer.header("access-control-allow-headers"),
        Some("Authorization, Content-Type")
    );
    assert_eq!(answer.header("access-control-allow-credentials"), None);
    assert!(answer.varies_by_origin());
}

#[actix_web::test]
async fn a_preflight_from_another_origin_gets_no_cors_headers() {
    let app = app_allowing(&[ALLOWED]).await;

    let other = preflight(&app, OTHER).await;
    let prefix = preflight(&app, "https://budget.example.evil.example").await;

    for answer in [&other, &prefix] {
        assert_eq!(answer.status, 403);
        assert_eq!(answer.cors_headers(), Vec::<&str>::new());
        assert!(answer.varies_by_origin());
    }
}

#[actix_web::test]
async fn answers_name_only_an_allowed_origin_and_vary_by_origin() {
    let app = app_allowing(&[ALLOWED]).await;

    let allowed = post_from(&app, ALLOWED).await;
    let other = post_from(&app, OTHER).await;

    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ALLOWED));
    assert!(
        allowed
            .header("access-control-expose-headers")
            .is_some_and(|h| h.contains("X-Request-Id"))
    );
    assert!(allowed.varies_by_origin());
    assert_eq!(
        other.status, 200,
        "CORS is the browser's rule, not access control"
    );
    assert_eq!(other.cors_headers(), Vec::<&str>::new());
    assert!(other.varies_by_origin());
}

#[actix_web::test]
async fn no_origin_is_allowed_by_default() {
    let app = TestApp::spawn().await;

    let answer = preflight(&app, ALLOWED).await;
    let post = post_from(&app, ALLOWED).await;

    assert_eq!(answer.cors_headers(), Vec::<&str>::new());
    assert_eq!(post.cors_headers(), Vec::<&str>::new());
}

#[test]
fn configured_origins_are_validated_at_start_up() {
    let parse = api::http::cors::parse_origins;

    assert_eq!(
        parse(Some("https://a.example,https://b.example")),
        Ok(vec![
            "https://a.example".to_owned(),
            "https://b.example".to_owned()
        ])
    );
    for bad in ["*", "https://a.example/", "a.example"] {
        let error = parse(Some(bad)).unwrap_err();
        assert!(error.starts_with("PRIORITERING_CORS_ORIGINS: "), "{error}");
    }
}

// ---------------------------------------------------------------------------------------
// In a real browser.

/// A page that asks the API at `api` for the viewer with `token`, and writes what it got
/// (or that the browser refused it) into `#result`.
fn page(api: &str, token: &str) -> String {
    format!(
        r#"<!doctype html><html><body><p id="result">pending</p><script>
fetch("{api}/graphql", {{
  method: "POST",
  headers: {{ "Content-Type": "application/json", "Authorization": "Bearer {token}" }},
  body: JSON.stringify({{ query: "{{ viewer {{ authenticated roles }} }}" }})
}})
  .then(response => response.json())
  .then(body => {{ document.getElementById("result").textContent = "DATA " + JSON.stringify(body.data); }})
  .catch(error => {{ document.getElementById("result").textContent = "BLOCKED " + error; }});
</script></body></html>"#
    )
}

/// Serves `html` for every request on `listener` in a thread, for at most `lifetime`.
fn serve_page(listener: TcpListener, html: String, lifetime: Duration) {
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + lifetime;
        while Instant::now() < deadline {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 64 * 1024 {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let (status, body) = if request.starts_with(b"GET / ") {
                ("200 OK", html.as_str())
            } else {
                ("404 Not Found", "")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
}

/// Loads `url` in headless Chromium and returns the DOM once the page's scripts are done.
/// Chromium is required: without it the test fails, saying so.
fn chromium_dom(url: &str) -> String {
    let profile = std::env::temp_dir().join(format!(
        "prioritering-chromium-{}-{}",
        std::process::id(),
        url.rsplit(':')
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
    ));
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "the CORS browser test needs headless Chromium (`chromium` on PATH; Debian: \
                 apt-get install chromium): {error}"
            )
        });
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("chromium did not finish loading {url} within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut dom = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut dom)
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    dom
}

#[actix_web::test]
async fn a_browser_page_on_an_allowed_origin_reads_the_api_and_one_on_another_is_blocked() {
    let allowed_site = TcpListener::bind("127.0.0.1:0").unwrap();
    let other_site = TcpListener::bind("127.0.0.1:0").unwrap();
    let allowed_url = format!(
        "http://127.0.0.1:{}",
        allowed_site.local_addr().unwrap().port()
    );
    let other_url = format!(
        "http://127.0.0.1:{}",
        other_site.local_addr().unwrap().port()
    );
    let app = app_allowing(&[&allowed_url]).await;
    let html = page(&app.address, &app.token(&["reader"], &[]));
    serve_page(allowed_site, html.clone(), Duration::from_secs(120));
    serve_page(other_site, html, Duration::from_secs(120));

    let allowed_dom =
        actix_web::rt::task::spawn_blocking(move || chromium_dom(&format!("{allowed_url}/")))
            .await
            .unwrap();
    let other_dom =
        actix_web::rt::task::spawn_blocking(move || chromium_dom(&format!("{other_url}/")))
            .await
            .unwrap();

    assert!(
        allowed_dom.contains(r#"DATA {"viewer":{"authenticated":true,"roles":["READER"]}}"#),
        "the page on the allowed origin shows the data: {allowed_dom}"
    );
    assert!(
        other_dom.contains("BLOCKED TypeError: Failed to fetch"),
        "the browser keeps the answer from the page on another origin: {other_dom}"
    );
}
