//! Use by product over the range (sortable), and one product's people (the drill-down).
use super::users::{PeopleView, UsageSearchBar};
use super::{count, range_text, use_range_suffix, use_team, RangeFilter, SortTh, UsageError, UsageTabs};
use crate::components::status::Loading;
use crate::components::table::fmt_int;
use crate::server::usage::{usage_by_product, usage_by_user, ByProductView, ProductUsageRow};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn UsageProductsPage() -> impl IntoView {
    let team = use_team();
    let query = use_query_map();
    let data = Resource::new(
        move || {
            let q = query.read();
            (team(), q.get("from"), q.get("to"), q.get("sort"), q.get("dir"))
        },
        |(team, from, to, sort, dir)| usage_by_product(team, from, to, sort, dir),
    );
    view! {
        <Title text="Usage by product"/>
        <header class="page-header">
            <div>
                <h1>"Usage by product"</h1>
                <p class="lede">"Which products this team used over the range: days of use by licence type, Flex tokens and people. Open a product to see who used it."</p>
            </div>
        </header>
        <UsageTabs/>
        <Transition fallback=|| view! { <RangeFilter range=None/> }>
            {move || Suspend::new(async move {
                let range = data.await.ok().map(|d| d.range);
                view! { <RangeFilter range/> }
            })}
        </Transition>
        <Transition fallback=|| view! { <Loading what="usage by product"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => Either::Left(view! { <ProductTable view/> }),
                    Err(error) => Either::Right(view! { <UsageError error/> }),
                }
            })}
        </Transition>
    }
}

/// "12 subscription · 3 trial · 40 Flex", leaving out the kinds not used.
fn breakdown(r: &ProductUsageRow) -> String {
    let parts: Vec<String> =
        [(r.subscription_days, "subscription"), (r.trial_days, "trial"), (r.flex_days, "Flex")]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{} {what}", fmt_int(n)))
            .collect();
    parts.join(" · ")
}

/// The width of an in-cell bar, in percent of the largest value.
fn share(value: i64, max: i64) -> f64 {
    if max <= 0 || value <= 0 {
        0.0
    } else {
        (value as f64 / max as f64 * 100.0).clamp(1.0, 100.0)
    }
}

