use crate::components::modal::{ConfirmUnassign, Modal};
use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::access_badge;
use crate::components::table::{MemberBadges, Pager, SearchBox};
use crate::domain::invitee::parse_entries;
use crate::server::assign::{AssignUsers, UnassignUsers};
use crate::server::people::{find_members, offer_members, MemberView, OfferPage};
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
    let (total, offset, limit) = (page.members.total, page.members.offset, page.members.limit);
    let offer_name = StoredValue::new(offer.name.clone());
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
                                            <td class="check"><input type="checkbox" aria-label=format!("Select {}", m.name) prop:checked=checked on:change=toggle/></td>
                                        })}
                                        <td><a href=format!("/t/{}/users/{}", team_s.get_value(), m.id)>{m.name.clone()}</a></td>
                                        <td class="muted">{m.email.clone()}</td>
                                        <td><MemberBadges status=m.status.clone() guest=m.guest admin=m.admin/></td>
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
            <AssignDialog team=team_s.get_value() code=code.get_value() product=offer_name.get_value() assign on_close=move || dialog_open.set(false)/>
        </Show>
    }
}

/// R-UM3: pick existing members by typing, or enter new people as `Full Name <email>`.
#[component]
fn AssignDialog(
    team: String,
    code: String,
    product: String,
    assign: ServerAction<AssignUsers>,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let suggestions: RwSignal<Vec<MemberView>> = RwSignal::new(vec![]);
    let active: RwSignal<Option<usize>> = RwSignal::new(None);
    let picked: RwSignal<BTreeMap<String, String>> = RwSignal::new(BTreeMap::new());
    let new_people = RwSignal::new(String::new());
    let team_s = StoredValue::new(team);
    let pending: StoredValue<Option<TimeoutHandle>> = StoredValue::new(None);
    let search = move |q: String| {
        typed.set(q.clone());
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                leptos::task::spawn_local(async move {
                    if let Ok(found) = find_members(team_s.get_value(), q).await {
                        active.set(None);
                        suggestions.set(found);
                    }
                })
            },
            std::time::Duration::from_millis(150),
        );
        pending.set_value(handle.ok());
    };
    let pick = move |id: String, name: String| {
        picked.update(|p| {
            p.insert(id, name);
        });
        suggestions.set(vec![]);
        active.set(None);
        typed.set(String::new());
    };
    let entry_errors = move || {
        parse_entries(&new_people.get())
            .into_iter()
            .enumerate()
            .filter_map(|(i, e)| e.result.err().map(|err| format!("Entry {}: {err}", i + 1)))
            .collect::<Vec<_>>()
    };
    let new_count = move || parse_entries(&new_people.get()).len();
    let can_save = move || {
        entry_errors().is_empty() && (!picked.read().is_empty() || new_count() > 0) && !assign.pending().get()
    };
    let server_error = move || assign.value().get().and_then(Result::err).map(|e| e.to_string());
    let close = on_close.clone();
    let close_on_success = on_close.clone();
    Effect::new(move |prev: Option<usize>| {
        let v = assign.version().get();
        if prev.is_some_and(|p| p != v) && matches!(assign.value().get_untracked(), Some(Ok(_))) {
            close_on_success();
        }
        v
    });
    let submit = move |_| {
        assign.dispatch(AssignUsers {
            team: team_s.get_value(),
            code: code.clone(),
            member_ids: picked.get_untracked().keys().cloned().collect(),
            new_people: new_people.get_untracked(),
        });
    };
    view! {
        <Modal labelled_by="assign-title" wide=true on_close=close>
                <h2 id="assign-title">{format!("Assign users to {product}")}</h2>
                <div class="field">
                    <label for="member-search">"Existing members"</label>
                    <input id="member-search" type="text" autocomplete="off" placeholder="Type a name or email"
                        prop:value=move || typed.get() on:input=move |ev| search(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            // Arrow keys move through the suggestions, Enter picks one.
                            let n = suggestions.read().len();
                            match ev.key().as_str() {
                                "ArrowDown" if n > 0 => { ev.prevent_default(); active.update(|a| *a = Some(a.map_or(0, |i| (i + 1).min(n - 1)))); }
                                "ArrowUp" if n > 0 => { ev.prevent_default(); active.update(|a| *a = Some(a.map_or(0, |i| i.saturating_sub(1)))); }
                                "Enter" => {
                                    ev.prevent_default();
                                    if let Some(m) = active.get_untracked().and_then(|i| suggestions.get_untracked().get(i).cloned()) {
                                        pick(m.id, m.name);
                                    }
                                }
                                _ => {}
                            }
                        }
                        role="combobox" aria-autocomplete="list"
                        aria-expanded=move || (!suggestions.read().is_empty()).to_string() aria-controls="member-options"
                        aria-activedescendant=move || active.get().map(|i| format!("member-option-{i}"))/>
                    <ul id="member-options" class="options" role="listbox" aria-label="Matching members">
                        {move || suggestions.get().into_iter().enumerate().map(|(i, m)| {
                            let (id, name) = (m.id.clone(), m.name.clone());
                            let is_active = move || active.get() == Some(i);
                            view! {
                                <li role="option" id=format!("member-option-{i}") aria-selected=move || is_active().to_string()>
                                    <button type="button" class="option" class:active=is_active tabindex="-1"
                                        on:click=move |_| pick(id.clone(), name.clone())>
                                        <strong>{m.name.clone()}</strong>" "<span class="muted">{m.email.clone()}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <ul class="picked" aria-label="Picked members">
                        {move || picked.get().into_iter().map(|(id, name)| view! {
                            <li class="chip">{name.clone()}
                                <button type="button" class="chip-remove" aria-label=format!("Remove {name}")
                                    on:click=move |_| picked.update(|p| { p.remove(&id); })>"×"</button>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
                <div class="field">
                    <label for="new-people">"New people"</label>
                    <textarea id="new-people" rows="4" placeholder="Ada Lovelace <ada@example.com>, one per line or separated by commas"
                        prop:value=move || new_people.get() on:input=move |ev| new_people.set(event_target_value(&ev))
                        aria-describedby="new-people-help new-people-errors"
                        aria-invalid=move || (!entry_errors().is_empty()).to_string()></textarea>
                    <p id="new-people-help" class="help">"They get an invitation email with a link that works for 7 days."</p>
                    <ul id="new-people-errors" class="field-error-list" data-testid="entry-errors">
                        {move || entry_errors().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                    </ul>
                </div>
                {move || server_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="modal-actions">
                    <button type="button" class="button" on:click=move |_| on_close()>"Cancel"</button>
                    <button type="button" class="button primary" data-testid="save-assign" disabled=move || !can_save() on:click=submit>
                        {move || if assign.pending().get() { "Assigning…" } else { "Assign" }}
                    </button>
                </div>
        </Modal>
    }
}
