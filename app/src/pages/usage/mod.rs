//! Usage views (R-USE1), for team admins: the Flex summary with its chart and forecast,
//! use by product (with a drill-down to a product's people), use by user, and seat usage.
//!
//! Every view keeps its state in the URL query (`from`, `to`, `sort`, `dir`, `q`, `page`),
//! so it reads and filters without JavaScript (plain GET forms and links) and, once
//! hydrated, the same forms and links navigate in place.
mod advice;
mod products;
mod seats;
mod summary;
mod users;

pub use advice::UsageAdvicePage;
pub use products::{UsageProductPage, UsageProductsPage};
pub use seats::SeatUsagePage;
pub use summary::UsageSummaryPage;
pub use users::UsageUsersPage;

use crate::components::status::{set_http_status, ErrorPanel};
use crate::components::table::{encode, query_pairs, query_url};
use crate::error::AppError;
use crate::server::usage::RangeView;
use chrono::{Duration, Months, NaiveDate};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;

/// The team id from the route.
fn use_team() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get("team").unwrap_or_default()
}

/// `?from=..&to=..` of the current URL (empty if neither is set), to carry between views.
fn range_suffix(from: Option<String>, to: Option<String>) -> String {
    let parts: Vec<String> = [("from", from), ("to", to)]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| format!("{k}={}", encode(&v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// The same, for the current URL's query, as a reactive closure.
fn use_range_suffix() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || {
        let q = query.read();
        range_suffix(q.get("from"), q.get("to"))
    }
}

/// The preset ranges offered beside the date inputs, ending today: (label, from, to).
pub fn presets(today: &str) -> Vec<(&'static str, String, String)> {
    let Ok(t) = NaiveDate::parse_from_str(today, "%Y-%m-%d") else {
        return vec![];
    };
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let back = |n: i64| day(t - Duration::days(n - 1));
    let year = t
        .checked_sub_months(Months::new(12))
        .map(|d| day(d + Duration::days(1)))
        .unwrap_or_else(|| back(365));
    vec![
        ("Last 7 days", back(7), day(t)),
        ("Last 30 days", back(30), day(t)),
        ("Last 90 days", back(90), day(t)),
        ("Last 12 months", year, day(t)),
    ]
}

/// "2026-10-05 to 2026-11-03".
fn range_text(r: &RangeView) -> String {
    format!("{} to {}", r.from, r.to)
}

/// Whole days from `today` to `day` (negative when past), if both parse.
fn days_between(today: &str, day: &str) -> Option<i64> {
    let a = NaiveDate::parse_from_str(today, "%Y-%m-%d").ok()?;
    let b = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some((b - a).num_days())
}

/// "1 person" / "2,000 people" and the like.
fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", crate::components::table::fmt_int(n))
    }
}

/// The tabs shared by every usage view; the date range travels with them.
#[component]
fn UsageTabs() -> impl IntoView {
    let team = use_team();
    let suffix = use_range_suffix();
    let location = use_location();
    let tabs: [(&'static str, &'static str); 5] = [
        ("Summary", ""),
        ("By product", "/products"),
        ("By user", "/users"),
        ("Seats", "/seats"),
        ("Advice", "/advice"),
    ];
    view! {
        <nav class="tabs" aria-label="Usage views" data-testid="usage-tabs">
            {tabs.into_iter().map(|(label, sub)| {
                let base = move || format!("/t/{}/usage{sub}", team());
                let current = move || {
                    let path = location.pathname.get();
                    let path = path.trim_end_matches('/');
                    let base = base();
                    let on = if sub.is_empty() { path == base } else { path == base || path.starts_with(&format!("{base}/")) };
                    on.then_some("page")
                };
                view! { <a class="tab" href=move || format!("{}{}", base(), suffix()) aria-current=current>{label}</a> }
            }).collect_view()}
        </nav>
    }
}

