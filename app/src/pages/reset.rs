//! R-ACC1: "Forgot your password?" and the emailed link's page.
use crate::components::status::Loading;
use crate::server::account::{reset_info, RequestPasswordReset, ResetPassword};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn brand() -> impl IntoView {
    view! {
        <div class="brand brand-large" aria-hidden="true">
            <span class="brand-mark"></span>
            "Tessera"
        </div>
    }
}

#[component]
pub fn ForgotPassword() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    view! {
        <Title text="Forgot your password?"/>
        <main class="sign-in">
            <section class="panel sign-in-panel">
                {brand()}
                <h1>"Forgot your password?"</h1>
                {move || match action.value().get() {
                    Some(Ok(())) => Either::Left(view! {
                        <p class="toast" role="status" data-testid="reset-requested">
                            "If an account has this address, we have emailed it a link to choose a new password. The link works once, for one hour."
                        </p>
                        <p><a href="/sign-in">"Back to sign-in"</a></p>
                    }),
                    other => Either::Right(view! {
                        <p class="lede">"Enter the address you sign in with. We email it a link to choose a new password."</p>
                        <ActionForm action=action>
                            <div class="field">
                                <label for="reset-email">"Email address"</label>
                                <input id="reset-email" name="email" type="email" autocomplete="username" required=true/>
                            </div>
                            {other.and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
                            <button type="submit" class="button primary wide" data-testid="request-reset" disabled=move || action.pending().get()>
                                {move || if action.pending().get() { "Sending…" } else { "Email me a link" }}
                            </button>
                        </ActionForm>
                        <p><a href="/sign-in">"Back to sign-in"</a></p>
                    }),
                }}
            </section>
        </main>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let info = Resource::new(token, reset_info);
    let action = ServerAction::<ResetPassword>::new();
    view! {
        <Title text="Choose a new password"/>
        <main class="sign-in">
            <section class="panel sign-in-panel">
                {brand()}
                <h1>"Choose a new password"</h1>
                <Suspense fallback=|| view! { <Loading what="your link"/> }>
                    {move || Suspend::new(async move {
                        match info.await {
                            Ok(email) => Either::Left(view! {
                                <p class="lede">{format!("For {email}. Setting it signs you out everywhere else.")}</p>
                                <ActionForm action=action>
                                    <input type="hidden" name="token" value=token()/>
                                    <div class="field">
                                        <label for="reset-password">"New password"</label>
                                        <input id="reset-password" name="password" type="password" autocomplete="new-password" required=true/>
                                    </div>
                                    <div class="field">
                                        <label for="reset-confirm">"New password again"</label>
                                        <input id="reset-confirm" name="confirm" type="password" autocomplete="new-password" required=true/>
                                    </div>
                                    {move || action.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert" data-testid="reset-error">{e.to_string()}</p> })}
                                    <button type="submit" class="button primary wide" data-testid="set-password" disabled=move || action.pending().get()>
                                        {move || if action.pending().get() { "Saving…" } else { "Set new password" }}
                                    </button>
                                </ActionForm>
                            }),
                            Err(e) => Either::Right(view! {
                                <p class="form-error" role="alert" data-testid="reset-refused">{e.to_string()}</p>
                                <p><a href="/forgot-password">"Ask for a new link"</a></p>
                            }),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}
