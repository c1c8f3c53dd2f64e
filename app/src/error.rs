//! The console's one error type: what server functions return, what pages render.
//! Each variant has a message for people (`Display`) and a stable `code()` for programs.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("The email address or password is not right. Check both and try again.")]
    BadCredentials,
    #[error("You don't have access to this team. Ask one of its admins to add you, or pick another team.")]
    NotAMember,
    #[error("Only an admin of this team can do that.")]
    AdminOnly,
    /// R-UM5: giving or taking admin roles, handing the primary role on.
    #[error("Only the team's primary admin gives or takes the admin and SSO admin roles.")]
    PrimaryAdminOnly,
    #[error("{what} was not found.")]
    NotFound { what: String },
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("Too many failed sign-in attempts for this address. Try again in {} minute(s).", minutes_ceil(*retry_after_secs))]
    Throttled { retry_after_secs: i64 },
    /// Too many password checks from one network address, whatever the accounts.
    #[error("Too many sign-in attempts from your network. Try again in {} minute(s).", minutes_ceil(*retry_after_secs))]
    RateLimited { retry_after_secs: i64 },
    #[error("{message}")]
    Conflict { message: String },
    /// A link that worked once and no longer does (used, expired, replaced).
    #[error("{message}")]
    Gone { message: String },
    #[error("Something went wrong on our side (reference {reference}). Try again; if it keeps happening, contact support with the reference.")]
    Internal { reference: String },
    #[error(
        "The server could not be reached or answered oddly ({detail}). Check your connection and try again."
    )]
    Transport { detail: String },
}

fn minutes_ceil(secs: i64) -> i64 {
    (secs.max(1) + 59) / 60
}

impl AppError {
    pub fn invalid(field: &str, message: impl ToString) -> Self {
        AppError::Invalid { field: field.to_string(), message: message.to_string() }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound { what: what.into() }
    }

    /// Stable machine-readable code, used by the REST APIs and tests.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::BadCredentials => "bad_credentials",
            AppError::NotAMember => "not_a_member",
            AppError::AdminOnly => "admin_only",
            AppError::PrimaryAdminOnly => "primary_admin_only",
            AppError::NotFound { .. } => "not_found",
            AppError::Invalid { .. } => "invalid",
            AppError::Throttled { .. } => "throttled",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Conflict { .. } => "conflict",
            AppError::Gone { .. } => "gone",
            AppError::Internal { .. } => "internal",
            AppError::Transport { .. } => "transport",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::BadCredentials => 401,
            AppError::NotAMember | AppError::AdminOnly | AppError::PrimaryAdminOnly => 403,
            AppError::NotFound { .. } => 404,
            AppError::Invalid { .. } => 400,
            AppError::Throttled { .. } | AppError::RateLimited { .. } => 429,
            AppError::Conflict { .. } => 409,
            AppError::Gone { .. } => 410,
            AppError::Internal { .. } => 500,
            AppError::Transport { .. } => 502,
        }
    }

    /// The field an `Invalid` error belongs to, for inline display next to that input.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;
    use crate::store::StoreError;

    impl AppError {
        /// A failure on our side: the cause is logged here, once, with a short reference;
        /// people see only the reference.
        pub fn internal(cause: impl std::fmt::Display) -> Self {
            let reference = crate::store::new_id()[24..].to_string();
            tracing::error!(%reference, %cause, "internal error");
            AppError::Internal { reference }
        }
    }

    impl From<StoreError> for AppError {
        fn from(e: StoreError) -> Self {
            match e {
                StoreError::NotFound => AppError::not_found("The record"),
                StoreError::Duplicate(what) => {
                    AppError::Conflict { message: format!("There is already {what}.") }
                }
                other => AppError::internal(other),
            }
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(e: sqlx::Error) -> Self {
            StoreError::from(e).into()
        }
    }
}

impl From<crate::domain::vendor::FieldError> for AppError {
    fn from(e: crate::domain::vendor::FieldError) -> Self {
        AppError::invalid(e.field, e)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail) => {
                AppError::invalid("", format!("The request was malformed: {detail}"))
            }
            other => AppError::Transport { detail: other.to_string() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_a_stable_code() {
        let json = serde_json::to_value(AppError::Throttled { retry_after_secs: 61 }).unwrap();
        assert_eq!(json["code"], "throttled");
        assert_eq!(
            AppError::Throttled { retry_after_secs: 61 }.to_string(),
            "Too many failed sign-in attempts for this address. Try again in 2 minute(s)."
        );
        let back: AppError = serde_json::from_value(json).unwrap();
        assert_eq!(back.code(), "throttled");
    }

    #[test]
    fn a_per_ip_limit_does_not_blame_the_address() {
        let e = AppError::RateLimited { retry_after_secs: 30 };
        assert_eq!((e.code(), e.status()), ("rate_limited", 429));
        assert_eq!(e.to_string(), "Too many sign-in attempts from your network. Try again in 1 minute(s).");
    }
}
