//! Flex tokens (R-TOK1): the team's balance, its purchases in the order tokens are spent,
//! and, for an admin of several teams, moving what is left of a purchase to another team.
use crate::components::modal::Modal;
use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::fmt_int;
use crate::error::AppError;
use crate::server::tokens::{flex_tokens, FlexTokensView, MoveFlexPurchase, MoveTarget, PurchaseRow};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The purchase being moved and the teams it may go to.
#[derive(Clone, Debug, PartialEq)]
struct Moving {
    row: PurchaseRow,
    targets: Vec<MoveTarget>,
}

#[component]
pub fn FlexTokens() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let mover = ServerAction::<MoveFlexPurchase>::new();
    let moving: RwSignal<Option<Moving>> = RwSignal::new(None);
    let refresh = RwSignal::new(0u32);
    let data = Resource::new(move || (team(), refresh.get()), |(team, _)| flex_tokens(team));
    // A move that worked closes the dialog and reloads the list and balance; one that
    // failed keeps the dialog open with the error in it.
    Effect::new(move |_| {
        if let Some(Ok(_)) = mover.value().get() {
            moving.set(None);
            refresh.update(|n| *n += 1);
        }
    });
    let toast = move || match mover.value().get() {
        Some(Ok(m)) if moving.read().is_none() => Some(view! {
            <p class="toast" role="status" data-testid="toast">
                {format!("Moved {} tokens to {}", fmt_int(m.tokens), m.team_name)}
            </p>
        }),
        _ => None,
    };
    view! {
        <Title text="Flex tokens"/>
        <header class="page-header">
            <div>
                <h1>"Flex tokens"</h1>
                <p class="lede">"The tokens this team has bought, what is left of each purchase and when it expires."</p>
            </div>
        </header>
        {toast}
        <Transition fallback=|| view! { <Loading what="Flex tokens"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => Either::Left(view! { <TokensView view moving mover/> }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Transition>
        {move || moving.get().map(|m| view! {
            <MoveDialog moving=m team=team() mover on_close=move || moving.set(None)/>
        })}
    }
}

fn status_badge(status: &str) -> &'static str {
    match status {
        "valid" => "badge badge-active",
        "expiring" => "badge badge-trial",
        "expired" => "badge badge-expired",
        _ => "badge badge-invited",
    }
}

fn moved_text(r: &PurchaseRow) -> String {
    let mut parts = vec![];
    if r.moved_out > 0 {
        parts.push(format!("{} out", fmt_int(r.moved_out)));
    }
    if r.moved_in > 0 {
        parts.push(format!("{} in", fmt_int(r.moved_in)));
    }
    if parts.is_empty() {
        "—".to_string()
    } else {
        parts.join(" · ")
    }
}

