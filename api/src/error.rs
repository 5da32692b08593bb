//! One error type with stable codes. It deliberately does not implement `Display`, so the
//! only way into a GraphQL error is the `From` below, which sets `extensions.code` and
//! never lets a database message through.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

/// An error as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// The input is wrong; `field` is the path of the argument or input field concerned.
    BadUserInput {
        /// Path of the offending argument, e.g. `["filter", "committees", "0"]`.
        field: Vec<String>,
        /// What is wrong, for a person.
        message: String,
    },
    /// The caller's credentials are missing or invalid.
    Unauthenticated(String),
    /// The caller may not do this.
    Forbidden(String),
    /// The object does not exist, or the caller may not see it (the same answer on purpose).
    NotFound(String),
    /// The write conflicts with the current state.
    Conflict(String),
    /// The database cannot be reached right now (an outage, or every connection busy past
    /// the acquire timeout): try again shortly. Nothing was written.
    Unavailable,
    /// Something failed on our side; details are logged, not returned.
    Internal,
}

impl ApiError {
    /// A bad input on the argument or input field at `field`.
    pub fn bad_input(field: &[&str], message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.iter().map(|part| (*part).to_owned()).collect(),
            message: message.into(),
        }
    }

    /// An object that is missing or invisible.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    /// The stable code in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict(_) => "CONFLICT",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }

    /// The message the client reads.
    pub fn message(&self) -> String {
        match self {
            Self::BadUserInput { message, .. } => message.clone(),
            Self::Unauthenticated(why) => format!("not authenticated: {why}"),
            Self::Forbidden(why) => format!("forbidden: {why}"),
            Self::NotFound(what) => format!("{what} not found"),
            Self::Conflict(why) => why.clone(),
            Self::Unavailable => {
                "the database is not reachable right now; nothing was done, try again shortly"
                    .to_owned()
            }
            Self::Internal => "internal error".to_owned(),
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(detail)) = error.sql_err() {
            tracing::info!(%detail, "unique constraint violated");
            return Self::Conflict("this already exists".to_owned());
        }
        if crate::db::is_outage(&error) {
            tracing::warn!(error = %error, "database unavailable");
            return Self::Unavailable;
        }
        tracing::error!(error = %error, "database error");
        Self::Internal
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let message = error.message();
        async_graphql::Error::new(message).extend_with(|_, extensions| {
            extensions.set("code", error.code());
            if let ApiError::BadUserInput { field, .. } = &error {
                extensions.set("field", field.clone());
            }
        })
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        self.clone().into()
    }
}

/// Result of domain functions.
pub type ApiResult<T> = Result<T, ApiError>;
