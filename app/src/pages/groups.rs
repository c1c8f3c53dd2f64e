//! R-GRP1: *Users by group* (the team's groups, with a new-group form) and a group's page
//! (its name, the seat products it gives, and its members, added by typing as in the assign
//! dialog and taken out from a selection).
use crate::components::modal::Modal;
use crate::components::people_dialog::PeopleDialog;
use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::{mark, MemberBadges, Pager, SearchBox};
use crate::server::groups::{
    group_detail, team_groups, AddToGroup, CreateGroup, DeleteGroup, GroupInfo, GroupPage, RemoveFromGroup,
    RenameGroup, SetGroupProducts,
};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use std::collections::BTreeSet;

fn team_param() -> String {
    use_params_map().read_untracked().get("team").unwrap_or_default()
}

/// The team's groups.
#[component]
pub fn UsersByGroup() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let create = ServerAction::<CreateGroup>::new();
    let data = Resource::new(
        move || {
            (
                params.read().get("team").unwrap_or_default(),
                query.read().get("q"),
                query.read().get("page").and_then(|p| p.parse::<i64>().ok()),
                create.version().get(),
            )
        },
        |(team, q, page, _)| team_groups(team, q, page),
    );
    let team = team_param();
    view! {
        <Title text="Users by group"/>
        <header class="page-header">
            <div>
                <h1>"Users by group"</h1>
                <p class="lede">"Put people in groups and give a group products: every member gets them, and a person in several groups still takes one seat of a product."</p>
            </div>
        </header>
        <section class="panel">
            <h2>"New group"</h2>
            <ActionForm action=create>
                <input type="hidden" name="team" value=team/>
                <div class="form-row">
                    <label for="group-name">"Name"</label>
                    <input id="group-name" name="name" type="text" maxlength="80" required=true data-testid="group-name"/>
                    <button type="submit" class="button primary" data-testid="create-group" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Creating…" } else { "Create group" }}
                    </button>
                </div>
            </ActionForm>
            {move || create.value().get().map(|r| match r {
                Ok(_) => Either::Left(view! { <p class="toast" role="status" data-testid="group-created">"Group created."</p> }),
                Err(e) => Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> }),
            })}
        </section>
        <div class="toolbar">
            <SearchBox label="Search groups" placeholder="Search by group name"/>
        </div>
        <Suspense fallback=|| view! { <Loading what="groups"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => Either::Left(view! { <GroupTable page/> }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn GroupTable(page: GroupPage) -> impl IntoView {
    let team = team_param();
    if page.rows.is_empty() {
        return Either::Left(view! {
            <section class="panel empty-state" data-testid="no-groups">
                <p>"No group yet, or none matches this search. Create one above to give products to many people at once."</p>
            </section>
        });
    }
    let GroupPage { rows, total, offset, limit } = page;
    Either::Right(view! {
        <section class="panel flush">
            <table class="table" data-testid="groups">
                <thead><tr>
                    <th scope="col">"Group"</th><th scope="col" class="num">"Members"</th><th scope="col">"Products"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|g| view! {
                        <tr>
                            <td><a href=format!("/t/{team}/groups/{}", g.id)>{g.name.clone()}</a>
                                {g.synced.then(|| view! { " " <span class="badge badge-synced">"Synced"</span> })}</td>
                            <td class="num">{g.members}</td>
                            <td>{if g.products.is_empty() { "None yet".to_string() } else { g.products.join(", ") }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <Pager total offset limit/>
        </section>
    })
}

/// One group.
#[component]
pub fn GroupPageView() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let rename = ServerAction::<RenameGroup>::new();
    let products = ServerAction::<SetGroupProducts>::new();
    let add = ServerAction::<AddToGroup>::new();
    let remove = ServerAction::<RemoveFromGroup>::new();
    let data = Resource::new(
        move || {
            (
                params.read().get("team").unwrap_or_default(),
                params.read().get("group").unwrap_or_default(),
                query.read().get("page").and_then(|p| p.parse::<i64>().ok()),
                rename.version().get()
                    + products.version().get()
                    + add.version().get()
                    + remove.version().get(),
            )
        },
        |(team, group, page, _)| group_detail(team, group, page),
    );
    view! {
        <Suspense fallback=|| view! { <Loading what="group"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => Either::Left(view! { <GroupView detail rename products add remove/> }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn GroupView(
    detail: GroupInfo,
    rename: ServerAction<RenameGroup>,
    products: ServerAction<SetGroupProducts>,
    add: ServerAction<AddToGroup>,
    remove: ServerAction<RemoveFromGroup>,
) -> impl IntoView {
    let team = StoredValue::new(team_param());
    let group = StoredValue::new(detail.id.clone());
    let name = detail.name.clone();
    let name_s = StoredValue::new(name.clone());
    let chosen: RwSignal<BTreeSet<String>> =
        RwSignal::new(detail.products.iter().filter(|(_, on)| *on).map(|(o, _)| o.code.clone()).collect());
    let selected: RwSignal<BTreeSet<String>> = RwSignal::new(BTreeSet::new());
    let adding = RwSignal::new(false);
    let taking_out = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let save_products = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.clear();
        remove.clear();
        products.dispatch(SetGroupProducts {
            team: team.get_value(),
            group: group.get_value(),
            codes: chosen.get_untracked().into_iter().collect(),
        });
    };
    let result = move || {
        let said = |r: Option<Result<String, crate::error::AppError>>| r;
        said(add.value().get().map(|r| {
            r.map(|a| {
                let mut s = format!("Added {}", a.added);
                if a.invited > 0 {
                    s.push_str(&format!(", {} invited by email", a.invited));
                }
                if a.already > 0 {
                    s.push_str(&format!("; {} already in the group", a.already));
                }
                s + "."
            })
        }))
        .or_else(|| remove.value().get().map(|r| r.map(|n| format!("Took {n} out of the group."))))
        .or_else(|| products.value().get().map(|r| r.map(|_| "Saved the group's products.".to_string())))
    };
    let GroupInfo { members, total, offset, limit, synced, flex_choices, flex, .. } = detail;
    // R-DIR1: a synced group's name and members are the directory's; its products are ours.
    let editable = !synced;
    let member_ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
    view! {
        <Title text=name.clone()/>
        <header class="page-header">
            <div>
                <p class="crumbs"><a href=move || format!("/t/{}/groups", team.get_value())>"Users by group"</a></p>
                <h1>{name.clone()}{synced.then(|| view! { " " <span class="badge badge-synced" data-testid="synced-badge">"Synced"</span> })}</h1>
                <p class="lede">{format!("{total} {}", if total == 1 { "member" } else { "members" })}</p>
                {synced.then(|| view! {
                    <p class="note" data-testid="synced-note">"Synced from your company's directory: its name and members change there. Its products are given here."</p>
                })}
            </div>
            {editable.then(|| view! {
                <div class="header-actions">
                    <button type="button" class="button danger" data-testid="delete-group" on:click=move |_| deleting.set(true)>"Delete group"</button>
                </div>
            })}
        </header>
        // What the last change did, under the header where it is seen.
        {move || result().map(|r| match r {
            Ok(text) => Either::Left(view! { <p class="toast" role="status" data-testid="group-result">{text}</p> }),
            Err(e) => Either::Right(view! { <p class="form-error" role="alert" data-testid="group-error">{e.to_string()}</p> }),
        })}
        {editable.then(|| view! {
        <section class="panel">
            <h2>"Name"</h2>
            <ActionForm action=rename>
                <input type="hidden" name="team" value=team.get_value()/>
                <input type="hidden" name="group" value=group.get_value()/>
                <div class="form-row">
                    <label for="rename-group">"Group name"</label>
                    <input id="rename-group" name="name" type="text" maxlength="80" required=true value=name.clone()/>
                    <button type="submit" class="button" disabled=move || rename.pending().get()>"Rename"</button>
                </div>
            </ActionForm>
            {move || rename.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
        </section>
        })}
        <section class="panel" data-testid="group-products">
            <h2>"Products"</h2>
            <p class="lede">"Every member of the group gets a seat of each product ticked here (a person who already has one keeps that one seat). Seat limits apply."</p>
            {if detail.products.is_empty() {
                Either::Left(view! { <p class="empty">"The team has no subscription or trial to give."</p> })
            } else {
                Either::Right(view! {
                    <form on:submit=save_products>
                        <fieldset class="checklist">
                            <legend class="visually-hidden">"Products this group gives"</legend>
                            {detail.products.iter().map(|(o, _)| {
                                let (code, code2) = (o.code.clone(), o.code.clone());
                                let seats = o.seats.map(|s| format!("{} of {s} seats used", o.assigned)).unwrap_or_default();
                                view! {
                                    <label class="check-row">
                                        <input type="checkbox" prop:checked=move || chosen.read().contains(&code)
                                            on:change=move |ev| mark(chosen, [&code2], event_target_checked(&ev))/>
                                        {o.name.clone()}" "<span class="muted">{seats}</span>
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                        <div class="form-actions">
                            <button type="submit" class="button primary" data-testid="save-group-products" disabled=move || products.pending().get()>
                                {move || if products.pending().get() { "Saving…" } else { "Save products" }}
                            </button>
                        </div>
                    </form>
                })
            }}
        </section>
        <GroupFlex team=team.get_value() group=group.get_value() choices=flex_choices gives=flex/>
        <section class="panel flush">
            <div class="panel-head">
                <h2>"Members"</h2>
                {editable.then(|| view! {
                <div class="actions">
                    <button type="button" class="button" data-testid="remove-from-group"
                        disabled=move || selected.read().is_empty() || remove.pending().get()
                        on:click=move |_| taking_out.set(true)>
                        {move || match selected.read().len() {
                            0 => "Take out of the group".to_string(),
                            n => format!("Take {n} out of the group"),
                        }}
                    </button>
                    <button type="button" class="button primary" data-testid="add-to-group" on:click=move |_| adding.set(true)>"Add people"</button>
                </div>
                })}
            </div>
            {if members.is_empty() {
                Either::Left(view! { <p class="empty pad" data-testid="no-members">"Nobody is in this group yet. Add people to give them its products."</p> })
            } else {
                let all = member_ids.clone();
                Either::Right(view! {
                    <table class="table" data-testid="group-members">
                        <thead><tr>
                            {editable.then(|| view! {
                            <th scope="col"><input type="checkbox" aria-label="Select everyone on this page"
                                prop:checked=move || { let s = selected.read(); !all.is_empty() && all.iter().all(|id| s.contains(id)) }
                                on:change={
                                    let all = member_ids.clone();
                                    move |ev| mark(selected, &all, event_target_checked(&ev))
                                }/></th>
                            })}
                            <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Status"</th>
                        </tr></thead>
                        <tbody>
                            {members.into_iter().map(|m| {
                                let (id, id2) = (m.id.clone(), m.id.clone());
                                view! {
                                    <tr>
                                        {editable.then(|| view! {
                                        <td><input type="checkbox" aria-label=format!("Select {}", m.name)
                                            prop:checked=move || selected.read().contains(&id)
                                            on:change=move |ev| mark(selected, [&id2], event_target_checked(&ev))/></td>
                                        })}
                                        <td><a href=format!("/t/{}/users/{}", team.get_value(), m.id)>{m.name.clone()}</a></td>
                                        <td class="muted">{m.email.clone()}</td>
                                        <td><MemberBadges status=m.status.clone() guest=m.guest role=m.role.clone() synced=m.synced/></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <Pager total offset limit/>
                })
            }}
        </section>
        <Show when=move || adding.get()>
            <PeopleDialog
                team=team.get_value()
                title=format!("Add people to {}", name_s.get_value())
                answer="Add to group"
                busy="Adding…"
                pending=add.pending().into()
                error=Signal::derive(move || add.value().get().and_then(Result::err).map(|e| e.to_string()))
                saved=Signal::derive(move || add.value().get().is_some_and(|r| r.is_ok()).then(|| add.version().get()))
                on_submit=Callback::new(move |(member_ids, new_people): (Vec<String>, String)| {
                    remove.clear();
                    products.clear();
                    add.dispatch(AddToGroup { team: team.get_value(), group: group.get_value(), member_ids, new_people });
                })
                on_close=move || adding.set(false)/>
        </Show>
        <Show when=move || taking_out.get()>
            <Modal labelled_by="take-out-title" alert=true on_close=move || taking_out.set(false)>
                <h2 id="take-out-title">{move || match selected.read().len() {
                    1 => format!("Take 1 person out of {}?", name_s.get_value()),
                    n => format!("Take {n} people out of {}?", name_s.get_value()),
                }}</h2>
                <p>"They lose the seats that came only through this group; what is assigned to them directly or through other groups stays."</p>
                <div class="modal-actions">
                    <button type="button" class="button" data-testid="cancel-take-out" on:click=move |_| taking_out.set(false)>"Cancel"</button>
                    <button type="button" class="button danger" data-testid="confirm-take-out" on:click=move |_| {
                        add.clear();
                        products.clear();
                        remove.dispatch(RemoveFromGroup { team: team.get_value(), group: group.get_value(), member_ids: selected.get_untracked().into_iter().collect() });
                        selected.set(BTreeSet::new());
                        taking_out.set(false);
                    }>"Take them out"</button>
                </div>
            </Modal>
        </Show>
        <Show when=move || deleting.get()>
            <ConfirmDelete team=team.get_value() group=group.get_value() name=name_s.get_value() on_close=move || deleting.set(false)/>
        </Show>
    }
}

/// Asks before a group is deleted, and goes back to the list once it is.
/// R-GRP1 with R-FX1: the Flex access the group gives its members: none, all products
/// (including ones added later), or a list. Flex costs tokens per day of use, not seats.
#[component]
fn GroupFlex(
    team: String,
    group: String,
    choices: Vec<(String, String, bool)>,
    gives: Option<bool>,
) -> impl IntoView {
    use crate::server::groups::SetGroupFlex;
    let save = ServerAction::<SetGroupFlex>::new();
    let mode = RwSignal::new(match gives {
        None => "none",
        Some(true) => "all",
        Some(false) => "some",
    });
    let chosen: RwSignal<BTreeSet<String>> = RwSignal::new(
        choices
            .iter()
            .filter(|(_, _, given)| *given && gives == Some(false))
            .map(|(c, ..)| c.clone())
            .collect(),
    );
    let (team, group) = (StoredValue::new(team), StoredValue::new(group));
    // R-ADV1: once the choice differs from what is saved, what saving may cost the team.
    let saved = RwSignal::new((mode.get_untracked(), chosen.get_untracked()));
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            saved.set((mode.get_untracked(), chosen.get_untracked()));
        }
    });
    let change = Signal::derive(move || {
        let (m, c) = (mode.get(), chosen.get());
        let (sm, sc) = saved.get();
        (m != sm || (m == "some" && c != sc)).then(|| crate::server::advice::CostChange::Group {
            group: group.get_value(),
            gives: m != "none",
            all: m == "all",
            codes: c.into_iter().collect(),
        })
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let m = mode.get_untracked();
        save.dispatch(SetGroupFlex {
            team: team.get_value(),
            group: group.get_value(),
            gives: m != "none",
            all: m == "all",
            codes: chosen.get_untracked().into_iter().collect(),
        });
    };
    let result = move || match save.value().get() {
        Some(Ok(())) => Some(Either::Left(
            view! { <p class="toast" role="status" data-testid="group-flex-saved">"Saved the group's Flex access."</p> },
        )),
        Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
        None => None,
    };
    let radio = move |value: &'static str, label: &'static str| {
        view! {
            <label class="check-row">
                <input type="radio" name="group-flex" value=value prop:checked=move || mode.get() == value
                    on:change=move |_| mode.set(value)/>
                {label}
            </label>
        }
    };
    view! {
        <section class="panel" data-testid="group-flex">
            <h2>"Flex access"</h2>
            <p class="lede">"Members of the group may run these Flex products, besides their own selection. Flex uses the team's tokens per day of use; no seat is taken."</p>
            <form on:submit=submit>
                <fieldset class="radios">
                    <legend class="visually-hidden">"Flex access this group gives"</legend>
                    {radio("none", "No Flex access")}
                    {radio("all", "All Flex products (including ones added later)")}
                    {radio("some", "These products:")}
                </fieldset>
                <fieldset class="checklist">
                    <legend class="visually-hidden">"The Flex products it gives"</legend>
                    {choices.into_iter().map(|(code, name, _)| {
                        let (c1, c2) = (code.clone(), code.clone());
                        view! {
                            <label class="check-row">
                                <input type="checkbox" prop:disabled=move || mode.get() != "some"
                                    prop:checked=move || chosen.read().contains(&c1)
                                    on:change=move |ev| mark(chosen, [&c2], event_target_checked(&ev))/>
                                {name}" "<span class="muted code">{code}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <Show when=move || change.read().is_some()>
                    <crate::components::cost::CostPreview team=team.get_value() change/>
                </Show>
                <div class="form-actions">
                    <button type="submit" class="button primary" data-testid="save-group-flex" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save Flex access" }}
                    </button>
                </div>
            </form>
            {result}
        </section>
    }
}

#[component]
fn ConfirmDelete(
    team: String,
    group: String,
    name: String,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let delete = ServerAction::<DeleteGroup>::new();
    let navigate = use_navigate();
    let list = format!("/t/{team}/groups");
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(_))) {
            navigate(&list, Default::default());
        }
    });
    let request = StoredValue::new((team, group));
    let (close, close2) = (on_close.clone(), on_close.clone());
    view! {
        <Modal labelled_by="delete-group-title" alert=true on_close=close>
            <h2 id="delete-group-title">{format!("Delete the group {name}?")}</h2>
            <p>"Its members keep what is assigned to them directly or through their other groups; the seats this group alone gave them are freed."</p>
            {move || delete.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
            <div class="modal-actions">
                <button type="button" class="button" data-testid="cancel-delete-group" on:click=move |_| close2()>"Cancel"</button>
                <button type="button" class="button danger" data-testid="confirm-delete-group" disabled=move || delete.pending().get()
                    on:click=move |_| { let (team, group) = request.get_value(); delete.dispatch(DeleteGroup { team, group }); }>"Delete group"</button>
            </div>
        </Modal>
    }
}
