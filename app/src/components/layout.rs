use crate::components::status::ErrorPanel;
use crate::server::auth::{whoami, Me, SignOut};
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::{use_location, use_navigate, use_params_map};
use leptos_router::NavigateOptions;

/// The console frame for `/t/:team/...`: left navigation, top bar with the team switcher
/// and account menu, and the page in `<main>`.
#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => EitherOf3::A(view! { <Frame me/> }),
                    Ok(None) => {
                        let next = location.pathname.get_untracked();
                        EitherOf3::B(view! { <Redirect path=format!("/sign-in?next={}", urlencode(&next))/> })
                    }
                    Err(e) => EitherOf3::C(view! { <main class="centered"><ErrorPanel error=e/></main> }),
                }
            })}
        </Suspense>
    }
}

/// Percent-encodes a value for a query string or a data: URL.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn Frame(me: Me) -> impl IntoView {
    let params = use_params_map();
    let team = Memo::new(move |_| params.read().get("team").unwrap_or_default());
    let teams = StoredValue::new(me.teams.clone());
    // People and settings pages are for the team's admins; members see their home page.
    let is_admin = move || {
        let id = team.get();
        teams.with_value(|ts| ts.iter().any(|t| t.id == id && t.admin))
    };
    // R-UM5: SSO admins see the sign-in and directory page (and their home and tokens) only.
    let runs_sign_in = move || {
        let id = team.get();
        teams.with_value(|ts| ts.iter().any(|t| t.id == id && t.sign_in_admin))
    };
    let team_name = move || {
        let id = team.get();
        teams.with_value(|ts| ts.iter().find(|t| t.id == id).map(|t| t.name.clone()))
    };
    view! {
        <div class="console">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <nav class="sidebar" aria-label="Console">
                <div class="brand"><span class="brand-mark" aria-hidden="true"></span>"Tessera"</div>
                <ul>
                    <li><A href=move || format!("/t/{}", team.get()) exact=true>"Home"</A></li>
                    <Show when=is_admin>
                        <li><A href=move || format!("/t/{}/products", team.get())>"Users by product"</A></li>
                        <li><A href=move || format!("/t/{}/users", team.get())>"Users by user"</A></li>
                        <li><A href=move || format!("/t/{}/groups", team.get())>"Users by group"</A></li>
                        <li><A href=move || format!("/t/{}/invitations", team.get())>"Pending invitations"</A></li>
                    </Show>
                    // Every member sees the team's tokens; moving them is for admins.
                    <li><A href=move || format!("/t/{}/flex", team.get())>"Flex tokens"</A></li>
                    <Show when=is_admin>
                        <li><A href=move || format!("/t/{}/usage", team.get())>"Usage"</A></li>
                        <li><A href=move || format!("/t/{}/settings", team.get())>"Team settings"</A></li>
                        <li><A href=move || format!("/t/{}/apps", team.get())>"Apps"</A></li>
                    </Show>
                    <Show when=runs_sign_in>
                        <li><A href=move || format!("/t/{}/directory", team.get())>"Sign-in and directory"</A></li>
                    </Show>
                </ul>
            </nav>
            <header class="topbar">
                <TeamSwitcher current=team teams=me.teams.clone()/>
                <span class="current-team" data-testid="current-team">{team_name}</span>
                <AccountMenu name=me.name.clone() email=me.email.clone()/>
            </header>
            <main id="main" class="content" tabindex="-1">
                <Outlet/>
            </main>
        </div>
    }
}

#[component]
fn TeamSwitcher(current: Memo<String>, teams: Vec<crate::server::auth::TeamChoice>) -> impl IntoView {
    let navigate = use_navigate();
    let on_change = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        navigate(&format!("/t/{id}"), NavigateOptions::default());
    };
    view! {
        <label class="team-switcher">
            <span class="visually-hidden">"Team"</span>
            <select on:change=on_change data-testid="team-switcher" prop:value=move || current.get()>
                {teams.into_iter().map(|t| {
                    let id = t.id.clone();
                    view! {
                        <option value=t.id selected=move || current.get() == id>
                            {t.name}{match t.role.as_str() {
                                "primary_admin" | "admin" => "",
                                "sso_admin" => " (SSO admin)",
                                _ => " (member)",
                            }}
                        </option>
                    }
                }).collect_view()}
            </select>
        </label>
    }
}

#[component]
fn AccountMenu(name: String, email: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let sign_out = ServerAction::<SignOut>::new();
    let initials: String = name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect();
    view! {
        <div class="account-menu"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { open.set(false) }>
            <button type="button" class="account-button" aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls="account-menu-items"
                data-testid="account-menu"
                on:click=move |_| open.update(|o| *o = !*o)>
                <span class="avatar" aria-hidden="true">{initials}</span>
                <span class="account-name">{name.clone()}</span>
            </button>
            <div id="account-menu-items" class="menu" role="menu" hidden=move || !open.get()>
                <p class="menu-who"><strong>{name.clone()}</strong><br/><span class="muted">{email}</span></p>
                <a role="menuitem" class="menu-item" href="/account" data-testid="my-account">"Your account"</a>
                <ActionForm action=sign_out>
                    <button type="submit" role="menuitem" class="menu-item" disabled=move || sign_out.pending().get()>
                        {move || if sign_out.pending().get() { "Signing out…" } else { "Sign out" }}
                    </button>
                </ActionForm>
            </div>
        </div>
    }
}
