//! Subscriptions over WebSocket: the graphql-transport-ws protocol on `GET /graphql`.
//!
//! The protocol is written out here over `actix-ws` instead of being taken from a library,
//! so that every limit applies before the socket does any work: a message larger than the
//! body limit is refused while it arrives (fragmented or not, before sign-in), a socket that
//! never sends `connection_init` is closed, sockets per server and operations per socket are
//! capped, and every operation is checked against the token's expiry, at which the socket
//! closes. Each operation runs through `schema.execute_stream`, so the schema's own limits
//! (depth, complexity, cost) apply to it as they do to a POST.
//!
//! Close codes are the protocol's, so a client knows whether retrying can help: 4400 not a
//! protocol message, 4401 `subscribe` before `connection_ack`, 4403 token refused or expired,
//! 4408 no `connection_init` in time, 4409 an id already running, 4429 a second
//! `connection_init`; and WebSocket's own 1009 for a message over the limit, 1013 (try again
//! later) when the server holds its most sockets.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use actix_ws::{CloseCode, CloseReason, Item, Message, MessageStream, ProtocolError, Session};
use async_graphql::Response;
use chrono::Utc;
use futures_util::StreamExt;
use futures_util::stream::{AbortHandle, BoxStream, SelectAll};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::{AppState, error_body, with_codes};
use crate::auth::Viewer;
use crate::auth::token::AuthConfig;
use crate::config::Config;
use crate::graphql::{AppSchema, request_data};

/// The one subprotocol spoken (graphql-ws, Apollo, urql, GraphiQL).
const PROTOCOL: &str = "graphql-transport-ws";

/// The older protocol of `subscriptions-transport-ws`, which shares the name `graphql-ws`
/// with today's client library: refused with a message saying so.
const LEGACY_PROTOCOL: &str = "graphql-ws";

/// How long one message to the client may wait for it to read: a client that stops reading
/// is cut off, so its operations and its place among the sockets are freed.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The server's WebSocket limits, and the sockets open now.
pub struct Sockets {
    open: Arc<Semaphore>,
    limits: Limits,
}

/// What one socket may do.
#[derive(Clone, Copy)]
struct Limits {
    max_sockets: usize,
    max_message_bytes: usize,
    init_timeout: Duration,
    max_operations: usize,
}

impl Sockets {
    /// The limits of `config`; no socket open yet.
    pub fn new(config: &Config) -> Self {
        Self {
            open: Arc::new(Semaphore::new(config.ws_max_sockets)),
            limits: Limits {
                max_sockets: config.ws_max_sockets,
                max_message_bytes: config.max_body_bytes,
                init_timeout: config.ws_init_timeout,
                max_operations: config.ws_max_subscriptions,
            },
        }
    }
}

/// Subscriptions over WebSocket (graphql-transport-ws). The token comes in
/// `connection_init`: `{"Authorization": "Bearer …"}` (any case) or `{"token": "…"}`; none
/// is anonymous, an invalid one closes the socket with 4403 and the reason.
pub(super) fn subscriptions(
    state: &AppState,
    request: &HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let offered = offered_protocols(request);
    if !offered.contains(&PROTOCOL) {
        let message = if offered.contains(&LEGACY_PROTOCOL) {
            "the older graphql-ws protocol (subscriptions-transport-ws) is not supported: \
             use graphql-transport-ws (the graphql-ws client library speaks it)"
        } else {
            "a WebSocket for subscriptions speaks graphql-transport-ws (Sec-WebSocket-Protocol)"
        };
        return HttpResponse::BadRequest().json(error_body("BAD_USER_INPUT", message));
    }
    let (response, session, messages) =
        match actix_ws::handle_with_protocols(request, payload, &[PROTOCOL]) {
            Ok(parts) => parts,
            Err(error) => {
                let response = error.error_response();
                return HttpResponse::build(response.status())
                    .json(error_body("BAD_USER_INPUT", "not a WebSocket handshake"));
            }
        };
    let limits = state.sockets.limits;
    // Frames over the limit are refused from their header, before their payload is read.
    let inbox = Inbox {
        messages: messages.max_frame_size(limits.max_message_bytes),
        limit: limits.max_message_bytes,
        fragments: None,
    };
    let connection = Connection {
        session,
        schema: state.schema.clone(),
        db: state.db.clone(),
        auth: state.auth.clone(),
        limits,
        viewer: None,
        expires: None,
        operations: HashMap::new(),
        running: SelectAll::new(),
        started: 0,
    };
    let permit = state.sockets.open.clone().try_acquire_owned().ok();
    actix_web::rt::spawn(connection.run(permit, inbox));
    response
}

fn offered_protocols(request: &HttpRequest) -> Vec<&str> {
    request
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect()
}

