//! R-ACC1: the signed-in person's own page: profile (what `/userinfo` returns), password,
//! console sessions, and the teams they belong to (with Leave team).
use crate::components::status::{ErrorPanel, Loading};
use crate::server::account::{my_account, AccountView, ChangePassword, SaveProfile, SignOutElsewhere};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Account() -> impl IntoView {
    let save = ServerAction::<SaveProfile>::new();
    let password = ServerAction::<ChangePassword>::new();
    let elsewhere = ServerAction::<SignOutElsewhere>::new();
    let data = Resource::new(
        move || save.version().get() + password.version().get() + elsewhere.version().get(),
        |_| my_account(),
    );
    view! {
        <Title text="Your account"/>
        <div class="account-page">
            <header class="account-top">
                <a class="brand" href="/">"Tessera"</a>
                <a href="/" data-testid="back-to-console">"Back to your teams"</a>
            </header>
            <main id="main" class="content" tabindex="-1">
                <header class="page-header">
                    <div>
                        <h1>"Your account"</h1>
                        <p class="lede">"Your name and profile as the products you sign in to see them, your password, where you are signed in, and your teams."</p>
                    </div>
                </header>
                <Suspense fallback=|| view! { <Loading what="your account"/> }>
                    {move || Suspend::new(async move {
                        match data.await {
                            Ok(acc) => Either::Left(view! { <AccountBody acc save password elsewhere/> }),
                            Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                        }
                    })}
                </Suspense>
            </main>
        </div>
    }
}

/// What the last submission of `action` did, as a toast or an alert.
#[allow(clippy::implied_bounds_in_impls)] // the Clone bound is what ServerAction's methods need
fn outcome<T: Clone + Send + Sync + 'static>(
    action: ServerAction<
        impl leptos::server_fn::ServerFn<Output = T, Error = crate::error::AppError>
            + Clone
            + Send
            + Sync
            + 'static,
    >,
    ok: &'static str,
    testid: &'static str,
) -> impl IntoView {
    move || match action.value().get() {
        Some(Ok(_)) => {
            Some(Either::Left(view! { <p class="toast" role="status" data-testid=testid>{ok}</p> }))
        }
        Some(Err(e)) => Some(Either::Right(
            view! { <p class="form-error" role="alert" data-testid=testid>{e.to_string()}</p> },
        )),
        None => None,
    }
}

#[component]
fn AccountBody(
    acc: AccountView,
    save: ServerAction<SaveProfile>,
    password: ServerAction<ChangePassword>,
    elsewhere: ServerAction<SignOutElsewhere>,
) -> impl IntoView {
    let p = acc.profile.clone();
    let field = |id: &'static str, label: &'static str, value: String, autocomplete: &'static str| {
        view! {
            <div class="field">
                <label for=format!("profile-{id}")>{label}</label>
                <input id=format!("profile-{id}") name=id type="text" value=value autocomplete=autocomplete/>
            </div>
        }
    };
    view! {
        <section class="panel" data-testid="profile">
            <h2>"Profile"</h2>
            <p class="muted">{format!("Signed in as {}. Your email address is how teams find you; it cannot be changed here.", acc.email)}</p>
            <ActionForm action=save>
                <div class="form-grid">
                    {field("name", "Full name", p.name.clone(), "name")}
                    {field("given_name", "Given name", p.given_name.clone(), "given-name")}
                    {field("family_name", "Family name", p.family_name.clone(), "family-name")}
                    {field("locale", "Language and region (such as en-US)", p.locale.clone(), "language")}
                    {field("job_title", "Job title", p.job_title.clone(), "organization-title")}
                    {field("company", "Company", p.company.clone(), "organization")}
                    {field("phone_number", "Phone", p.phone_number.clone(), "tel")}
                    {field("street_address", "Street address", p.street_address.clone(), "street-address")}
                    {field("locality", "City", p.locality.clone(), "address-level2")}
                    {field("region", "Region", p.region.clone(), "address-level1")}
                    {field("postal_code", "Postal code", p.postal_code.clone(), "postal-code")}
                    {field("country_code", "Country (two letters, such as DE)", p.country_code.clone(), "country")}
                </div>
                <button type="submit" class="button primary" data-testid="save-profile" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save profile" }}
                </button>
            </ActionForm>
            {outcome(save, "Saved. Products you sign in to see the new profile from now on.", "profile-result")}
        </section>
        {acc.has_password.then(|| view! {
            <section class="panel" data-testid="password">
                <h2>"Password"</h2>
                <p class="muted">"Changing it signs you out everywhere else."</p>
                <ActionForm action=password>
                    <div class="form-grid">
                        <div class="field">
                            <label for="current-password">"Current password"</label>
                            <input id="current-password" name="current" type="password" autocomplete="current-password" required=true/>
                        </div>
                        <div class="field">
                            <label for="new-password">"New password"</label>
                            <input id="new-password" name="password" type="password" autocomplete="new-password" required=true/>
                        </div>
                        <div class="field">
                            <label for="confirm-password">"New password again"</label>
                            <input id="confirm-password" name="confirm" type="password" autocomplete="new-password" required=true/>
                        </div>
                    </div>
                    <button type="submit" class="button primary" data-testid="change-password" disabled=move || password.pending().get()>
                        {move || if password.pending().get() { "Changing…" } else { "Change password" }}
                    </button>
                </ActionForm>
                {outcome(password, "Password changed. Every other session has ended.", "password-result")}
            </section>
        })}
        <section class="panel flush" data-testid="sessions">
            <div class="panel-head">
                <h2>"Where you are signed in"</h2>
                <ActionForm action=elsewhere>
                    <button type="submit" class="button" data-testid="sign-out-elsewhere">"Sign out everywhere else"</button>
                </ActionForm>
            </div>
            {outcome(elsewhere, "Every other session has ended.", "elsewhere-result")}
            <p class="muted pad">"Sessions signed in before this list existed are not shown, but signing out everywhere else ends them too."</p>
            <table class="table">
                <thead><tr><th scope="col">"Signed in"</th><th scope="col">"Expires"</th><th scope="col"><span class="visually-hidden">"This session"</span></th></tr></thead>
                <tbody>
                    {acc.sessions.into_iter().map(|s| view! {
                        <tr data-testid="session-row">
                            <td>{s.signed_in}</td>
                            <td>{s.expires}</td>
                            <td>{s.current.then(|| view! { <span class="badge badge-active">"This session"</span> })}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="panel flush" data-testid="my-teams">
            <div class="panel-head"><h2>"Your teams"</h2></div>
            {if acc.teams.is_empty() {
                Either::Left(view! { <p class="empty pad">"You are in no team. A team admin can invite you."</p> })
            } else {
                Either::Right(view! {
                    <ul class="team-list">
                        {acc.teams.into_iter().map(|t| view! {
                            <li>
                                <a href=format!("/t/{}", t.id)>{t.name.clone()}</a>
                                {if t.admin { " · admin" } else { "" }}
                                {if t.active { "" } else { " · invited" }}
                                {t.active.then(|| view! { " · "<a href=format!("/t/{}#leave-team", t.id)>{format!("Leave {}…", t.name)}</a> })}
                            </li>
                        }).collect_view()}
                    </ul>
                })
            }}
        </section>
    }
}
