use crate::error::AppError;
use crate::server::invitations::{invitation_info, AcceptInvitation, InvitationSummary};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// `/invite/:token`: the link from the invitation email.
#[component]
pub fn AcceptInvite() -> impl IntoView {
    let params = use_params_map();
    let info = Resource::new(move || params.read().get("token").unwrap_or_default(), invitation_info);
    view! {
        <Title text="Accept invitation"/>
        <main class="sign-in">
            <section class="panel sign-in-panel">
                <div class="brand brand-large" aria-hidden="true"><span class="brand-mark"></span>"Tessera"</div>
                <Suspense fallback=|| view! { <p class="loading">"Checking your invitation…"</p> }>
                    {move || Suspend::new(async move {
                        match info.await {
                            Ok(info) => Either::Left(view! { <AcceptForm info/> }),
                            Err(e) => Either::Right(view! { <Refused error=e/> }),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

#[component]
fn Refused(error: AppError) -> impl IntoView {
    crate::components::status::set_http_status(error.status());
    view! {
        <h1>"This invitation can't be used"</h1>
        <p class="form-error" role="alert" data-testid="invite-refused">{error.to_string()}</p>
        <p><a href="/sign-in">"Go to sign in"</a></p>
    }
}

#[component]
fn AcceptForm(info: InvitationSummary) -> impl IntoView {
    let params = use_params_map();
    let token = params.read_untracked().get("token").unwrap_or_default();
    let action = ServerAction::<AcceptInvitation>::new();
    let error = move || action.value().get().and_then(Result::err);
    let field_error = move |f: &'static str| error().filter(|e| e.field() == Some(f)).map(|e| e.to_string());
    let form_error = move || error().filter(|e| e.field().is_none()).map(|e| e.to_string());
    let needs_password = info.needs_password;
    // The browser must load /sso (a server page), not route to it.
    let sso = info.sso.then(|| {
        let href = format!("/sso?invitation={}", crate::components::layout::urlencode(&token));
        view! {
            <a class="button wide" rel="external" href=href data-testid="accept-sso">"Accept with single sign-on"</a>
            <p class="help">{if needs_password { "Or choose a password for your Tessera account:" } else { "Or accept with your Tessera password:" }}</p>
        }
    });
    view! {
        <h1>{format!("Join {}", info.team_name)}</h1>
        <p class="lede">{format!("You were invited as {} ({}).", info.name, info.email)}</p>
        {sso}
        <ActionForm action=action>
            <input type="hidden" name="token" value=token/>
            <div class="field">
                <label for="password">{if needs_password { "Choose a password" } else { "Your Tessera password" }}</label>
                <input id="password" name="password" type="password" required
                    autocomplete=if needs_password { "new-password" } else { "current-password" }
                    aria-describedby="password-error"/>
                <p id="password-error" class="field-error">{move || field_error("password")}</p>
                {needs_password.then(|| view! { <p class="help">"At least 10 characters."</p> })}
            </div>
            {needs_password.then(|| view! {
                <div class="field">
                    <label for="confirm">"Type it again"</label>
                    <input id="confirm" name="confirm" type="password" required autocomplete="new-password" aria-describedby="confirm-error"/>
                    <p id="confirm-error" class="field-error">{move || field_error("confirm")}</p>
                </div>
            })}
            <p class="form-error" role="alert" data-testid="invite-error">{form_error}</p>
            <button type="submit" class="button primary wide" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Joining…" } else { "Accept invitation" }}
            </button>
        </ActionForm>
    }
}
