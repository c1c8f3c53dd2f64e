//! Seat usage: for each subscription and trial, its seats, how many are assigned and how
//! many are in use right now, and each holder's last access.
use super::{count, use_team, UsageError, UsageTabs};
use crate::components::status::Loading;
use crate::components::table::access_badge;
use crate::components::table::fmt_int;
use crate::server::usage::{seat_usage, SeatProductView, SeatsView};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SeatUsagePage() -> impl IntoView {
    let team = use_team();
    let data = Resource::new(team, seat_usage);
    view! {
        <Title text="Seat usage"/>
        <header class="page-header">
            <div>
                <h1>"Seat usage"</h1>
                <p class="lede">"Each subscription and trial: its seats, how many are assigned and how many are in use right now, and when each holder last used it."</p>
            </div>
        </header>
        <UsageTabs/>
        <Transition fallback=|| view! { <Loading what="seat usage"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => Either::Left(view! { <Seats view/> }),
                    Err(error) => Either::Right(view! { <UsageError error/> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn Seats(view: SeatsView) -> impl IntoView {
    if view.products.is_empty() {
        return Either::Left(view! {
            <section class="panel empty-state" data-testid="seat-usage">
                <p>"This team has no subscriptions or trials, so there are no seats to show. Flex use is on the Summary and By product tabs."</p>
            </section>
        });
    }
    Either::Right(view! {
        <section class="seat-usage" data-testid="seat-usage" aria-label="Seats by product">
            {view.products.into_iter().map(|p| view! { <SeatCard product=p/> }).collect_view()}
        </section>
    })
}

/// Percent of `seats` that `n` fills, for the meter.
fn pct(n: i64, seats: i64) -> f64 {
    if seats <= 0 {
        0.0
    } else {
        (n.max(0) as f64 / seats as f64 * 100.0).min(100.0)
    }
}

#[component]
fn SeatCard(product: SeatProductView) -> impl IntoView {
    let team = use_team();
    let SeatProductView { code, name, access, seats, assigned, in_use, ends_on, holders } = product;
    let (class, label) = access_badge(access);
    let heading_id = format!("seats-{code}");
    let labelled_by = heading_id.clone();
    let free = (seats - assigned).max(0);
    let product_href = {
        let code = code.clone();
        move || format!("/t/{}/products/{}", team(), code)
    };
    let meter = format!(
        "{} of {} assigned, {} in use",
        fmt_int(assigned),
        count(seats, "seat", "seats"),
        fmt_int(in_use)
    );
    let table = if holders.is_empty() {
        Either::Left(view! {
            <p class="pad muted">
                "No one holds a seat yet. Assign people on "
                <a href=product_href.clone()>{format!("the {name} page")}</a>"."
            </p>
        })
    } else {
        Either::Right(view! {
            <table class="table" data-testid="seat-holders">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Last accessed"</th>
                    <th scope="col">"Now"</th>
                </tr></thead>
                <tbody>
                    {holders.into_iter().map(|h| {
                        let href = {
                            let member = h.member.clone();
                            move || format!("/t/{}/users/{}", team(), member)
                        };
                        view! {
                            <tr data-testid="seat-holder" data-member=h.member.clone()>
                                <td><a href=href>{h.name.clone()}</a></td>
                                <td class="muted">{h.email.clone()}</td>
                                <td class="nowrap" data-testid="last-accessed">
                                    {match h.last_accessed.clone() {
                                        Some(t) => Either::Left(t),
                                        None => Either::Right(view! { <span class="muted">"Never"</span> }),
                                    }}
                                </td>
                                <td>
                                    {if h.in_use {
                                        Either::Left(view! { <span class="badge badge-active" data-testid="in-use">"In use"</span> })
                                    } else {
                                        Either::Right(view! { <span class="muted">"Not in use"</span> })
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        })
    };
    view! {
        <article class="panel flush seat-card" data-testid="seat-product" data-code=code.clone() aria-labelledby=labelled_by>
            <div class="panel-head">
                <h2 id=heading_id>
                    <a href=product_href>{name.clone()}</a>" "<span class=class>{label}</span>
                </h2>
                <p class="muted">{format!("Ends on {ends_on}")}</p>
            </div>
            <div class="seat-summary">
                <dl class="seat-figures">
                    <div><dt>"Seats"</dt><dd data-testid="seats">{fmt_int(seats)}</dd></div>
                    <div><dt>"Assigned"</dt><dd data-testid="assigned">{fmt_int(assigned)}</dd></div>
                    <div><dt>"In use"</dt><dd data-testid="in-use-count">{fmt_int(in_use)}</dd></div>
                    <div><dt>"Free"</dt><dd data-testid="free">{fmt_int(free)}</dd></div>
                </dl>
                <div class="seat-meter" role="img" aria-label=meter.clone() title=meter>
                    <span class="seat-assigned" style=format!("width: {:.1}%", pct(assigned, seats))></span>
                    <span class="seat-in-use" style=format!("width: {:.1}%", pct(in_use, seats))></span>
                </div>
            </div>
            {table}
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_percentages_are_clamped() {
        assert_eq!(pct(5, 10), 50.0);
        assert_eq!(pct(12, 10), 100.0);
        assert_eq!(pct(3, 0), 0.0);
    }
}
