//! The Flex summary: balance figures, tokens used per day over the range, the last 90 days
//! of token events, the expiry schedule of purchases, the forecast, and the CSV exports.
use super::{count, days_between, range_text, use_team, RangeFilter, UsageError, UsageTabs};
use crate::components::chart::{with_unit, BarChart, ChartPoint};
use crate::components::status::Loading;
use crate::components::table::{encode, fmt_int};
use crate::server::usage::{usage_summary, ExpiryRow, ForecastView, RangeView, SummaryView, TokenEvent};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn UsageSummaryPage() -> impl IntoView {
    let team = use_team();
    let query = use_query_map();
    let data = Resource::new(
        move || {
            let q = query.read();
            (team(), q.get("from"), q.get("to"))
        },
        |(team, from, to)| usage_summary(team, from, to),
    );
    view! {
        <Title text="Usage"/>
        <header class="page-header">
            <div>
                <h1>"Usage"</h1>
                <p class="lede">"How this team's Flex tokens are used: the balance, use per day, what expires when, and how long the tokens will last."</p>
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    data.await.ok().map(|s| view! { <ExportLinks range=s.range/> })
                })}
            </Transition>
        </header>
        <UsageTabs/>
        <Transition fallback=|| view! { <RangeFilter range=None/> }>
            {move || Suspend::new(async move {
                let range = data.await.ok().map(|s| s.range);
                view! { <RangeFilter range/> }
            })}
        </Transition>
        <Transition fallback=|| view! { <Loading what="usage"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(summary) => Either::Left(view! { <SummaryBody summary/> }),
                    Err(error) => Either::Right(view! { <UsageError error/> }),
                }
            })}
        </Transition>
    }
}

/// The two CSV exports of the range: with names and emails, and with a pseudonymous id.
#[component]
fn ExportLinks(range: RangeView) -> impl IntoView {
    let team = use_team();
    let query = format!("from={}&to={}", encode(&range.from), encode(&range.to));
    let base = move || format!("/t/{}/usage/export.csv?{query}", team());
    let anonymous = {
        let base = base.clone();
        move || format!("{}&personal=0", base())
    };
    let file = format!("usage-{}-{}", range.from, range.to);
    view! {
        <div class="header-actions">
            <div class="actions-row">
                <a class="button primary" href=base download=format!("{file}.csv") data-testid="export-csv">"Export CSV"</a>
                <a class="button" href=anonymous download=format!("{file}-anonymous.csv") data-testid="export-anonymous">
                    "Export without personal data"
                </a>
            </div>
            <p class="help">"Without personal data, names and emails are replaced by a stable pseudonymous id."</p>
        </div>
    }
}

#[component]
fn SummaryBody(summary: SummaryView) -> impl IntoView {
    let SummaryView {
        range,
        available,
        purchased,
        used,
        expired,
        moved_in,
        moved_out,
        used_in_range,
        daily,
        events,
        expiries,
        forecast,
        ..
    } = summary;
    let mut moved = vec![];
    if moved_in > 0 {
        moved.push(format!("{} moved in", fmt_int(moved_in)));
    }
    if moved_out > 0 {
        moved.push(format!("{} moved out", fmt_int(moved_out)));
    }
    let purchased_detail =
        if moved.is_empty() { "All time".to_string() } else { format!("All time · {}", moved.join(" · ")) };
    view! {
        <section class="cards usage-cards" aria-label="Flex tokens">
            <Stat label="Available" value=available testid="stat-available" detail="Usable now".to_string()/>
            <Stat label="Purchased" value=purchased testid="stat-purchased" detail=purchased_detail/>
            <Stat label="Used (all time)" value=used testid="stat-used" detail="Charged for Flex use".to_string()/>
            <Stat label="Expired" value=expired testid="stat-expired" detail="Lapsed before they were used".to_string()/>
            <Stat label="Used in range" value=used_in_range testid="stat-used-in-range"
                detail=format!("{} ({})", range_text(&range), count(range.days, "day", "days"))/>
        </section>
        <DailyChart range=range.clone() daily/>
        <div class="usage-columns">
            <Forecast forecast/>
            <Expiries rows=expiries today=range.today.clone()/>
        </div>
        <Events events/>
    }
}

#[component]
fn Stat(label: &'static str, value: i64, testid: &'static str, detail: String) -> impl IntoView {
    view! {
        <article class="card">
            <h2>{label}</h2>
            <p class="figure" data-testid=testid data-value=value>{fmt_int(value)}</p>
            <p class="detail">{detail}</p>
        </article>
    }
}

#[component]
fn DailyChart(range: RangeView, daily: Vec<crate::server::usage::DayPoint>) -> impl IntoView {
    let total: i64 = daily.iter().map(|d| d.tokens).sum();
    let peak = daily.iter().filter(|d| d.tokens > 0).max_by_key(|d| d.tokens);
    let desc = match peak {
        Some(p) => format!(
            "Flex tokens charged each day from {}: {} in total; the busiest day was {} with {}.",
            range_text(&range),
            with_unit(total, "tokens"),
            p.day,
            with_unit(p.tokens, "tokens")
        ),
        None => format!("No Flex tokens were charged from {}.", range_text(&range)),
    };
    let points: Vec<ChartPoint> = daily
        .into_iter()
        .map(|d| ChartPoint::new(d.day, d.tokens, count(d.windows, "window", "windows")))
        .collect();
    view! {
        <section class="panel" aria-labelledby="daily-title">
            <h2 id="daily-title">"Tokens used per day"</h2>
            <BarChart id="usage-daily" testid="usage-chart"
                title=format!("Flex tokens used per day, {}", range_text(&range))
                desc y_label="Tokens" x_label="Day (UTC)" unit="tokens"
                label_heading="Day" detail_heading="Usage windows" points/>
        </section>
    }
}

