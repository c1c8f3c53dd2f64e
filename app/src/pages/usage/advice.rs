//! Licence advice (R-ADV2): idle seats (with a one-step unassign after a confirmation), Flex
//! users who would cost less on a seat, seat holders who would cost less on Flex, and tokens
//! that will lapse unused. Every line gives its figures and its assumption, links the person
//! and the product, and the whole list downloads as CSV. Reads fully without JavaScript.
use super::{use_team, UsageError, UsageTabs};
use crate::components::modal::ConfirmUnassign;
use crate::components::status::Loading;
use crate::components::table::fmt_int;
use crate::server::advice::{licence_advice, AdviceLineView, AdviceView};
use crate::server::assign::UnassignUsers;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

/// The sections in the order the advice comes: what each kind is called, and what an
/// empty section says.
const SECTIONS: [(&str, &str, &str); 4] = [
    ("idle_seat", "Idle seats", "Every seat was used in the last 30 days (or was assigned less than 30 days ago)."),
    (
        "cheaper_on_seat",
        "Flex users who would cost less on a seat",
        "Nobody's Flex use in the last 90 days, at that pace for a year, costs more than a seat of the product.",
    ),
    (
        "cheaper_on_flex",
        "Seat holders who would cost less on Flex",
        "Every subscription seat is used on more days than its price would buy on Flex.",
    ),
    ("lapsing", "Tokens that will lapse unused", "At the team's current pace, every token is used before its purchase lapses."),
];

#[component]
pub fn UsageAdvicePage() -> impl IntoView {
    let team = use_team();
    let unassign = ServerAction::<UnassignUsers>::new();
    let data = Resource::new(move || (team(), unassign.version().get()), |(t, _)| licence_advice(t));
    view! {
        <Title text="Licence advice"/>
        <header class="page-header">
            <div>
                <h1>"Licence advice"</h1>
                <p class="lede">"Seats nobody uses, people who would cost less on a seat or on Flex, and tokens that will lapse unused: each with its figures and what it assumes."</p>
            </div>
            <div class="header-actions">
                <a class="button" href=move || format!("/t/{}/usage/advice.csv", team()) download data-testid="advice-csv">"Download CSV"</a>
            </div>
        </header>
        <UsageTabs/>
        {move || unassign.value().get().map(|r| match r {
            Ok(n) => Either::Left(view! { <p class="toast" role="status" data-testid="advice-unassigned">{if n == 1 { "Unassigned: the seat is free.".to_string() } else { format!("Unassigned {n} seats.") }}</p> }),
            Err(e) => Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> }),
        })}
        <Transition fallback=|| view! { <Loading what="licence advice"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => Either::Left(view! { <Advice view unassign/> }),
                    Err(error) => Either::Right(view! { <UsageError error/> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn Advice(view: AdviceView, unassign: ServerAction<UnassignUsers>) -> impl IntoView {
    let confirming: RwSignal<Option<AdviceLineView>> = RwSignal::new(None);
    let team = use_team();
    let unpriced = (view.priced == 0).then(|| view! {
        <p class="note" data-testid="advice-unpriced">"No product has a seat price yet, so nothing here compares seats with Flex. The vendor sets one with "<code>"tessera product set --code C --seat-tokens N"</code>"."</p>
    });
    let sections = SECTIONS
        .into_iter()
        .map(|(kind, title, empty)| {
            let lines: Vec<AdviceLineView> = view.lines.iter().filter(|l| l.kind == kind).cloned().collect();
            view! { <AdviceSection kind title empty lines confirming/> }
        })
        .collect_view();
    view! {
        {unpriced}
        <div data-testid="advice">{sections}</div>
        {move || confirming.get().map(|line| {
            let (id, name) = (line.person_id.clone().unwrap_or_default(), line.person.clone().unwrap_or_default());
            let (code, product) = (line.product_code.clone().unwrap_or_default(), line.product.clone().unwrap_or_default());
            view! {
                <ConfirmUnassign names=vec![name] product
                    on_cancel=move || confirming.set(None)
                    on_confirm=move || {
                        unassign.dispatch(UnassignUsers { team: team(), code: code.clone(), member_ids: vec![id.clone()] });
                        confirming.set(None);
                    }/>
            }
        })}
    }
}

#[component]
fn AdviceSection(
    kind: &'static str,
    title: &'static str,
    empty: &'static str,
    lines: Vec<AdviceLineView>,
    confirming: RwSignal<Option<AdviceLineView>>,
) -> impl IntoView {
    let team = use_team();
    let heading = format!("advice-{kind}-title");
    let body = if lines.is_empty() {
        Either::Left(view! { <p class="muted empty-state">{empty}</p> })
    } else {
        let idle = kind == "idle_seat";
        Either::Right(view! {
            <ul class="advice-list">
                {lines.into_iter().map(|l| {
                    let person = l.person_id.clone().zip(l.person.clone()).map(|(id, name)| view! {
                        <a href=format!("/t/{}/users/{}", team(), id)>{name}</a>
                    });
                    let product = l.product_code.clone().zip(l.product.clone()).map(|(code, name)| view! {
                        " · "<a href=format!("/t/{}/products/{}", team(), code)>{name}</a>
                    });
                    let saving = (l.saving > 0).then(|| view! {
                        <span class="badge" data-testid="advice-saving">{format!("{} tokens", fmt_int(l.saving))}</span>
                    });
                    let action = idle.then(|| {
                        if l.can_unassign {
                            let line = l.clone();
                            let label = format!("Unassign {} from {}", l.person.clone().unwrap_or_default(), l.product.clone().unwrap_or_default());
                            Either::Left(view! {
                                <button type="button" class="button small" data-testid="advice-unassign" aria-label=label
                                    on:click=move |_| confirming.set(Some(line.clone()))>"Unassign"</button>
                            })
                        } else {
                            Either::Right(view! { <span class="muted">"A group of theirs gives it too: take them out of the group (or take it from the group) to free it."</span> })
                        }
                    });
                    view! {
                        <li class="advice-line" data-testid=format!("advice-line-{kind}")>
                            <p class="advice-who">{person}{product}" "{saving}</p>
                            <p data-testid="advice-figures">{l.figures.clone()}</p>
                            <p class="help">{l.assumption.clone()}</p>
                            {action}
                        </li>
                    }
                }).collect_view()}
            </ul>
        })
    };
    view! {
        <section class="panel" aria-labelledby=heading.clone() data-testid=format!("advice-{kind}")>
            <h2 id=format!("advice-{kind}-title")>{title}</h2>
            {body}
        </section>
    }
}
