//! Pieces every list page uses: a search box that filters as you type (debounced, on the
//! server), sortable column headers, pagination with a row count, and status badges.
//! State lives in the URL query, so lists work without JavaScript and links are shareable.
pub use crate::domain::display::fmt_int;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use std::time::Duration;

pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The current path with `changes` applied to its query (an empty value removes the key).
pub fn query_url(path: &str, current: &[(String, String)], changes: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> =
        current.iter().filter(|(k, _)| !changes.iter().any(|(c, _)| c == k)).cloned().collect();
    for (k, v) in changes {
        if !v.is_empty() {
            pairs.push((k.to_string(), v.clone()));
        }
    }
    if pairs.is_empty() {
        path.to_string()
    } else {
        let qs: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        format!("{path}?{}", qs.join("&"))
    }
}

/// Puts `ids` in a selection or takes them out of it: what a row's checkbox, or a page's,
/// does when it is ticked (`on`) or cleared.
pub fn mark<'a>(
    selection: RwSignal<std::collections::BTreeSet<String>>,
    ids: impl IntoIterator<Item = &'a String>,
    on: bool,
) {
    selection.update(|s| {
        for id in ids {
            if on {
                s.insert(id.clone());
            } else {
                s.remove(id);
            }
        }
    });
}

pub fn query_pairs(map: &leptos_router::params::ParamsMap) -> Vec<(String, String)> {
    map.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn current_pairs() -> impl Fn() -> Vec<(String, String)> + Copy {
    let query = use_query_map();
    move || query_pairs(&query.read())
}

#[component]
pub fn SearchBox(#[prop(into)] label: String, #[prop(into)] placeholder: String) -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    let pairs = current_pairs();
    let pending: StoredValue<Option<TimeoutHandle>> = StoredValue::new(None);
    // A search typed just before leaving the page must not fire afterwards: it would read
    // this page's disposed state (a panic in the browser) and navigate back to it.
    on_cleanup(move || {
        if let Some(Some(h)) = pending.try_get_value() {
            h.clear();
        }
    });
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let navigate = navigate.clone();
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                let url = query_url(
                    &location.pathname.get_untracked(),
                    &pairs(),
                    &[("q", value.trim().to_string()), ("page", String::new())],
                );
                navigate(&url, NavigateOptions { replace: true, scroll: false, ..Default::default() });
            },
            Duration::from_millis(250),
        );
        pending.set_value(handle.ok());
    };
    view! {
        <form method="get" role="search" class="search" on:submit=|ev| ev.prevent_default()>
            <label class="visually-hidden" for="search">{label}</label>
            <input id="search" type="search" name="q" autocomplete="off" placeholder=placeholder
                prop:value=move || query.read().get("q").unwrap_or_default()
                on:input=on_input data-testid="search"/>
        </form>
    }
}

/// A column header that sorts by `key`; a second click reverses the order.
#[component]
pub fn SortHeader(
    #[prop(into)] label: String,
    key: &'static str,
    #[prop(optional)] default: bool,
) -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let pairs = current_pairs();
    let active = move || query.read().get("sort").map(|s| s == key).unwrap_or(default);
    let desc = move || query.read().get("desc").is_some_and(|d| d == "true");
    let href = move || {
        let next_desc = active() && !desc();
        query_url(
            &location.pathname.get(),
            &pairs(),
            &[
                ("sort", key.to_string()),
                ("desc", if next_desc { "true".into() } else { String::new() }),
                ("page", String::new()),
            ],
        )
    };
    let aria = move || match (active(), desc()) {
        (true, true) => "descending",
        (true, false) => "ascending",
        _ => "none",
    };
    view! {
        <th scope="col" aria-sort=aria>
            <a href=href class="sort">{label}<span aria-hidden="true" class="sort-mark">{move || match (active(), desc()) { (true, true) => " ↓", (true, false) => " ↑", _ => "" }}</span></a>
        </th>
    }
}

/// "1–50 of 10,000" with previous/next links.
#[component]
pub fn Pager(total: i64, offset: i64, limit: i64) -> impl IntoView {
    let location = use_location();
    let pairs = current_pairs();
    let first = if total == 0 { 0 } else { offset + 1 };
    let last = (offset + limit).min(total);
    let page = offset / limit.max(1) + 1;
    let link = move |p: i64| {
        query_url(
            &location.pathname.get(),
            &pairs(),
            &[("page", if p <= 1 { String::new() } else { p.to_string() })],
        )
    };
    let has_prev = offset > 0;
    let has_next = offset + limit < total;
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="count" data-testid="row-count">{format!("{}–{} of {}", fmt_int(first), fmt_int(last), fmt_int(total))}</span>
            {has_prev.then(|| view! { <a class="button" href=move || link(page - 1) rel="prev">"Previous"</a> })}
            {has_next.then(|| view! { <a class="button" href=move || link(page + 1) rel="next">"Next"</a> })}
        </nav>
    }
}

/// The product access option as a badge: its class and its word (never colour alone).
pub fn access_badge(access: crate::domain::licensing::LicenseType) -> (&'static str, &'static str) {
    use crate::domain::licensing::LicenseType;
    let class = match access {
        LicenseType::Trial => "badge badge-trial",
        LicenseType::Flex => "badge badge-flex",
        LicenseType::Subscription => "badge badge-subscription",
    };
    (class, access.label())
}

/// Status as coloured text badges (never colour alone).
#[component]
pub fn MemberBadges(
    status: String,
    guest: bool,
    role: String,
    /// R-DIR1: synced from the company's directory.
    #[prop(optional)]
    synced: bool,
) -> impl IntoView {
    use crate::domain::membership::MemberRole;
    // R-UM5: every role but a plain member's shows, the primary admin's most strongly.
    let role = MemberRole::from_code(&role).filter(|r| *r != MemberRole::Member);
    let role_class = |r: MemberRole| {
        if r == MemberRole::PrimaryAdmin {
            "badge badge-admin badge-primary"
        } else {
            "badge badge-admin"
        }
    };
    let (class, label) = match status.as_str() {
        "active" => ("badge badge-active", "Active"),
        "expired" => ("badge badge-expired", "Invitation expired"),
        "not_invited" => ("badge badge-expired", "Not invited yet"),
        _ => ("badge badge-invited", "Invited"),
    };
    view! {
        <span class=class>{label}</span>
        {guest.then(|| view! { " " <span class="badge badge-guest">"Guest"</span> })}
        {role.map(|r| view! { " " <span class=role_class(r) data-testid="role-badge">{r.label()}</span> })}
        {synced.then(|| view! { " " <span class="badge badge-synced" data-testid="synced-badge" title="Synced from your company's directory">"Synced"</span> })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_urls_replace_and_drop_keys() {
        let cur = vec![("q".to_string(), "ada l".to_string()), ("page".to_string(), "3".to_string())];
        assert_eq!(query_url("/t/x/users", &cur, &[("page", String::new())]), "/t/x/users?q=ada%20l");
        assert_eq!(query_url("/p", &[], &[("sort", "email".into())]), "/p?sort=email");
        assert_eq!(query_url("/p", &[], &[]), "/p");
    }
}