#[component]
fn Forecast(forecast: ForecastView) -> impl IntoView {
    let ForecastView { rate_per_day, trailing_days, runs_out_on, expiring_unused, lapses, assumption } =
        forecast;
    let headline = match runs_out_on {
        Some(day) => format!("Balance runs out on {day}"),
        None => "Lasts beyond the expiry of every purchase".to_string(),
    };
    let unused = if expiring_unused > 0 {
        format!("{} will expire unused", with_unit(expiring_unused, "tokens"))
    } else {
        "No tokens will expire unused".to_string()
    };
    let lapses = (!lapses.is_empty()).then(|| {
        view! {
            <ul class="lapses" data-testid="forecast-lapses">
                {lapses.into_iter().map(|(day, n)| view! {
                    <li><span class="nowrap">{day}</span>": "{format!("{} lapse", with_unit(n, "tokens"))}</li>
                }).collect_view()}
            </ul>
        }
    });
    view! {
        <section class="panel forecast" data-testid="forecast" aria-labelledby="forecast-title">
            <h2 id="forecast-title">"Forecast"</h2>
            <p class="forecast-headline" data-testid="forecast-runs-out">{headline}</p>
            <p class="forecast-unused" data-testid="forecast-unused" data-value=expiring_unused>{unused}</p>
            {lapses}
            <p class="muted" data-testid="forecast-rate">
                {format!("Recent use: {rate_per_day} tokens a day (average of the last {}).", count(trailing_days, "day", "days"))}
            </p>
            <p class="assumption" data-testid="forecast-assumption">{assumption}</p>
        </section>
    }
}

#[component]
fn Expiries(rows: Vec<ExpiryRow>, today: String) -> impl IntoView {
    let body = if rows.is_empty() {
        Either::Left(view! {
            <p class="pad muted" data-testid="no-expiries">"No purchase has tokens left, so nothing is waiting to expire. New purchases appear here with their expiry dates."</p>
        })
    } else {
        Either::Right(view! {
            <table class="table" data-testid="expiries">
                <thead><tr>
                    <th scope="col">"Purchased on"</th>
                    <th scope="col">"Expires on"</th>
                    <th scope="col" class="num">"Amount"</th>
                    <th scope="col" class="num">"Left"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let when = days_between(&today, &r.expires_on).map(|d| match d {
                            d if d < 0 => "expired".to_string(),
                            0 => "today".to_string(),
                            1 => "tomorrow".to_string(),
                            d => format!("in {d} days"),
                        });
                        view! {
                            <tr data-testid="expiry">
                                <td>{r.purchased_on}</td>
                                <td><span class="nowrap">{r.expires_on}</span>{when.map(|w| view! { <span class="muted">" · "{w}</span> })}</td>
                                <td class="num">{fmt_int(r.amount)}</td>
                                <td class="num">{fmt_int(r.left)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        })
    };
    view! {
        <section class="panel flush" aria-labelledby="expiries-title">
            <div class="panel-head">
                <h2 id="expiries-title">"Purchases and expiry"</h2>
                <p class="muted">"Tokens left in each purchase, spent from the earliest expiry first."</p>
            </div>
            {body}
        </section>
    }
}

/// "Purchase", "Use", … as a badge with text.
fn event_badge(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "purchase" => ("badge badge-active", "Purchase"),
        "usage" => ("badge badge-subscription", "Use"),
        "expiry" => ("badge badge-expired", "Expiry"),
        "move_in" => ("badge badge-trial", "Moved in"),
        "move_out" => ("badge badge-trial", "Moved out"),
        _ => ("badge badge-invited", "Other"),
    }
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{}", fmt_int(n))
    } else {
        fmt_int(n)
    }
}

#[component]
fn Events(events: Vec<TokenEvent>) -> impl IntoView {
    let body = if events.is_empty() {
        Either::Left(view! {
            <p class="pad muted" data-testid="no-events">"No tokens were bought, used, moved or expired in the last 90 days."</p>
        })
    } else {
        Either::Right(view! {
            <table class="table" data-testid="token-events">
                <thead><tr>
                    <th scope="col">"Day"</th>
                    <th scope="col">"Event"</th>
                    <th scope="col">"What happened"</th>
                    <th scope="col" class="num">"Change"</th>
                </tr></thead>
                <tbody>
                    {events.into_iter().map(|e| {
                        let (class, label) = event_badge(&e.kind);
                        let change = if e.tokens < 0 { "num negative" } else { "num positive" };
                        view! {
                            <tr data-testid="token-event" data-kind=e.kind.clone()>
                                <td class="nowrap">{e.day}</td>
                                <td><span class=class>{label}</span></td>
                                <td>{e.label}</td>
                                <td class=change>{signed(e.tokens)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        })
    };
    view! {
        <section class="panel flush" aria-labelledby="events-title">
            <div class="panel-head">
                <h2 id="events-title">"Token events"</h2>
                <p class="muted">"The last 90 days, newest first. Use is summed per day."</p>
            </div>
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_changes() {
        assert_eq!(signed(1000), "+1,000");
        assert_eq!(signed(-84), "-84");
        assert_eq!(signed(0), "0");
    }
}
