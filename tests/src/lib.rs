//! The test harness: `TestApp::spawn()` starts the real server on port 0 over a fresh
//! database with the demo data, and talks HTTP to it.
//!
//! The database is SQLite (a temporary file) unless `TEST_DATABASE_URL` names a PostgreSQL
//! server (`postgres://user@127.0.0.1:5432/postgres`): then each test gets a database of its
//! own, created on the fly and dropped when the test ends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use api::config::Config;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A running server and a handle on its database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The database the server uses (the same pool).
    pub db: DatabaseConnection,
    statements: Arc<AtomicUsize>,
    client: awc::Client,
    auth: api::auth::token::AuthConfig,
    database: Arc<TestDatabase>,
    config: Config,
    server: actix_web::dev::ServerHandle,
}

/// A client's WebSocket to `/graphql`.
pub struct Socket {
    framed: actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>,
}

impl Socket {
    /// Sends a protocol message.
    pub async fn send(&mut self, message: Value) {
        use futures_util::SinkExt;
        self.framed
            .send(awc::ws::Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    /// Sends one raw frame (a fragment, binary, ping); `false` once the connection is gone.
    pub async fn send_frame(&mut self, message: awc::ws::Message) -> bool {
        use futures_util::SinkExt;
        self.framed.send(message).await.is_ok()
    }

    /// The close the server sent within `wait`, skipping other messages: `(code, reason)`;
    /// `None` when none came.
    pub async fn closed(&mut self, wait: std::time::Duration) -> Option<(u16, String)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next(left).await?;
            if message["type"] == "close" {
                return Some((
                    message["code"]
                        .as_u64()
                        .and_then(|c| u16::try_from(c).ok())?,
                    message["reason"].as_str().unwrap_or_default().to_owned(),
                ));
            }
        }
    }

    /// Starts a subscription with id `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next protocol message within `wait`, answering pings on the way; a close is
    /// returned as `{"type": "close", "code": …, "reason": …}`; `None` when nothing came.
    pub async fn next(&mut self, wait: std::time::Duration) -> Option<Value> {
        use futures_util::{SinkExt, StreamExt};
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.framed.next())
                .await
                .ok()??;
            // A connection the server dropped reads as a close without a code.
            let Ok(frame) = frame else {
                return Some(json!({ "type": "close", "code": 1006, "reason": "" }));
            };
            match frame {
                awc::ws::Frame::Text(bytes) => {
                    return Some(serde_json::from_slice(&bytes).expect("JSON message"));
                }
                awc::ws::Frame::Ping(bytes) => {
                    self.framed
                        .send(awc::ws::Message::Pong(bytes))
                        .await
                        .expect("pong");
                }
                awc::ws::Frame::Close(reason) => {
                    let (code, reason) = reason
                        .map(|r| (u16::from(r.code), r.description.unwrap_or_default()))
                        .unwrap_or((0, String::new()));
                    return Some(json!({ "type": "close", "code": code, "reason": reason }));
                }
                _ => {}
            }
        }
    }

    /// The payload of the next `next` message of any subscription within `wait`.
    pub async fn next_data(&mut self, wait: std::time::Duration) -> Option<Value> {
        loop {
            let message = self.next(wait).await?;
            match message["type"].as_str() {
                Some("next") => return Some(message["payload"].clone()),
                Some("ping") => self.send(json!({ "type": "pong" })).await,
                _ => return Some(message),
            }
        }
    }
}

/// An empty database of its own for one test, removed when dropped.
pub struct TestDatabase {
    /// Where it is.
    pub url: String,
    cleanup: Cleanup,
}

impl TestDatabase {
    /// A new, empty database on the backend the suite runs on.
    pub async fn create() -> Self {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("prioritering_test_{pid}_{n}");
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .unwrap_or(&admin_url);
                Self {
                    url: format!("{base}/{name}"),
                    cleanup: Cleanup::PostgresDatabase { admin_url, name },
                }
            }
            _ => {
                let path = std::env::temp_dir().join(format!("prioritering-test-{pid}-{n}.db"));
                let _ = std::fs::remove_file(&path);
                Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    cleanup: Cleanup::SqliteFile(path),
                }
            }
        }
    }
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