/// The caller named in a `connection_init` payload.
fn viewer_from_init(auth: &AuthConfig, init: &Value) -> Result<Viewer, String> {
    let field = init.as_object().and_then(|fields| {
        fields
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("authorization") || key == &"token")
            .map(|(key, value)| (key.clone(), value.clone()))
    });
    let Some((key, value)) = field else {
        return Ok(Viewer::anonymous());
    };
    let text = value.as_str().unwrap_or_default().trim();
    let token = if key == "token" {
        Some(text)
    } else {
        text.strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .map(str::trim)
    };
    match token.filter(|token| !token.is_empty()) {
        Some(token) => auth.verify(token),
        None => Err("expected \"Authorization\": \"Bearer <token>\" in connection_init".to_owned()),
    }
}

/// Why the server closes a socket.
#[derive(Debug)]
enum Close {
    /// The connection is gone: nothing can be said.
    Silently,
    /// The client closed it: answer its close.
    Normally,
    /// 4400: not a message of the protocol.
    BadMessage(String),
    /// 4401: `subscribe` before `connection_ack`.
    Unacknowledged,
    /// 4403: the token was refused, or it expired.
    Forbidden(String),
    /// 4408: no `connection_init` in time.
    InitTimeout,
    /// 4409: `subscribe` with the id of an operation still running.
    DuplicateId(String),
    /// 4429: a second `connection_init`.
    RepeatedInit,
    /// 1009: a message over the body limit.
    TooBig(usize),
    /// 1013: the server holds its most sockets.
    Full(usize),
    /// 1002: broken WebSocket framing.
    Framing(String),
}

const EXPIRED: &str = "the token expired: reconnect with a fresh one";

impl Close {
    fn reason(self) -> Option<CloseReason> {
        let (code, text) = match self {
            Self::Silently => return None,
            Self::Normally => (1000, String::new()),
            Self::BadMessage(why) => (4400, why),
            Self::Unacknowledged => (4401, "Unauthorized: subscribe before connection_ack".into()),
            Self::Forbidden(why) => (4403, why),
            Self::InitTimeout => (4408, "Connection initialisation timeout".into()),
            Self::DuplicateId(id) => (4409, format!("Subscriber for {id} already exists")),
            Self::RepeatedInit => (4429, "Too many initialisation requests".into()),
            Self::TooBig(limit) => (1009, format!("a message is at most {limit} bytes")),
            Self::Full(sockets) => (
                1013,
                format!("the server holds its most sockets ({sockets}): try again later"),
            ),
            Self::Framing(why) => (1002, why),
        };
        Some(CloseReason {
            code: CloseCode::from(code),
            description: (!text.is_empty()).then(|| fit_close_reason(text)),
        })
    }

    fn from_framing(error: ProtocolError, limit: usize) -> Self {
        match error {
            ProtocolError::Overflow => Self::TooBig(limit),
            ProtocolError::Io(error) if error.kind() == std::io::ErrorKind::InvalidData => {
                Self::BadMessage("a text message that is not UTF-8".into())
            }
            ProtocolError::Io(_) => Self::Silently,
            other => Self::Framing(other.to_string()),
        }
    }
}

/// A close frame carries at most 123 bytes of reason.
fn fit_close_reason(mut text: String) -> String {
    let mut end = text.len().min(123);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}

/// A whole message from the client.
enum Incoming {
    Text(Bytes),
    Binary,
    Ping(Bytes),
    Close,
}

/// Reads whole messages from the socket. A fragmented message is reassembled only up to the
/// limit: the fragment that would pass it closes the socket before it is kept.
struct Inbox {
    messages: MessageStream,
    limit: usize,
    fragments: Option<BytesMut>,
}

impl Inbox {
    /// The next whole message; `Ok(None)` when the connection has ended. Cancel-safe: a
    /// partial message stays in `fragments`.
    async fn next(&mut self) -> Result<Option<Incoming>, Close> {
        loop {
            let Some(received) = self.messages.recv().await else {
                return Ok(None);
            };
            let message = received.map_err(|error| Close::from_framing(error, self.limit))?;
            let whole = match message {
                Message::Text(text) => Incoming::Text(text.into_bytes()),
                Message::Binary(_) => Incoming::Binary,
                Message::Ping(bytes) => Incoming::Ping(bytes),
                Message::Close(_) => Incoming::Close,
                Message::Pong(_) | Message::Nop => continue,
                Message::Continuation(item) => match self.fragment(item)? {
                    Some(text) => Incoming::Text(text),
                    None => continue,
                },
            };
            return Ok(Some(whole));
        }
    }

