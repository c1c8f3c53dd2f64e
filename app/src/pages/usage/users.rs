//! Use by person over the range: searchable, sortable, paginated. The product drill-down
//! shows the same table for one product's people.
use super::{count, use_team, RangeFilter, SortTh, UsageError, UsageSearch, UsageTabs};
use crate::components::status::Loading;
use crate::components::table::{fmt_int, query_pairs, query_url, Pager};
use crate::error::AppError;
use crate::server::usage::{usage_by_user, ByUserView};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn UsageUsersPage() -> impl IntoView {
    let team = use_team();
    let query = use_query_map();
    let data = Resource::new(
        move || {
            let q = query.read();
            (
                team(),
                q.get("from"),
                q.get("to"),
                q.get("q"),
                q.get("sort"),
                q.get("dir"),
                q.get("page").and_then(|p| p.parse::<i64>().ok()),
            )
        },
        |(team, from, to, q, sort, dir, page)| usage_by_user(team, from, to, None, q, sort, dir, page),
    );
    view! {
        <Title text="Usage by user"/>
        <header class="page-header">
            <div>
                <h1>"Usage by user"</h1>
                <p class="lede">"Who used which products over the range: days of use, Flex tokens and when each person last used a product."</p>
            </div>
        </header>
        <UsageTabs/>
        <UsageSearchBar data/>
        <Transition fallback=|| view! { <Loading what="usage by user"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => Either::Left(view! { <PeopleView view/> }),
                    Err(error) => Either::Right(view! { <UsageError error/> }),
                }
            })}
        </Transition>
    }
}

/// The date range and, beside it, the search box (outside the data's transition, so it
/// keeps focus while the results change as you type).
#[component]
pub(super) fn UsageSearchBar(data: Resource<Result<ByUserView, AppError>>) -> impl IntoView {
    view! {
        <div class="usage-filters">
            <Transition fallback=|| view! { <RangeFilter range=None/> }>
                {move || Suspend::new(async move {
                    let range = data.await.ok().map(|d| d.range);
                    view! { <RangeFilter range/> }
                })}
            </Transition>
            <UsageSearch/>
        </div>
    }
}

/// Totals, the table of people and the pager; an empty state that says why it is empty.
#[component]
pub(super) fn PeopleView(view: ByUserView) -> impl IntoView {
    let team = use_team();
    let query = use_query_map();
    let location = leptos_router::hooks::use_location();
    let ByUserView { range, product, rows, total, page, page_size, sort, dir, q, tokens, days_used, .. } =
        view;
    let drill = product.is_some();
    let between = format!("between {} and {}", range.from, range.to);
    if rows.is_empty() {
        let what = match &product {
            Some((_, name)) => name.clone(),
            None => "a product".to_string(),
        };
        let text = if q.is_empty() {
            format!("Nobody used {what} {between}.")
        } else {
            format!("Nobody matching “{q}” used {what} {between}.")
        };
        let wider = super::presets(&range.today).pop();
        let clear = (!q.is_empty()).then(|| {
            let href = move || {
                query_url(
                    &location.pathname.get(),
                    &query_pairs(&query.read()),
                    &[("q", String::new()), ("page", String::new())],
                )
            };
            view! { <a href=href>"Clear the search"</a>" or widen the date range" }
        });
        return Either::Left(view! {
            <section class="panel empty-state" data-testid="usage-users-empty">
                <p>{text}</p>
                <p>
                    {match clear {
                        Some(c) => Either::Left(c),
                        None => Either::Right("Use is recorded when a person opens a product while online. Widen the date range"),
                    }}
                    {wider.map(|(label, from, to)| view! {
                        ", for example to the "
                        <a href=move || {
                            query_url(
                                &location.pathname.get(),
                                &query_pairs(&query.read()),
                                &[("from", from.clone()), ("to", to.clone()), ("page", String::new())],
                            )
                        }>{label.to_lowercase()}</a>
                    })}
                    "."
                </p>
            </section>
        });
    }
    let offset = (page.max(1) - 1) * page_size;
    let totals = format!(
        "{} {between} · {} · {}",
        count(total, "person", "people"),
        count(days_used, "day of use", "days of use"),
        count(tokens, "Flex token", "Flex tokens"),
    );
    Either::Right(view! {
        <p class="totals" data-testid="usage-totals">{totals}</p>
        <section class="panel flush">
            <table class="table" data-testid="usage-users">
                <thead><tr>
                    <SortTh label="Name" key="name" sort=sort.clone() dir=dir.clone()/>
                    <SortTh label="Days used" key="days" sort=sort.clone() dir=dir.clone() num=true/>
                    <SortTh label="Tokens used" key="tokens" sort=sort.clone() dir=dir.clone() num=true/>
                    {(!drill).then(|| view! { <SortTh label="Products" key="products" sort=sort.clone() dir=dir.clone() num=true/> })}
                    <SortTh label="Last used" key="last_used" sort=sort.clone() dir=dir.clone()/>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let href = {
                            let member = r.member.clone();
                            move || format!("/t/{}/users/{}", team(), member)
                        };
                        view! {
                            <tr data-testid="usage-user" data-member=r.member.clone()>
                                <td>
                                    <a href=href>{r.name.clone()}</a>
                                    <span class="muted sub">{r.email.clone()}</span>
                                </td>
                                <td class="num" data-testid="days-used">{fmt_int(r.days_used)}</td>
                                <td class="num" data-testid="tokens-used">{fmt_int(r.tokens)}</td>
                                {(!drill).then(|| view! { <td class="num" data-testid="products">{fmt_int(r.products)}</td> })}
                                <td class="nowrap" data-testid="last-used">{r.last_used.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <Pager total offset limit=page_size/>
        </section>
    })
}
