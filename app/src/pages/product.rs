use crate::components::modal::ConfirmUnassign;
use crate::components::people_dialog::PeopleDialog;
use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::access_badge;
use crate::components::table::{MemberBadges, Pager, SearchBox};
use crate::server::assign::{AssignUsers, UnassignUsers};
use crate::server::people::{offer_members, OfferPage};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;

/// One product: who is assigned, with assign / unassign for admins.
#[component]
pub fn Product() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let assign = ServerAction::<AssignUsers>::new();
    let unassign = ServerAction::<UnassignUsers>::new();
    let data = Resource::new(
        move || {
            (
                params.read().get("team").unwrap_or_default(),
                params.read().get("code").unwrap_or_default(),
                query.read().get("q"),
                query.read().get("page").and_then(|p| p.parse::<i64>().ok()),
                assign.version().get() + unassign.version().get(),
            )
        },
        |(team, code, q, page, _)| offer_members(team, code, q, page),
    );
    view! {
        <Suspense fallback=|| view! { <Loading what="assigned users"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => Either::Left(view! { <ProductView page assign unassign/> }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductView(
    page: OfferPage,
    assign: ServerAction<AssignUsers>,
    unassign: ServerAction<UnassignUsers>,
) -> impl IntoView {
    let params = use_params_map();
    let team = params.read_untracked().get("team").unwrap_or_default();
    let offer = page.offer.clone();
    let admin = page.members.admin;
    let (class, label) = access_badge(offer.access);
    let dialog_open = RwSignal::new(false);
    let selected: RwSignal<BTreeMap<String, String>> = RwSignal::new(BTreeMap::new());
    let confirming = RwSignal::new(false);
    let seats = match offer.seats {
        Some(s) => format!("{} of {} seats assigned", offer.assigned, s),
        None => format!("{} Flex users", offer.assigned),
    };
    let toast = move || {
        let a = assign.value().get().and_then(Result::ok).map(|o| {
            let mut parts = vec![format!("{} assigned", o.assigned)];
            if o.invited > 0 {
                parts.push(format!("{} invited by email", o.invited));
            }
            if o.already > 0 {
                parts.push(format!("{} already had it", o.already));
            }
            parts.join(", ") + "."
        });
        let u = unassign.value().get().and_then(Result::ok).map(|n| format!("Access removed for {n}."));
        u.or(a).map(|t| view! { <p class="toast" role="status" data-testid="toast">{t}</p> })
    };
    let unassign_error = move || {
        unassign
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
    };
    let rows = page.members.rows.clone();
    let through_group: std::collections::BTreeSet<String> = page.through_group.iter().cloned().collect();
    let (total, offset, limit) = (page.members.total, page.members.offset, page.members.limit);
    let offer_name = StoredValue::new(offer.name.clone());
    // R-ADV1: giving Flex may cost tokens, so its dialog previews them; a seat costs none.
    let flex_cost = (offer.access == crate::domain::licensing::LicenseType::Flex).then(|| {
        let code = offer.code.clone();
        Callback::new(move |(member_ids, new_people): (Vec<String>, String)| {
            crate::server::advice::CostChange::Assign { code: code.clone(), member_ids, new_people }
        })
    });
    let team_s = StoredValue::new(team.clone());
    let code = StoredValue::new(offer.code.clone());
    view! {
        <Title text=offer.name.clone()/>
        <header class="page-header">
            <div>
                <p class="crumbs"><a href=format!("/t/{team}/products")>"Users by product"</a></p>
                <h1>{offer.name.clone()}" "<span class=class>{label}</span></h1>
                <p class="lede">{seats}{offer.ends_on.clone().map(|e| format!(" · ends {e}"))}</p>
            </div>
            {admin.then(|| view! {
                <button type="button" class="button primary" data-testid="open-assign" on:click=move |_| dialog_open.set(true)>"Assign users"</button>
            })}
        </header>
        {toast}
        {unassign_error}
        <div class="toolbar">
            <SearchBox label="Search assigned users" placeholder="Search assigned users"/>
        </div>
        <Show when=move || admin && !selected.read().is_empty()>
            <div class="bulk-bar" role="region" aria-label="Selected users">
                <span>{move || format!("{} selected", selected.read().len())}</span>
                <button type="button" class="button danger" on:click=move |_| confirming.set(true) data-testid="bulk-unassign">"Unassign"</button>
                <button type="button" class="button" on:click=move |_| selected.set(BTreeMap::new())>"Clear selection"</button>
            </div>
        </Show>
        {if rows.is_empty() {
            Either::Left(view! {
                <section class="panel empty-state">
                    <p>"Nobody is assigned here yet"{move || if admin { ". Use “Assign users” to add people." } else { "." }}</p>
                </section>
            })
        } else {
            Either::Right(view! {
                <section class="panel flush">
                    <table class="table" data-testid="assigned">
                        <thead><tr>
                            {admin.then(|| view! { <th scope="col" class="check"><span class="visually-hidden">"Select"</span></th> })}
                            <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Status"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|m| {
                                let via_group = through_group.contains(&m.id);
                                let id = m.id.clone();
                                let name = m.name.clone();
                                let checked = { let id = id.clone(); move || selected.read().contains_key(&id) };
                                let toggle = {
                                    let (id, name) = (id.clone(), name.clone());
                                    move |_| selected.update(|s| { if s.remove(&id).is_none() { s.insert(id.clone(), name.clone()); } })
                                };
                                view! {
                                    <tr>
                                        {admin.then(|| view! {
                                            <td class="check"><input type="checkbox" aria-label=format!("Select {}", m.name) prop:checked=checked on:change=toggle
                                                disabled=via_group title=via_group.then_some("Held through a group: take them out of the group instead")/></td>
                                        })}
                                        <td><a href=format!("/t/{}/users/{}", team_s.get_value(), m.id)>{m.name.clone()}</a></td>
                                        <td class="muted">{m.email.clone()}</td>
                                        <td><MemberBadges status=m.status.clone() guest=m.guest role=m.role.clone() synced=m.synced/>
                                            {via_group.then(|| view! { " "<span class="badge" data-testid="through-group">"Through a group"</span> })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <Pager total offset limit/>
                </section>
            })
        }}
        <Show when=move || confirming.get()>
            <ConfirmUnassign
                names=selected.get().values().cloned().collect()
                product=offer_name.get_value()
                on_cancel=move || confirming.set(false)
                on_confirm=move || {
                    let ids: Vec<String> = selected.get_untracked().keys().cloned().collect();
                    unassign.dispatch(UnassignUsers { team: team_s.get_value(), code: code.get_value(), member_ids: ids });
                    selected.set(BTreeMap::new());
                    confirming.set(false);
                }
            />
        </Show>
        <Show when=move || dialog_open.get()>
            <PeopleDialog
                team=team_s.get_value()
                title=format!("Assign users to {}", offer_name.get_value())
                answer="Assign"
                busy="Assigning…"
                pending=assign.pending().into()
                error=Signal::derive(move || assign.value().get().and_then(Result::err).map(|e| e.to_string()))
                saved=Signal::derive(move || assign.value().get().is_some_and(|r| r.is_ok()).then(|| assign.version().get()))
                on_submit=Callback::new(move |(member_ids, new_people): (Vec<String>, String)| {
                    assign.dispatch(AssignUsers { team: team_s.get_value(), code: code.get_value(), member_ids, new_people });
                })
                on_close=move || dialog_open.set(false)
                cost=flex_cost/>
        </Show>
    }
}
