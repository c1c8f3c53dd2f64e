use crate::error::AppError;
use crate::server::auth::{whoami, SignIn as SignInFn};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignIn() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <Title text="Sign in"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(_)) => Either::Left(view! { <Redirect path="/"/> }),
                    _ => Either::Right(view! { <SignInForm/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SignInForm() -> impl IntoView {
    let action = ServerAction::<SignInFn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || action.value().get().and_then(Result::err);
    let field_error =
        move |field: &'static str| error().filter(|e| e.field() == Some(field)).map(|e| e.to_string());
    let form_error =
        move || error().filter(|e| !matches!(e, AppError::Invalid { .. })).map(|e| e.to_string());
    view! {
        <main class="sign-in">
            <section class="panel sign-in-panel">
                <div class="brand brand-large" aria-hidden="true">
                    <span class="brand-mark"></span>
                    "Tessera"
                </div>
                <h1>"Sign in"</h1>
                <p class="lede">"Use your Tessera account to manage your teams, products and Flex tokens."</p>
                <ActionForm action=action attr:novalidate=true>
                    <input type="hidden" name="next" prop:value=next/>
                    <div class="field">
                        <label for="email">"Email address"</label>
                        <input id="email" name="email" type="email" autocomplete="username" required
                            aria-invalid=move || field_error("email").is_some().to_string()
                            aria-describedby="email-error"/>
                        <p id="email-error" class="field-error">{move || field_error("email")}</p>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required
                            aria-invalid=move || field_error("password").is_some().to_string()
                            aria-describedby="password-error"/>
                        <p id="password-error" class="field-error">{move || field_error("password")}</p>
                    </div>
                    <p class="form-error" role="alert" data-testid="sign-in-error">{form_error}</p>
                    <button type="submit" class="button primary wide" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <a class="sso-link" href=move || format!("/sso?next={}", encode_query(&next()))>"Sign in with single sign-on"</a>
            </section>
        </main>
    }
}

/// Percent-encodes a value for a query string.
fn encode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