/// Whether the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"))
}

impl TestApp {
    /// Starts the app with the default configuration.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the app after `adjust` has changed the configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(TestDatabase::create().await, None, adjust).await
    }

    /// Starts the app on `database`, connecting through `url` when given (a proxy).
    async fn spawn_on(
        database: TestDatabase,
        url: Option<String>,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let url = url.unwrap_or_else(|| database.url.clone());

        let mut config = Config {
            database_url: url.clone(),
            workers: 1,
            ..Config::default()
        };
        adjust(&mut config);

        let mut db = api::db::connect(&url).await.expect("connect");
        api::db::migrate(&db).await.expect("migrate");
        api::domain::demo::load(&db).await.expect("demo data");
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let server = api::serve(db.clone(), &config, listener).expect("serve");
        let handle = server.handle();
        actix_web::rt::spawn(server);

        Self {
            address: format!("http://127.0.0.1:{port}"),
            db,
            statements,
            auth: config.auth.clone(),
            client: awc::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .finish(),
            database: Arc::new(database),
            config,
            server: handle,
        }
    }

    /// A second server on the same database, as another replica behind a load balancer:
    /// its own pool, its own process state, the same configuration.
    pub async fn replica(&self) -> Self {
        let db = api::db::connect(&self.database.url).await.expect("connect");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let server = api::serve(db.clone(), &self.config, listener).expect("serve");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            address: format!("http://127.0.0.1:{port}"),
            db,
            statements: Arc::new(AtomicUsize::new(0)),
            auth: self.auth.clone(),
            client: awc::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .finish(),
            database: self.database.clone(),
            config: self.config.clone(),
            server: handle,
        }
    }

    /// Stops the server as a crash would: open connections (sockets too) are dropped, not
    /// drained. [`TestApp::start_again`] brings it back on the same port and database.
    pub async fn stop(&self) {
        self.server.stop(false).await;
    }

    /// Starts the stopped server again on the same port and database, as a restarted
    /// process: a pool and process state of its own, the same configuration.
    pub async fn start_again(&mut self) {
        let port = self
            .address
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse::<u16>().ok())
            .expect("a port");
        let mut listener = None;
        for _ in 0..50 {
            match std::net::TcpListener::bind(("127.0.0.1", port)) {
                Ok(bound) => {
                    listener = Some(bound);
                    break;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        let listener = listener.expect("the port free again within 5 s");
        let db = api::db::connect(&self.database.url).await.expect("connect");
        let server = api::serve(db, &self.config, listener).expect("serve");
        self.server = server.handle();
        actix_web::rt::spawn(server);
    }

    /// Opens a socket to `/graphql` offering `protocols`, and sends nothing; the status of a
    /// refused handshake otherwise.
    pub async fn open_socket(&self, protocols: &[&str]) -> Result<Socket, u16> {
        let url = format!("{}/graphql", self.address.replace("http://", "ws://"));
        let mut request = self.client.ws(url);
        if !protocols.is_empty() {
            request = request.protocols(protocols);
        }
        match request.connect().await {
            Ok((_, framed)) => Ok(Socket { framed }),
            Err(awc::error::WsClientError::InvalidResponseStatus(status)) => Err(status.as_u16()),
            Err(error) => panic!("websocket: {error}"),
        }
    }

    /// The configuration the server runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The server's `ws://…/graphql` URL.
    pub fn ws_url(&self) -> String {
        format!("{}/graphql", self.address.replace("http://", "ws://"))
    }

    /// Opens a subscription socket (graphql-transport-ws) and sends `connection_init` with
    /// `payload`; returns the socket and the server's first answer.
    pub async fn websocket(&self, payload: Value) -> (Socket, Value) {
        let url = format!("{}/graphql", self.address.replace("http://", "ws://"));
        let (_, framed) = self
            .client
            .ws(url)
            .protocols(["graphql-transport-ws"])
            .connect()
            .await
            .expect("websocket");
        let mut socket = Socket { framed };
        socket
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let answer = socket
            .next(std::time::Duration::from_secs(10))
            .await
            .expect("an answer to connection_init");
        (socket, answer)
    }

    /// A subscription socket after a successful `connection_init` with `token`.
    pub async fn subscriber(&self, token: Option<&str>) -> Socket {
        let payload = match token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        let (socket, answer) = self.websocket(payload).await;
        assert_eq!(answer["type"], "connection_ack", "{answer}");
        socket
    }

    /// How many SQL statements the server's pool has run so far.
    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// Posts a GraphQL request and returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql_as(None, query, variables).await;
        assert_eq!(status, 200, "GraphQL answers 200: {body}");
        body
    }

    /// Posts a GraphQL request with `Authorization: Bearer <token>` when given; returns the
    /// status and the body.
    pub async fn graphql_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let mut request = self.client.post(format!("{}/graphql", self.address));
        if let Some(token) = token {
            request = request.insert_header(("authorization", format!("Bearer {token}")));
        }
        let mut response = request
            .send_json(&json!({ "query": query, "variables": variables }))
            .await
            .expect("request");
        let status = response.status().as_u16();
        let body = response
            .json::<Value>()
            .limit(64 * 1024 * 1024)
            .await
            .expect("JSON body");
        (status, body)
    }

    /// Posts a GraphQL request with a raw `Authorization` header value.
    pub async fn graphql_with_header(&self, authorization: &str, query: &str) -> (u16, Value) {
        let mut response = self
            .client
            .post(format!("{}/graphql", self.address))
            .insert_header(("authorization", authorization))
            .send_json(&json!({ "query": query }))
            .await
            .expect("request");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.expect("JSON body");
        (status, body)
    }

    /// `data` of a request that must succeed as the holder of `token`.
    pub async fn data_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql_as(token, query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// A valid token the server accepts (its own shared secret) for `roles` and committees.
    pub fn token(&self, roles: &[&str], committees: &[&str]) -> String {
        self.token_for("test.user", roles, committees)
    }

    /// As [`TestApp::token`], valid for `seconds` only.
    pub fn short_token(&self, roles: &[&str], seconds: u64) -> String {
        let roles: Vec<api::auth::Role> = roles
            .iter()
            .map(|name| api::auth::Role::parse(name).expect("a role"))
            .collect();
        self.auth
            .sign("short.lived", "Short Lived", &roles, &[], seconds)
            .expect("sign")
    }

    /// As [`TestApp::token`], for a given subject (another person).
    pub fn token_for(&self, subject: &str, roles: &[&str], committees: &[&str]) -> String {
        let roles: Vec<api::auth::Role> = roles
            .iter()
            .map(|name| api::auth::Role::parse(name).expect("a role"))
            .collect();
        let committees: Vec<String> = committees.iter().map(|c| (*c).to_owned()).collect();
        self.auth
            .sign(subject, "Test User", &roles, &committees, 3600)
            .expect("sign")
    }

    /// Posts a GraphQL request that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Posts a GraphQL request that must fail and returns its first error.
    pub async fn error(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        body["errors"][0].clone()
    }

    /// Sends raw bytes to `/graphql` and returns status and body text.
    pub async fn post_raw(&self, body: Vec<u8>) -> (u16, String) {
        let mut response = self
            .client
            .post(format!("{}/graphql", self.address))
            .insert_header(("content-type", "application/json"))
            .send_body(body)
            .await
            .expect("request");
        let status = response.status().as_u16();
        let text = response
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .unwrap_or_default();
        (status, String::from_utf8_lossy(&text).into_owned())
    }

    /// Posts `body` to `/graphql` with the given `Content-Type` (none when `None`) and token;
    /// returns status and body text.
    pub async fn post_typed(
        &self,
        token: Option<&str>,
        content_type: Option<&str>,
        body: &str,
    ) -> (u16, String) {
        let mut request = self.client.post(format!("{}/graphql", self.address));
        if let Some(token) = token {
            request = request.insert_header(("authorization", format!("Bearer {token}")));
        }
        if let Some(content_type) = content_type {
            request = request.insert_header(("content-type", content_type));
        }
        let mut response = request.send_body(body.to_owned()).await.expect("request");
        let status = response.status().as_u16();
        let text = response.body().await.unwrap_or_default();
        (status, String::from_utf8_lossy(&text).into_owned())
    }

    /// GETs a path and returns status, `x-request-id` and body text.
    pub async fn get(&self, path: &str, request_id: Option<&str>) -> (u16, Option<String>, String) {
        let mut request = self.client.get(format!("{}{path}", self.address));
        if let Some(id) = request_id {
            request = request.insert_header(("x-request-id", id));
        }
        let mut response = request.send().await.expect("request");
        let id = response
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let text = response
            .body()
            .limit(16 * 1024 * 1024)
            .await
            .unwrap_or_default();
        (
            response.status().as_u16(),
            id,
            String::from_utf8_lossy(&text).into_owned(),
        )
    }

    /// GETs a path with `Authorization: Bearer <token>` when given, and returns the whole
    /// response (for downloads).
    pub async fn download(&self, token: Option<&str>, path: &str) -> Download {
        let mut request = self.client.get(format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.insert_header(("authorization", format!("Bearer {token}")));
        }
        let mut response = request.send().await.expect("request");
        let body = response
            .body()
            .limit(256 * 1024 * 1024)
            .await
            .expect("the whole body");
        Download {
            status: response.status().as_u16(),
            headers: headers_of(&response),
            body: body.to_vec(),
        }
    }

    /// The global id of the round starting in `first_year`.
    pub async fn round_id(&self, first_year: i32) -> String {
        let data = self
            .data(
                "query($y: Int) { round(firstYear: $y) { id } }",
                json!({ "y": first_year }),
            )
            .await;
        data["round"]["id"].as_str().expect("round id").to_owned()
    }
}

