use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::fmt_int;
use crate::domain::display::plural;
use crate::server::home::{team_home, TeamOverview};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn Home() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(move || params.read().get("team").unwrap_or_default(), team_home);
    view! {
        <Suspense fallback=|| view! { <Loading what="team overview"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(home) => Either::Left(view! { <HomeView home/> }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn HomeView(home: TeamOverview) -> impl IntoView {
    let members_detail = format!(
        "{} invited · {} · {}",
        fmt_int(home.invited_members),
        plural(home.guests, "guest", "guests"),
        plural(home.admins, "admin", "admins")
    );
    let products_total = home.subscriptions + home.trials;
    let products_detail = format!(
        "{} · {} · {} with Flex",
        plural(home.subscriptions, "subscription", "subscriptions"),
        plural(home.trials, "trial", "trials"),
        home.flex_products
    );
    let expiry = match &home.next_expiry {
        Some((date, n)) => format!("{} expire on {}", fmt_int(*n), date),
        None => "No tokens waiting to expire".to_string(),
    };
    let rows = home.products.clone();
    let mine = home.my_products.clone();
    view! {
        <Title text=home.team_name.clone()/>
        <header class="page-header">
            <div>
                <h1>{home.team_name.clone()}</h1>
                <p class="lede">"An overview of this team: its people, the products it holds and its Flex token balance."</p>
            </div>
        </header>
        <section class="cards" aria-label="Team figures">
            <article class="card" data-testid="figure-members">
                <h2>"Members"</h2>
                <p class="figure">{fmt_int(home.active_members)}</p>
                <p class="detail">{members_detail}</p>
            </article>
            <article class="card" data-testid="figure-products">
                <h2>"Products"</h2>
                <p class="figure">{fmt_int(products_total)}</p>
                <p class="detail">{products_detail}</p>
            </article>
            <article class="card" data-testid="figure-tokens">
                <h2>"Flex tokens available"</h2>
                <p class="figure">{fmt_int(home.tokens_available)}</p>
                <p class="detail">{expiry}</p>
            </article>
        </section>
        <section class="panel">
            <h2>"Your products"</h2>
            {if mine.is_empty() {
                Either::Left(view! { <p class="empty">"You have no products in this team yet. A team admin can assign them."</p> })
            } else {
                Either::Right(view! {
                    <ul class="product-list" data-testid="my-products">
                        {mine.into_iter().map(|(name, access)| {
                            let (class, label) = crate::components::table::access_badge(access);
                            view! { <li>{name}" "<span class=class>{label}</span></li> }
                        }).collect_view()}
                    </ul>
                })
            }}
        </section>
        <section class="panel">
            <h2>"Subscriptions and trials"</h2>
            {if rows.is_empty() {
                Either::Left(view! {
                    <p class="empty">"This team holds no subscriptions or trials. Its members can still use products through Flex tokens."</p>
                })
            } else {
                Either::Right(view! {
                    <table class="table" data-testid="held-products">
                        <thead>
                            <tr><th scope="col">"Product"</th><th scope="col">"Access"</th><th scope="col" class="num">"Seats"</th><th scope="col">"Ends"</th></tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().map(|p| {
                                let (badge, label) = crate::components::table::access_badge(p.access);
                                view! {
                                    <tr>
                                        <td>{p.name}<span class="muted code">{p.code}</span></td>
                                        <td><span class=badge>{label}</span></td>
                                        <td class="num">{p.seats}</td>
                                        <td>{p.ends_on}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            }}
        </section>
        <LeaveTeam team=home.team_id.clone() team_name=home.team_name.clone()/>
    }
}

/// R-UM4: a person may leave a team (its last admin may not). Asked first; the person
/// lands on their other teams afterwards.
#[component]
fn LeaveTeam(team: String, team_name: String) -> impl IntoView {
    use crate::components::modal::Modal;
    use crate::server::members::LeaveTeam as Leave;
    let leave = ServerAction::<Leave>::new();
    let confirm = RwSignal::new(false);
    let team = StoredValue::new(team);
    let question = format!("Leave {team_name}?");
    view! {
        <section class="panel" data-testid="leave-team" id="leave-team">
            <h2>"Your membership"</h2>
            <p class="muted">"Leaving ends your access to this team's products. Your usage history stays with the team."</p>
            <button type="button" class="button danger" data-testid="leave" on:click=move |_| { leave.clear(); confirm.set(true) }>"Leave team"</button>
            {move || leave.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert" data-testid="leave-error">{e.to_string()}</p> })}
        </section>
        {move || confirm.get().then(|| {
            let question = question.clone();
            view! {
                <Modal labelled_by="leave-title" alert=true on_close=move || confirm.set(false)>
                    <h2 id="leave-title">{question}</h2>
                    <p>"You lose every product this team gives you, and an admin must invite you again to come back."</p>
                    <div class="modal-actions">
                        <button type="button" class="button" on:click=move |_| confirm.set(false)>"Stay"</button>
                        <button type="button" class="button danger" data-testid="confirm-leave" on:click=move |_| {
                            leave.dispatch(Leave { team: team.get_value() });
                            confirm.set(false);
                        }>"Leave team"</button>
                    </div>
                </Modal>
            }
        })}
    }
}
