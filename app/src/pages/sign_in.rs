use crate::error::AppError;
use crate::server::auth::{safe_next, whoami, SignIn as SignInFn};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

#[component]
pub fn SignIn() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    let location = use_location();
    let next = move || safe_next(next_param(&location.search.get_untracked()).as_deref());
    view! {
        <Title text="Sign in"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(_)) => Either::Left(view! { <Redirect path=next()/> }),
                    _ => Either::Right(view! { <SignInForm/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SignInForm() -> impl IntoView {
    let action = ServerAction::<SignInFn>::new();
    let location = use_location();
    let next = move || next_param(&location.search.get()).unwrap_or_default();
    let error = move || action.value().get().and_then(Result::err);
    Effect::new(move |_| {
        if let Some(Ok(Some(_href))) = action.value().get() {
            #[cfg(feature = "hydrate")]
            let _ = window().location().set_href(&_href);
        }
    });
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
                <a class="sso-link" rel="external" href=move || format!("/sso?next={}", crate::components::layout::urlencode(&next()))>"Sign in with single sign-on"</a>
                <a class="sso-link" href="/forgot-password" data-testid="forgot-password">"Forgot your password?"</a>
            </section>
        </main>
    }
}

/// The `next` parameter of a raw query string, decoded once. (The router's query map
/// decodes values a second time in the browser, which turns an encoded `%20` inside `next`
/// into a space and an encoded `&` into a separator.)
fn next_param(search: &str) -> Option<String> {
    search.trim_start_matches('?').split('&').find_map(|pair| pair.strip_prefix("next=")).map(percent_decode)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_decoded_exactly_once() {
        let search =
            "?x=1&next=%2Fauthentication%2Fv2%2Fauthorize%3Fscope%3Dopenid%2520data%26state%3Da%2526b";
        assert_eq!(
            next_param(search).as_deref(),
            Some("/authentication/v2/authorize?scope=openid%20data&state=a%26b")
        );
        assert_eq!(next_param("?a=b"), None);
        assert_eq!(percent_decode("a+b%41%zz%4"), "a bA%zz%4");
    }
}