/// The date range: two date inputs in a GET form (submitting reloads the view for that
/// range, with or without JavaScript) and preset links ending today. Other query keys
/// (sort, search) are kept; the page goes back to the first.
#[component]
fn RangeFilter(range: Option<RangeView>) -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let (from, to) = match &range {
        Some(r) => (r.from.clone(), r.to.clone()),
        None => {
            let q = query.read_untracked();
            (q.get("from").unwrap_or_default(), q.get("to").unwrap_or_default())
        }
    };
    let today = range.as_ref().map(|r| r.today.clone());
    let kept = move || {
        query_pairs(&query.read())
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_str(), "from" | "to" | "page"))
            .collect::<Vec<_>>()
    };
    let action = move || location.pathname.get();
    // Once hydrated, submitting navigates in place with the same query a plain GET would
    // send (leptos_router's <Form> would add an empty "=" pair for the unnamed button).
    let (from_value, to_value) = (RwSignal::new(from.clone()), RwSignal::new(to.clone()));
    let navigate = use_navigate();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let url = query_url(
            &location.pathname.get_untracked(),
            &query_pairs(&query.read_untracked()),
            &[
                ("from", from_value.get_untracked()),
                ("to", to_value.get_untracked()),
                ("page", String::new()),
            ],
        );
        navigate(&url, NavigateOptions::default());
    };
    let preset_links = today.as_deref().map(presets).unwrap_or_default().into_iter().map(|(label, f, t)| {
        let on = range.as_ref().is_some_and(|r| r.from == f && r.to == t);
        let href = {
            let (f, t) = (f.clone(), t.clone());
            move || {
                query_url(&location.pathname.get(), &query_pairs(&query.read()), &[
                    ("from", f.clone()),
                    ("to", t.clone()),
                    ("page", String::new()),
                ])
            }
        };
        view! { <a class="chip" href=href aria-current=on.then_some("true") data-testid="range-preset">{label}</a> }
    }).collect_view();
    view! {
        <div class="range-filter" data-testid="range-filter">
            <form method="get" action=action on:submit=on_submit>
                <div class="range-fields">
                    <label for="usage-from">"From"</label>
                    <input type="date" id="usage-from" name="from" value=from max=today.clone() data-testid="range-from"
                        on:input=move |ev| from_value.set(event_target_value(&ev))/>
                    <label for="usage-to">"To"</label>
                    <input type="date" id="usage-to" name="to" value=to max=today.clone() data-testid="range-to"
                        on:input=move |ev| to_value.set(event_target_value(&ev))/>
                    {move || kept().into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
                    <button type="submit" class="button" data-testid="range-apply">"Apply"</button>
                </div>
            </form>
            <nav class="chips" aria-label="Date range presets">{preset_links}</nav>
        </div>
    }
}

/// A failed view: a wrong date range is explained next to the filter, anything else gets
/// the usual error panel.
#[component]
fn UsageError(error: AppError) -> impl IntoView {
    match error {
        AppError::Invalid { message, .. } => {
            set_http_status(400);
            Either::Left(view! {
                <section class="panel empty-state" role="alert" data-testid="range-error">
                    <p class="form-error">{message}</p>
                    <p>"Pick a start and end date (the end no later than today), or choose one of the preset ranges."</p>
                </section>
            })
        }
        other => Either::Right(view! { <ErrorPanel error=other/> }),
    }
}

/// A sortable column header for the usage tables: the server applies the sort, so the
/// header shows the sort the data came back with. A first click sorts numbers and dates
/// from the largest, names from A; a second reverses.
#[component]
fn SortTh(
    #[prop(into)] label: String,
    key: &'static str,
    /// The sort and direction the data was sorted by.
    sort: String,
    dir: String,
    #[prop(optional)] num: bool,
    #[prop(optional, into)] class: Option<String>,
) -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let active = sort == key;
    let desc = dir == "desc";
    let next = if active {
        if desc {
            "asc"
        } else {
            "desc"
        }
    } else if key == "name" {
        "asc"
    } else {
        "desc"
    };
    let href = move || {
        query_url(
            &location.pathname.get(),
            &query_pairs(&query.read()),
            &[("sort", key.to_string()), ("dir", next.to_string()), ("page", String::new())],
        )
    };
    let aria = match (active, desc) {
        (true, true) => "descending",
        (true, false) => "ascending",
        _ => "none",
    };
    let mark = match (active, desc) {
        (true, true) => " ↓",
        (true, false) => " ↑",
        _ => "",
    };
    let class = match (num, class) {
        (true, Some(c)) => format!("num {c}"),
        (true, None) => "num".to_string(),
        (false, Some(c)) => c,
        (false, None) => String::new(),
    };
    let hint = format!(
        "Sort by {} {}",
        label.to_lowercase(),
        if next == "asc" { "ascending" } else { "descending" }
    );
    view! {
        <th scope="col" aria-sort=aria class=class data-sort=key>
            <a href=href class="sort" title=hint>{label}<span aria-hidden="true" class="sort-mark">{mark}</span></a>
        </th>
    }
}

