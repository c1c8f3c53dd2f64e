use crate::error::AppError;
use leptos::prelude::*;

/// Sets the HTTP status of a server-rendered page (no-op in the browser).
pub fn set_http_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(resp), Ok(code)) =
        (use_context::<leptos_axum::ResponseOptions>(), axum::http::StatusCode::from_u16(_code))
    {
        resp.set_status(code);
    }
}

/// A full-width error panel for a page that could not load.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    set_http_status(error.status());
    let title = match &error {
        AppError::NotAMember | AppError::AdminOnly | AppError::PrimaryAdminOnly => "No access",
        AppError::NotFound { .. } => "Not found",
        _ => "Something went wrong",
    };
    view! {
        <section class="panel error-panel" role="alert" data-error-code=error.code()>
            <h1>{title}</h1>
            <p>{error.to_string()}</p>
            <p><a href="/">"Back to your teams"</a></p>
        </section>
    }
}

#[component]
pub fn Loading(#[prop(into)] what: String) -> impl IntoView {
    view! { <p class="loading" aria-busy="true">{format!("Loading {what}…")}</p> }
}