    /// Adds a fragment; the whole text when it was the last.
    fn fragment(&mut self, item: Item) -> Result<Option<Bytes>, Close> {
        let (bytes, last) = match item {
            Item::FirstText(bytes) => {
                self.fragments = Some(BytesMut::new());
                (bytes, false)
            }
            Item::FirstBinary(_) => return Err(binary()),
            Item::Continue(bytes) => (bytes, false),
            Item::Last(bytes) => (bytes, true),
        };
        let Some(buffer) = self.fragments.as_mut() else {
            return Err(Close::Framing(
                "a continuation without a first frame".into(),
            ));
        };
        if buffer.len().saturating_add(bytes.len()) > self.limit {
            self.fragments = None;
            return Err(Close::TooBig(self.limit));
        }
        buffer.extend_from_slice(&bytes);
        if !last {
            return Ok(None);
        }
        Ok(self.fragments.take().map(BytesMut::freeze))
    }
}

fn binary() -> Close {
    Close::BadMessage("graphql-transport-ws messages are JSON text, not binary".into())
}

/// A message of graphql-transport-ws from the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {},
    Pong {},
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

/// The operation of a `subscribe`: a GraphQL request whose `query` is required.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscribePayload {
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default)]
    extensions: Option<Value>,
}

impl SubscribePayload {
    fn into_request(self) -> Result<async_graphql::Request, Close> {
        let mut request = serde_json::Map::new();
        request.insert("query".into(), Value::String(self.query));
        let optional = [
            ("operationName", self.operation_name.map(Value::String)),
            ("variables", self.variables),
            ("extensions", self.extensions),
        ];
        for (key, value) in optional {
            if let Some(value) = value.filter(|value| !value.is_null()) {
                request.insert(key.into(), value);
            }
        }
        serde_json::from_value(Value::Object(request))
            .map_err(|error| Close::BadMessage(format!("not a GraphQL request: {error}")))
    }
}

/// One socket, from the upgrade to its close.
struct Connection {
    session: Session,
    schema: AppSchema,
    db: DatabaseConnection,
    auth: AuthConfig,
    limits: Limits,
    /// The caller, once `connection_init` is acknowledged.
    viewer: Option<Viewer>,
    /// When the caller's token expires: the socket closes then.
    expires: Option<Instant>,
    /// Operations running, by the client's id.
    operations: HashMap<String, Operation>,
    /// Their results, as they come.
    running: SelectAll<BoxStream<'static, Output>>,
    /// Operations started so far, to tell a finished operation from a later one that reuses
    /// its id.
    started: u64,
}

/// An operation the client started.
struct Operation {
    number: u64,
    abort: AbortHandle,
    /// Whether a `next` was sent for it.
    answered: bool,
}

/// A result of an operation, or its end (`response: None`).
struct Output {
    id: String,
    number: u64,
    response: Option<Response>,
}

impl Connection {
    async fn run(mut self, permit: Option<OwnedSemaphorePermit>, inbox: Inbox) {
        let close = match permit {
            Some(permit) => {
                let close = self.serve(inbox).await;
                drop(permit);
                close
            }
            None => Close::Full(self.limits.max_sockets),
        };
        // Operations end with the socket; the client hears why.
        self.running = SelectAll::new();
        if let Some(reason) = close.reason() {
            if reason.code != CloseCode::Normal {
                let code = u16::from(reason.code);
                let why = reason.description.as_deref().unwrap_or_default();
                tracing::info!(code, why, "closing a WebSocket");
            }
            let _ = tokio::time::timeout(SEND_TIMEOUT, self.session.close(Some(reason))).await;
        }
    }

    /// Serves the socket until it is to be closed, and says why.
    async fn serve(&mut self, mut inbox: Inbox) -> Close {
        let init_deadline = Instant::now() + self.limits.init_timeout;
        loop {
            let acknowledged = self.viewer.is_some();
            let expires = self.expires;
            tokio::select! {
                received = inbox.next() => {
                    let handled = match received {
                        Ok(Some(message)) => self.receive(message).await,
                        Ok(None) => Err(Close::Silently),
                        Err(close) => Err(close),
                    };
                    if let Err(close) = handled {
                        return close;
                    }
                }
                Some(output) = self.running.next(), if !self.running.is_empty() => {
                    if let Err(close) = self.deliver(output).await {
                        return close;
                    }
                }
                () = tokio::time::sleep_until(init_deadline), if !acknowledged => {
                    return Close::InitTimeout;
                }
                () = tokio::time::sleep_until(expires.unwrap_or(init_deadline)), if expires.is_some() => {
                    return Close::Forbidden(EXPIRED.into());
                }
            }
        }
    }