#[component]
fn TokensView(
    view: FlexTokensView,
    moving: RwSignal<Option<Moving>>,
    mover: ServerAction<MoveFlexPurchase>,
) -> impl IntoView {
    let can_move = view.purchases.iter().any(|p| p.movable);
    // Purchases come in spending order, so the first with tokens left expires next.
    let next = view.purchases.iter().find(|p| p.left > 0);
    let (next_figure, next_detail) = match next {
        Some(p) => (fmt_int(p.left), format!("expire on {}", p.expires_on)),
        None => ("0".to_string(), "No tokens waiting to expire".to_string()),
    };
    let valid = view.purchases.iter().filter(|p| p.left > 0).count();
    let soon: i64 = view.purchases.iter().filter(|p| p.status == "expiring").map(|p| p.left).sum();
    let targets = StoredValue::new(view.move_targets.clone());
    let table = if view.purchases.is_empty() {
        let more = if view.move_targets.is_empty() {
            ""
        } else {
            " You can also move tokens here from another team you are an admin of, on that team's Flex tokens page."
        };
        Either::Left(view! {
            <section class="panel empty-state" data-testid="no-purchases">
                <p>"This team has no Flex token purchases yet, so its members cannot use products through Flex. Purchases made for the team appear here with their expiry dates."{more}</p>
            </section>
        })
    } else {
        Either::Right(view! {
            <section class="panel flush">
                <div class="panel-head">
                    <h2>"Purchases"</h2>
                    <p class="muted">"Tokens are spent from the purchase that expires first. Each purchase expires one year after it was bought."</p>
                </div>
                <table class="table" data-testid="purchases">
                    <thead><tr>
                        <th scope="col">"Purchased on"</th>
                        <th scope="col" class="num">"Amount"</th>
                        <th scope="col" class="num">"Used"</th>
                        <th scope="col" class="num">"Moved"</th>
                        <th scope="col" class="num">"Left"</th>
                        <th scope="col">"Expires on"</th>
                        <th scope="col">"Status"</th>
                        {can_move.then(|| view! { <th scope="col"><span class="visually-hidden">"Action"</span></th> })}
                    </tr></thead>
                    <tbody>
                        {view.purchases.into_iter().map(|p| {
                            let moved = moved_text(&p);
                            let lapsed = (p.lapsed > 0).then(|| view! { <span class="muted">{format!(" ({} lapsed)", fmt_int(p.lapsed))}</span> });
                            let action = can_move.then(|| {
                                let row = p.clone();
                                view! {
                                    <td class="nowrap">
                                        {p.movable.then(|| view! {
                                            <button type="button" class="button small" data-testid="move"
                                                aria-label=format!("Move the {} tokens left of the purchase of {}", fmt_int(p.left), p.purchased_on)
                                                on:click=move |_| {
                                                    mover.clear();
                                                    moving.set(Some(Moving { row: row.clone(), targets: targets.get_value() }));
                                                }>"Move…"</button>
                                        })}
                                    </td>
                                }
                            });
                            view! {
                                <tr data-testid="purchase" data-purchase=p.id.clone()>
                                    <td>{p.purchased_on.clone()}</td>
                                    <td class="num">{fmt_int(p.amount)}</td>
                                    <td class="num">{fmt_int(p.used)}</td>
                                    <td class="num">{moved}</td>
                                    <td class="num" data-testid="left">{fmt_int(p.left)}{lapsed}</td>
                                    <td>{p.expires_on.clone()}</td>
                                    <td><span class=status_badge(&p.status)>{p.status_label.clone()}</span></td>
                                    {action}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })
    };
    view! {
        <section class="cards" aria-label="Balance">
            <article class="card" data-testid="balance">
                <h2>"Tokens available now"</h2>
                <p class="figure" data-testid="balance-figure">{fmt_int(view.balance)}</p>
                <p class="detail">{format!("From {valid} purchase{} with tokens left", if valid == 1 { "" } else { "s" })}</p>
            </article>
            <article class="card" data-testid="next-expiry">
                <h2>"Next to expire"</h2>
                <p class="figure">{next_figure}</p>
                <p class="detail">{next_detail}</p>
            </article>
            <article class="card" data-testid="expiring-soon">
                <h2>"Expiring within 30 days"</h2>
                <p class="figure">{fmt_int(soon)}</p>
                <p class="detail">"Tokens that lapse unless they are used or moved"</p>
            </article>
        </section>
        {table}
    }
}

/// What a failed move says in the dialog: the server's words, except that "this team" in
/// the authorization errors would be ambiguous here (two teams are involved).
fn move_error_text(e: &AppError) -> String {
    match e {
        AppError::AdminOnly | AppError::NotAMember => {
            "You can only move tokens between teams you are an admin of. Pick another team, or ask an admin of that team to make you an admin."
                .to_string()
        }
        other => other.to_string(),
    }
}

#[component]
fn MoveDialog(
    moving: Moving,
    team: String,
    mover: ServerAction<MoveFlexPurchase>,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let Moving { row, targets } = moving;
    let first = if targets.len() == 1 { targets[0].id.clone() } else { String::new() };
    let choice = RwSignal::new(first);
    let missing = RwSignal::new(false);
    let targets = StoredValue::new(targets);
    let chosen_name = move || {
        let id = choice.get();
        targets.with_value(|ts| ts.iter().find(|t| t.id == id).map(|t| t.name.clone()))
    };
    let left = fmt_int(row.left);
    let summary = {
        let left = left.clone();
        move || match chosen_name() {
            Some(name) => format!("{left} tokens move to {name}."),
            None => format!("{left} tokens move to the team you pick."),
        }
    };
    let field_error = move || {
        if missing.get() {
            return Some("Pick the team to move the tokens to.".to_string());
        }
        match mover.value().get() {
            Some(Err(e)) if e.field() == Some("to_team") => Some(e.to_string()),
            _ => None,
        }
    };
    let form_error = move || match mover.value().get() {
        Some(Err(e)) if e.field() != Some("to_team") => Some(move_error_text(&e)),
        _ => None,
    };
    let (team, purchase) = (StoredValue::new(team), StoredValue::new(row.id.clone()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let to_team = choice.get_untracked();
        if to_team.is_empty() {
            missing.set(true);
            return;
        }
        missing.set(false);
        mover.dispatch(MoveFlexPurchase { team: team.get_value(), purchase: purchase.get_value(), to_team });
    };
    let cancel = on_close.clone();
    let button = format!("Move {left} tokens");
    view! {
        <Modal labelled_by="move-title" on_close>
            <form on:submit=submit data-testid="move-dialog">
                <h2 id="move-title">{format!("Move {left} tokens to another team?")}</h2>
                <p class="muted">{format!("What is left of the purchase of {} ({} tokens bought).", row.purchased_on, fmt_int(row.amount))}</p>
                <div class="field">
                    <label for="move-to">"Move to team"</label>
                    <select id="move-to" data-testid="move-to" prop:value=move || choice.get()
                        aria-invalid=move || field_error().is_some().to_string()
                        aria-describedby="move-to-error"
                        on:change=move |ev| { choice.set(event_target_value(&ev)); missing.set(false); }>
                        <option value="" selected=move || choice.get().is_empty()>"Choose a team…"</option>
                        {targets.get_value().into_iter().map(|t| {
                            let id = t.id.clone();
                            view! { <option value=t.id selected=move || choice.get() == id>{t.name}</option> }
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="move-to-error" role="alert">{field_error}</p>
                    <p class="help">"Only teams you are an admin of are listed."</p>
                </div>
                <p data-testid="move-summary">
                    {summary}" Their expiry date travels with them: they still expire on "
                    <span class="nowrap">{row.expires_on.clone()}</span>"."
                </p>
                <p>{format!("This team's balance goes down by {left}.")}</p>
                {move || form_error().map(|e| view! { <p class="form-error" role="alert" data-testid="move-error">{e}</p> })}
                <div class="modal-actions">
                    <button type="button" class="button" on:click=move |_| cancel()>"Cancel"</button>
                    <button type="submit" class="button primary" data-testid="confirm-move" disabled=move || mover.pending().get()>
                        {move || if mover.pending().get() { "Moving…".to_string() } else { button.clone() }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}