#[component]
fn ProductTable(view: ByProductView) -> impl IntoView {
    let team = use_team();
    let suffix = use_range_suffix();
    let ByProductView { range, rows, sort, dir, .. } = view;
    if rows.is_empty() {
        let wider = super::presets(&range.today).pop();
        return Either::Left(view! {
            <section class="panel empty-state" data-testid="usage-products-empty">
                <p>{format!("No product was used between {} and {}.", range.from, range.to)}</p>
                <p>
                    "Use is recorded when a person opens a product while online. Widen the date range"
                    {wider.map(|(label, from, to)| view! {
                        ", for example to the "
                        <a href=move || format!("/t/{}/usage/products?from={from}&to={to}", team())>{label.to_lowercase()}</a>
                    })}
                    "."
                </p>
            </section>
        });
    }
    let max_tokens = rows.iter().map(|r| r.tokens).max().unwrap_or(0);
    let total_tokens: i64 = rows.iter().map(|r| r.tokens).sum();
    let total_days: i64 = rows.iter().map(|r| r.days_used).sum();
    let n = rows.len() as i64;
    Either::Right(view! {
        <section class="panel flush">
            <div class="panel-head">
                <h2>{format!("Products used, {}", range_text(&range))}</h2>
                <p class="muted">"A day of use is one person's 24-hour window in a product, whatever the licence."</p>
            </div>
            <table class="table" data-testid="usage-products">
                <thead><tr>
                    <SortTh label="Product" key="name" sort=sort.clone() dir=dir.clone()/>
                    <SortTh label="Days used" key="days" sort=sort.clone() dir=dir.clone() num=true/>
                    <SortTh label="Tokens used" key="tokens" sort=sort.clone() dir=dir.clone() num=true/>
                    <SortTh label="People" key="people" sort=sort.clone() dir=dir.clone() num=true/>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let detail = breakdown(&r);
                        let href = {
                            let code = r.code.clone();
                            move || format!("/t/{}/usage/products/{}{}", team(), code, suffix())
                        };
                        let width = format!("width: {:.1}%", share(r.tokens, max_tokens));
                        view! {
                            <tr data-testid="usage-product" data-code=r.code.clone()>
                                <td><a href=href>{r.name.clone()}</a><span class="muted code">{r.code.clone()}</span></td>
                                <td class="num">
                                    <span data-testid="days-used">{fmt_int(r.days_used)}</span>
                                    {(!detail.is_empty()).then(|| view! { <span class="breakdown">{detail}</span> })}
                                </td>
                                <td class="num">
                                    <span class="cell-bar" aria-hidden="true"><span style=width></span></span>
                                    <span data-testid="tokens-used">{fmt_int(r.tokens)}</span>
                                </td>
                                <td class="num" data-testid="people">{fmt_int(r.people)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
                <tfoot><tr>
                    <th scope="row">{format!("Total, {}", count(n, "product", "products"))}</th>
                    <td class="num">{fmt_int(total_days)}</td>
                    <td class="num">{fmt_int(total_tokens)}</td>
                    <td class="num"><span class="visually-hidden">"People are counted once per product"</span></td>
                </tr></tfoot>
            </table>
        </section>
    })
}

/// One product's people over the range: the by-user table for that product only.
#[component]
pub fn UsageProductPage() -> impl IntoView {
    let team = use_team();
    let params = use_params_map();
    let query = use_query_map();
    let suffix = use_range_suffix();
    let code = move || params.read().get("code").unwrap_or_default();
    // For the product's name while it loads or if it fails (read after an await).
    let code_now = move || params.read_untracked().get("code").unwrap_or_default();
    let data = Resource::new(
        move || {
            let q = query.read();
            (
                team(),
                code(),
                q.get("from"),
                q.get("to"),
                q.get("q"),
                q.get("sort"),
                q.get("dir"),
                q.get("page").and_then(|p| p.parse::<i64>().ok()),
            )
        },
        |(team, code, from, to, q, sort, dir, page)| {
            usage_by_user(team, from, to, Some(code), q, sort, dir, page)
        },
    );
    view! {
        <header class="page-header">
            <div>
                <p class="crumbs">
                    <a href=move || format!("/t/{}/usage/products{}", team(), suffix()) data-testid="back-to-products">"← All products"</a>
                </p>
                <h1>
                    <Transition fallback=code_now>
                        {move || Suspend::new(async move {
                            data.await.ok().and_then(|d| d.product).map(|(_, name)| name).unwrap_or_else(code_now)
                        })}
                    </Transition>
                </h1>
                <p class="lede">"Who used this product over the range, with their days of use and Flex tokens. Open a person to see and change their products."</p>
            </div>
        </header>
        <UsageTabs/>
        <UsageSearchBar data/>
        <Transition fallback=|| view! { <Loading what="people"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => {
                        let name = view.product.as_ref().map(|(_, name)| name.clone()).unwrap_or_else(code_now);
                        Either::Left(view! { <Title text=format!("{name} usage")/> <PeopleView view/> })
                    }
                    Err(error) => Either::Right(view! { <Title text=code_now()/> <UsageError error/> }),
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(s: i64, t: i64, f: i64) -> ProductUsageRow {
        ProductUsageRow {
            code: "M3D".into(),
            name: "Model 3D".into(),
            tokens: 0,
            days_used: s + t + f,
            subscription_days: s,
            trial_days: t,
            flex_days: f,
            people: 1,
        }
    }

    #[test]
    fn breakdown_names_the_kinds_used() {
        assert_eq!(breakdown(&row(12, 3, 1040)), "12 subscription · 3 trial · 1,040 Flex");
        assert_eq!(breakdown(&row(0, 0, 5)), "5 Flex");
        assert_eq!(breakdown(&row(0, 0, 0)), "");
    }

    #[test]
    fn shares_are_percentages_of_the_largest() {
        assert_eq!(share(50, 200), 25.0);
        assert_eq!(share(0, 200), 0.0);
        assert_eq!(share(1, 100_000), 1.0);
        assert_eq!(share(5, 0), 0.0);
    }
}