    async fn receive(&mut self, message: Incoming) -> Result<(), Close> {
        let text = match message {
            Incoming::Text(text) => text,
            Incoming::Binary => return Err(binary()),
            Incoming::Ping(bytes) => {
                let pong = tokio::time::timeout(SEND_TIMEOUT, self.session.pong(&bytes)).await;
                return pong.ok().and_then(Result::ok).ok_or(Close::Silently);
            }
            Incoming::Close => return Err(Close::Normally),
        };
        let message = serde_json::from_slice::<ClientMessage>(&text).map_err(|error| {
            Close::BadMessage(format!("not a graphql-transport-ws message: {error}"))
        })?;
        match message {
            ClientMessage::ConnectionInit { payload } => self.init(payload).await,
            ClientMessage::Ping {} => self.send(json!({ "type": "pong" })).await,
            ClientMessage::Pong {} => Ok(()),
            ClientMessage::Subscribe { id, payload } => {
                self.subscribe(id, payload.into_request()?).await
            }
            ClientMessage::Complete { id } => {
                if let Some(operation) = self.operations.remove(&id) {
                    operation.abort.abort();
                }
                Ok(())
            }
        }
    }

    async fn init(&mut self, payload: Option<Value>) -> Result<(), Close> {
        if self.viewer.is_some() {
            return Err(Close::RepeatedInit);
        }
        let viewer = viewer_from_init(&self.auth, payload.as_ref().unwrap_or(&Value::Null))
            .map_err(|why| {
                tracing::info!(%why, "subscription token refused");
                Close::Forbidden(format!("not authenticated: {why}"))
            })?;
        let expires = viewer.expires_at.map(instant_of);
        if expires.is_some_and(|at| at <= Instant::now()) {
            // Within the verification's leeway, yet past its expiry: a socket outlives it.
            return Err(Close::Forbidden(EXPIRED.into()));
        }
        self.viewer = Some(viewer);
        self.expires = expires;
        self.send(json!({ "type": "connection_ack" })).await
    }

    async fn subscribe(
        &mut self,
        id: String,
        request: async_graphql::Request,
    ) -> Result<(), Close> {
        let Some(viewer) = &self.viewer else {
            return Err(Close::Unacknowledged);
        };
        // The timer closes the socket at expiry; this holds even if a message arrives first.
        if self.expires.is_some_and(|at| at <= Instant::now()) {
            return Err(Close::Forbidden(EXPIRED.into()));
        }
        if self.operations.contains_key(&id) {
            return Err(Close::DuplicateId(id));
        }
        if self.operations.len() >= self.limits.max_operations {
            let message = format!(
                "a socket runs at most {} operations at once: complete one first",
                self.limits.max_operations
            );
            let errors =
                json!([{ "message": message, "extensions": { "code": "BAD_USER_INPUT" } }]);
            return self
                .send(json!({ "id": id, "type": "error", "payload": errors }))
                .await;
        }
        let (viewer, loader) = request_data(&self.db, viewer.clone());
        // A subscription lives long: every event reads fresh data.
        loader.enable_all_cache(false);
        let results = self
            .schema
            .execute_stream(request.data(viewer).data(loader));
        let (results, abort) = futures_util::stream::abortable(results);
        self.started += 1;
        let number = self.started;
        let end = Output {
            id: id.clone(),
            number,
            response: None,
        };
        let tagged = {
            let id = id.clone();
            results.map(move |response| Output {
                id: id.clone(),
                number,
                response: Some(response),
            })
        };
        self.running
            .push(tagged.chain(futures_util::stream::iter([end])).boxed());
        self.operations.insert(
            id,
            Operation {
                number,
                abort,
                answered: false,
            },
        );
        Ok(())
    }

    /// Sends an operation's result: `next`, `error` when it failed before any result (a
    /// document that does not validate, a refused argument), `complete` at its end.
    async fn deliver(&mut self, output: Output) -> Result<(), Close> {
        let Some(operation) = self
            .operations
            .get_mut(&output.id)
            .filter(|operation| operation.number == output.number)
        else {
            return Ok(()); // completed by the client: nothing more is said
        };
        let Some(mut response) = output.response else {
            self.operations.remove(&output.id);
            return self
                .send(json!({ "id": output.id, "type": "complete" }))
                .await;
        };
        with_codes(&mut response.errors);
        let failed = !operation.answered
            && response.data == async_graphql::Value::Null
            && !response.errors.is_empty();
        if failed {
            operation.abort.abort();
            self.operations.remove(&output.id);
            return self
                .send(json!({ "id": output.id, "type": "error", "payload": response.errors }))
                .await;
        }
        operation.answered = true;
        self.send(json!({ "id": output.id, "type": "next", "payload": response }))
            .await
    }

    async fn send(&mut self, message: Value) -> Result<(), Close> {
        match tokio::time::timeout(SEND_TIMEOUT, self.session.text(message.to_string())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) | Err(_) => Err(Close::Silently),
        }
    }
}

/// The instant a token expires, from its `exp` (seconds since 1970).
fn instant_of(exp: i64) -> Instant {
    let left = exp
        .saturating_mul(1000)
        .saturating_sub(Utc::now().timestamp_millis())
        .max(0);
    Instant::now() + Duration::from_millis(u64::try_from(left).unwrap_or(0))
}