/// A search box for the people tables: a GET form (Enter submits without JavaScript) that,
/// once hydrated, also searches as you type. The range and sort are kept; the page resets.
#[component]
fn UsageSearch() -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    let pending: StoredValue<Option<TimeoutHandle>> = StoredValue::new(None);
    // A search typed just before leaving the page must not fire (and navigate) afterwards.
    on_cleanup(move || {
        if let Some(Some(h)) = pending.try_get_value() {
            h.clear();
        }
    });
    let typed = RwSignal::new(query.read_untracked().get("q").unwrap_or_default());
    let search = move |value: String, replace: bool| {
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        let q = if value.trim().is_empty() { String::new() } else { value };
        let url = query_url(
            &location.pathname.get_untracked(),
            &query_pairs(&query.read_untracked()),
            &[("q", q), ("page", String::new())],
        );
        navigate(&url, NavigateOptions { replace, scroll: false, ..Default::default() });
    };
    let on_input = {
        let search = search.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            typed.set(value.clone());
            if let Some(h) = pending.get_value() {
                h.clear();
            }
            let search = search.clone();
            let handle =
                set_timeout_with_handle(move || search(value, true), std::time::Duration::from_millis(250));
            pending.set_value(handle.ok());
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        search(typed.get_untracked(), false);
    };
    let kept = move || {
        query_pairs(&query.read())
            .into_iter()
            .filter(|(k, _)| matches!(k.as_str(), "from" | "to" | "sort" | "dir"))
            .collect::<Vec<_>>()
    };
    view! {
        <form method="get" action=move || location.pathname.get() role="search" class="search" on:submit=on_submit>
            <label class="visually-hidden" for="usage-search">"Search people"</label>
            <input id="usage-search" type="search" name="q" autocomplete="off"
                placeholder="Search by name or email"
                value=query.read_untracked().get("q").unwrap_or_default()
                prop:value=move || query.read().get("q").unwrap_or_default()
                on:input=on_input data-testid="search"/>
            {move || kept().into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
            <button type="submit" class="button visually-hidden-until-focus">"Search"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_end_today_and_count_days_inclusively() {
        let p = presets("2026-11-03");
        assert_eq!(
            p,
            vec![
                ("Last 7 days", "2026-10-28".to_string(), "2026-11-03".to_string()),
                ("Last 30 days", "2026-10-05".to_string(), "2026-11-03".to_string()),
                ("Last 90 days", "2026-08-06".to_string(), "2026-11-03".to_string()),
                ("Last 12 months", "2025-11-04".to_string(), "2026-11-03".to_string()),
            ]
        );
        assert_eq!(presets("2024-02-29")[3].1, "2023-03-01");
        assert!(presets("not a day").is_empty());
    }

    #[test]
    fn range_suffix_keeps_only_set_dates() {
        assert_eq!(range_suffix(None, None), "");
        assert_eq!(range_suffix(Some("2026-10-01".into()), None), "?from=2026-10-01");
        assert_eq!(
            range_suffix(Some("2026-10-01".into()), Some("2026-10-31".into())),
            "?from=2026-10-01&to=2026-10-31"
        );
        assert_eq!(range_suffix(Some(String::new()), Some("x y".into())), "?to=x%20y");
    }

    #[test]
    fn day_differences_and_counts() {
        assert_eq!(days_between("2026-11-03", "2026-11-04"), Some(1));
        assert_eq!(days_between("2026-11-03", "2027-01-01"), Some(59));
        assert_eq!(days_between("2026-11-03", "bad"), None);
        assert_eq!(count(1, "person", "people"), "1 person");
        assert_eq!(count(2000, "person", "people"), "2,000 people");
    }
}
