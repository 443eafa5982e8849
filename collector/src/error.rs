//! Every failure the API answers, and the one place that turns it into HubSpot's error body
//! (SPEC §2): `{"status":"error","category":…,"correlationId":…,"message":…,"errors":[…]}`.
//!
//! Retryable answers (503, with `Retry-After`) and final ones (400, 403, 413…) stay distinct
//! variants so that the tracker's retry policy reads the status alone. Internal errors answer
//! a fixed message and are logged with their correlation id; their detail never leaves.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use crate::store::StoreError;

/// The request body limit, for every endpoint.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The most a compressed beacon may decompress to: what an uncompressed one may weigh, so a
/// beacon carries as much either way, and a small body that inflates without end (a "zip
/// bomb") costs at most this much memory.
pub const MAX_INFLATED_BYTES: usize = MAX_BODY_BYTES;

/// One problem in a request, as HubSpot lists it under `errors`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorDetail {
    /// A sentence naming the event, the property and the rule.
    pub message: String,
    /// A stable code for programs, e.g. `PROPERTY_VALUE_TOO_LONG`.
    pub code: &'static str,
    /// Where in the request: `properties.color`, `inputs[2].eventName`, `body`.
    #[serde(rename = "in", skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// HubSpot's context map: names to lists of values (`eventName`, `propertyName`, `limit`).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub context: serde_json::Map<String, Value>,
}

impl ErrorDetail {
    /// A detail with a message and a code.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ErrorDetail {
            message: message.into(),
            code,
            location: None,
            context: serde_json::Map::new(),
        }
    }

    /// Sets where in the request the problem is.
    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Adds one context entry.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.context.insert(key.to_owned(), json!([value.into()]));
        self
    }
}

/// Everything a handler can fail with.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request breaks a rule; nothing of it was stored.
    Validation {
        /// Summary sentence.
        message: String,
        /// Every problem found.
        errors: Vec<ErrorDetail>,
    },
    /// 400: the body is not the JSON the endpoint reads.
    MalformedJson(String),
    /// 401: no or wrong `Authorization: Bearer` admin token.
    Unauthorized,
    /// 401: no, unknown or expired visualizer token, where one is required; the message says
    /// which token the endpoint takes.
    InvalidToken(String),
    /// 403: the credential lacks the scope the route needs.
    MissingScope(crate::scopes::Scope),
    /// 403: the site does not exist or does not allow the request's origin.
    Forbidden(String),
    /// 404: the resource does not exist.
    NotFound(String),
    /// 409: the resource already exists.
    Conflict(String),
    /// 405: the path exists, not with this method (`Allow` says which).
    MethodNotAllowed,
    /// 413: the body is over [`MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// 413: a compressed body decompresses to more than [`MAX_INFLATED_BYTES`].
    InflatedTooLarge,
    /// 413: an uploaded file is over the import's limit (bytes).
    FileTooLarge(u64),
    /// 429: over a rate limit; retry after the given seconds.
    RateLimited {
        /// Seconds for `Retry-After`.
        retry_after: u32,
        /// What is limited, e.g. "site \"shop\" sends more than 20000 events a second".
        what: String,
    },
    /// 503: the write queue is full; retry after the given seconds.
    Busy {
        /// Seconds for `Retry-After`.
        retry_after: u32,
    },
    /// 503: the server sheds load or the request took too long; retry.
    Overloaded(&'static str),
    /// 500: a bug or a storage failure; logged, answered with a fixed message.
    Internal(String),
}

impl ApiError {
    /// A 400 with one detail, whose message is also the summary.
    pub fn invalid(detail: ErrorDetail) -> Self {
        ApiError::Validation {
            message: detail.message.clone(),
            errors: vec![detail],
        }
    }