/// A response's headers as (lower-case name, value) pairs, in the order received.
pub fn headers_of<S>(response: &awc::ClientResponse<S>) -> Vec<(String, String)> {
    response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// A whole HTTP response: status, headers (names lower-case) and body bytes.
#[derive(Clone, Debug)]
pub struct Download {
    /// The status code.
    pub status: u16,
    /// The headers, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Download {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(found, _)| found.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }

    /// The body as JSON (for errors).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: use a runtime of our own, on a thread.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    runtime.block_on(async move {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A decimal from a JSON string field, for exact comparisons.
pub fn dec(value: &Value) -> rust_decimal::Decimal {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a decimal string, got {value}"))
        .parse()
        .expect("decimal")
}

/// A TCP forwarder between a server and its PostgreSQL, for outage tests: `cut` makes the
/// database unreachable (open connections reset, new ones refused), `restore` brings it
/// back on the same port. Plain threads and blocking sockets: nothing of the server's runtime.
pub struct DatabaseProxy {
    /// The port the server connects to.
    pub port: u16,
    target: std::net::SocketAddr,
    inner: Arc<std::sync::Mutex<ProxyState>>,
}

#[derive(Default)]
struct ProxyState {
    /// Bumped by every cut: threads of an older generation stop.
    generation: u64,
    streams: Vec<std::net::TcpStream>,
}

impl DatabaseProxy {
    /// A proxy in front of `target` (`127.0.0.1:5432`), listening on a free port.
    pub fn start(target: std::net::SocketAddr) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("address").port();
        let proxy = Self {
            port,
            target,
            inner: Arc::default(),
        };
        proxy.serve(listener, 0);
        proxy
    }

    fn serve(&self, listener: std::net::TcpListener, generation: u64) {
        let (inner, target) = (self.inner.clone(), self.target);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if inner.lock().unwrap().generation != generation {
                    return; // cut: the listener closes with this thread
                }
                let Ok(client) = client else { continue };
                let Ok(server) = std::net::TcpStream::connect(target) else {
                    continue;
                };
                {
                    let mut state = inner.lock().unwrap();
                    state.streams.push(client.try_clone().expect("clone"));
                    state.streams.push(server.try_clone().expect("clone"));
                }
                for (mut from, mut to) in [
                    (
                        client.try_clone().expect("clone"),
                        server.try_clone().expect("clone"),
                    ),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
    }

    /// The database becomes unreachable: every open connection is reset and new ones are
    /// refused.
    pub fn cut(&self) {
        let streams = {
            let mut state = self.inner.lock().unwrap();
            state.generation += 1;
            std::mem::take(&mut state.streams)
        };
        for stream in streams {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        // Wake the accepting thread so it sees the cut and drops its listener.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        // Until the listener is gone, a connection would still be accepted (and dropped).
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The database is reachable again, on the same port.
    pub fn restore(&self) {
        let generation = self.inner.lock().unwrap().generation;
        let listener = std::net::TcpListener::bind(("127.0.0.1", self.port)).expect("rebind proxy");
        self.serve(listener, generation);
    }
}

impl TestApp {
    /// On PostgreSQL: the app with its database behind a [`DatabaseProxy`], to cut it off.
    pub async fn spawn_behind_proxy(adjust: impl FnOnce(&mut Config)) -> (Self, DatabaseProxy) {
        let database = TestDatabase::create().await;
        let target = database
            .url
            .split('@')
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .expect("host:port in the database URL")
            .to_owned();
        let target: std::net::SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(&target)
            .expect("address")
            .next()
            .expect("an address");
        let proxy = DatabaseProxy::start(target);
        let through = database
            .url
            .replacen(&target.port().to_string(), &proxy.port.to_string(), 1);
        (Self::spawn_on(database, Some(through), adjust).await, proxy)
    }
}

/// The `graphql-ws` npm client (tests/ws-client/client.mjs) run by Node, as an integration
/// would run it; it prints one JSON object per line, read here. Killed when dropped.
pub struct NodeClient {
    child: std::process::Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<Value>,
}

/// Where the npm package of the client lives.
fn ws_client_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ws-client")
}

/// Installs the client's packages once per test run (`npm ci`) when they are missing. Fails
/// the test, never skips it, without Node.
fn install_ws_client() {
    static INSTALLED: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut installed = INSTALLED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if *installed {
        return;
    }
    let dir = ws_client_dir();
    let version = std::process::Command::new("node").arg("--version").output();
    assert!(
        version.is_ok_and(|output| output.status.success()),
        "Node.js (20 or later) is required for the WebSocket client tests: install it \
         (.ci/run does) so that `node` is on PATH"
    );
    if !dir.join("node_modules/graphql-ws").is_dir() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm (comes with Node.js) is required to install tests/ws-client");
        assert!(status.success(), "`npm ci` in {} failed", dir.display());
    }
    *installed = true;
}

impl NodeClient {
    /// Starts the client with these environment variables (see client.mjs).
    pub fn start(env: &[(&str, &str)]) -> Self {
        use std::io::BufRead;
        install_ws_client();
        let mut child = std::process::Command::new("node")
            .arg(ws_client_dir().join("client.mjs"))
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start node");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|_| json!({ "event": "output", "line": line }));
                if sender.send(value).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// The next line the client printed within `wait`; `None` when none came (or it ended).
    pub async fn next(&mut self, wait: std::time::Duration) -> Option<Value> {
        tokio::time::timeout(wait, self.lines.recv()).await.ok()?
    }

    /// The next line whose `event` is `event` within `wait`, skipping others.
    pub async fn next_event(&mut self, event: &str, wait: std::time::Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let line = self.next(left).await?;
            if line["event"] == event {
                return Some(line);
            }
        }
    }
}

impl Drop for NodeClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