    /// A 400 for a missing or bad field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::invalid(ErrorDetail::new("INVALID_FIELD", message).at(field))
    }

    /// The error body for an answer axum made itself, with its status and text.
    pub fn from_status(status: StatusCode, text: &str) -> Self {
        let text = if text.trim().is_empty() {
            status.canonical_reason().unwrap_or("error").to_owned()
        } else {
            text.trim().to_owned()
        };
        match status {
            StatusCode::NOT_FOUND => ApiError::NotFound(text),
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            s if s.is_client_error() => ApiError::invalid(
                ErrorDetail::new(
                    "INVALID_REQUEST",
                    format!("The request's URL, query or body cannot be read: {text}"),
                )
                .at("url"),
            ),
            _ => ApiError::Internal(format!("{status}: {text}")),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } | ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::MissingScope(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge | ApiError::InflatedTooLarge | ApiError::FileTooLarge(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy { .. } | ApiError::Overloaded(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let correlation_id = wasmtrack_core::uuid::format_v4(crate::random::bytes());
        let mut retry_after = None;
        let (category, message, errors) = match self {
            ApiError::Validation { message, errors } => ("VALIDATION_ERROR", message, errors),
            ApiError::MalformedJson(reason) => {
                let message = format!("Invalid JSON body: {}", plain_words(&reason));
                (
                    "VALIDATION_ERROR",
                    message.clone(),
                    vec![ErrorDetail::new("MALFORMED_JSON", message).at("body")],
                )
            }
            ApiError::Unauthorized => {
                let message = "Authentication credentials not found: send `Authorization: Bearer <admin token or API key>`";
                (
                    "INVALID_AUTHENTICATION",
                    message.to_owned(),
                    vec![ErrorDetail::new("UNAUTHORIZED", message)],
                )
            }
            ApiError::InvalidToken(message) => (
                "INVALID_AUTHENTICATION",
                message.clone(),
                vec![ErrorDetail::new("UNAUTHORIZED", message)],
            ),
            ApiError::MissingScope(scope) => {
                let message = format!(
                    "this credential lacks the scope `{}` this request needs",
                    scope.as_str()
                );
                (
                    "MISSING_SCOPES",
                    message.clone(),
                    vec![ErrorDetail::new("MISSING_SCOPES", message)
                        .with("requiredScopes", scope.as_str())],
                )
            }
            ApiError::Forbidden(message) => (
                "FORBIDDEN",
                message.clone(),
                vec![ErrorDetail::new("FORBIDDEN", message)],
            ),
            ApiError::NotFound(message) => (
                "OBJECT_NOT_FOUND",
                message.clone(),
                vec![ErrorDetail::new("NOT_FOUND", message)],
            ),
            ApiError::Conflict(message) => (
                "CONFLICT",
                message.clone(),
                vec![ErrorDetail::new("CONFLICT", message)],
            ),
            ApiError::MethodNotAllowed => {
                let message = "This path does not take this method; `Allow` lists those it takes";
                (
                    "VALIDATION_ERROR",
                    message.to_owned(),
                    vec![ErrorDetail::new("METHOD_NOT_ALLOWED", message)],
                )
            }
            ApiError::PayloadTooLarge => {
                let message = format!("Request body is larger than the limit of {MAX_BODY_BYTES} bytes (1 MiB); send smaller batches");
                (
                    "PAYLOAD_TOO_LARGE",
                    message.clone(),
                    vec![ErrorDetail::new("PAYLOAD_TOO_LARGE", message).at("body")],
                )
            }
            ApiError::InflatedTooLarge => {
                let message = format!("The gzip body decompresses to more than the limit of {MAX_INFLATED_BYTES} bytes (1 MiB); send smaller batches");
                (
                    "PAYLOAD_TOO_LARGE",
                    message.clone(),
                    vec![ErrorDetail::new("PAYLOAD_TOO_LARGE", message).at("body")],
                )
            }
            ApiError::FileTooLarge(limit) => {
                let message = format!("The file is larger than the import limit of {limit} bytes (--import-max-bytes); split it, or import it with the CLI on the collector's machine");
                (
                    "PAYLOAD_TOO_LARGE",
                    message.clone(),
                    vec![ErrorDetail::new("PAYLOAD_TOO_LARGE", message).at("file")],
                )
            }
            ApiError::RateLimited {
                retry_after: secs,
                what,
            } => {
                retry_after = Some(secs);
                let message = format!("{what}; retry after the Retry-After delay");
                (
                    "RATE_LIMITS",
                    message.clone(),
                    vec![ErrorDetail::new("RATE_LIMIT", message)],
                )
            }
            ApiError::Busy { retry_after: secs } => {
                retry_after = Some(secs);
                let message = "The write queue is full; retry after the Retry-After delay";
                (
                    "SERVICE_UNAVAILABLE",
                    message.to_owned(),
                    vec![ErrorDetail::new("BUSY", message)],
                )
            }
            ApiError::Overloaded(message) => {
                retry_after = Some(1);
                (
                    "SERVICE_UNAVAILABLE",
                    message.to_owned(),
                    vec![ErrorDetail::new("OVERLOADED", message)],
                )
            }
            ApiError::Internal(detail) => {
                tracing::error!(correlation_id = %correlation_id, "internal error: {detail}");
                let message = "Internal error; the server log has details under this correlationId";
                (
                    "INTERNAL_ERROR",
                    message.to_owned(),
                    vec![ErrorDetail::new("INTERNAL_ERROR", message)],
                )
            }
        };
        // What a message echoes of the request is bounded: a 100,000-character name is named
        // by its start.
        let errors: Vec<ErrorDetail> = errors
            .into_iter()
            .map(|mut e| {
                e.message = capped(e.message);
                e.location = e.location.map(capped);
                for values in e.context.values_mut() {
                    if let Value::Array(list) = values {
                        for v in list.iter_mut() {
                            if let Value::String(text) = v {
                                *text = capped(std::mem::take(text));
                            }
                        }
                    }
                }
                e
            })
            .collect();
        let body = json!({
            "status": "error",
            "category": category,
            "correlationId": correlation_id,
            "message": capped(message),
            "errors": errors,
        });
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Longest message an error answer carries, in characters.
const MAX_MESSAGE_CHARS: usize = 500;

/// `message` cut at [`MAX_MESSAGE_CHARS`], with `…` where it was cut.
fn capped(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message,
    }
}

/// serde's messages in the words of the API: its types are JSON's, not the server's Rust
/// types (`expected struct SendInput` says nothing to a client and something to an attacker).
fn plain_words(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut rest = reason;
    while let Some(at) = rest.find("struct ").or_else(|| rest.find("enum ")) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let skip = if from.starts_with("struct ") { 7 } else { 5 };
        let name_len = from[skip..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(from.len() - skip);
        out.push_str(if skip == 7 {
            "an object"
        } else {
            "one of the allowed values"
        });
        rest = &from[skip + name_len..];
    }
    out.push_str(rest);
    out.replace("a sequence", "an array")
        .replace("a map", "an object")
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Busy => ApiError::Busy { retry_after: 1 },
            StoreError::Closed => ApiError::Overloaded("The server is shutting down; retry"),
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Conflict(what) => ApiError::Conflict(what),
            // The definitions API words this one itself; this is the fallback.
            StoreError::RulesFire(rules) => ApiError::Conflict(format!(
                "{} auto-tracking rules fire this event; delete them first",
                rules.len()
            )),
            StoreError::Invalid(detail) => ApiError::invalid(detail),
            StoreError::Internal(detail) => ApiError::Internal(detail),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::MalformedJson(rejection.body_text())
        }
    }
}

/// A body as JSON text: JSON is UTF-8, and serde would skip the bytes of a field a type does
/// not read without checking them.
pub fn json_text(bytes: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(bytes).map_err(|e| {
        ApiError::MalformedJson(format!(
            "the body is not UTF-8 (invalid bytes at offset {})",
            e.valid_up_to()
        ))
    })
}

/// The request body as JSON of type `T`, whatever its content type (curl's default
/// `application/x-www-form-urlencoded` and `sendBeacon`'s `text/plain` included); every
/// failure, size included, answers through [`ApiError`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await?;
        let text = json_text(&bytes)?;
        // serde skips the fields a type does not read without checking their strings' escapes:
        // a body with a malformed field is refused whole rather than half read.
        serde_json::from_str::<Value>(text)
            .and_then(|_| serde_json::from_str(text))
            .map(AppJson)
            .map_err(|e| ApiError::MalformedJson(e.to_string()))
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
