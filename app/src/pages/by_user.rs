use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::{mark, MemberBadges, Pager, SearchBox, SortHeader};
use crate::server::assign::AssignUsers;
use crate::server::members::{InvitePeople, RemoveMembers, SendInvitations};
use crate::server::people::{list_members, MatchingMemberIds, MemberPage};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeSet;

/// R-UM2: every member of the team with their status; open one to see their products.
#[component]
pub fn ByUser() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let bulk = Bulk {
        selected: RwSignal::new(BTreeSet::new()),
        remove: ServerAction::new(),
        send: ServerAction::new(),
        assign: ServerAction::new(),
        all: ServerAction::new(),
        invite: ServerAction::new(),
        group: ServerAction::new(),
    };
    let data = Resource::new(
        move || {
            let q = query.read();
            (
                params.read().get("team").unwrap_or_default(),
                q.get("q"),
                q.get("sort"),
                q.get("desc").map(|d| d == "true"),
                q.get("status"),
                q.get("page").and_then(|p| p.parse::<i64>().ok()),
                bulk.remove.version().get()
                    + bulk.send.version().get()
                    + bulk.assign.version().get()
                    + bulk.invite.version().get(),
            )
        },
        |(team, q, sort, desc, status, page, _)| list_members(team, q, sort, desc, status, page),
    );
    // A selection belongs to one search: a new search, filter or page starts afresh.
    Effect::new(move |_| {
        let _ = query.read();
        bulk.selected.set(BTreeSet::new());
    });
    Effect::new(move |_| {
        if let Some(Ok(ids)) = bulk.all.value().get() {
            bulk.selected.set(ids.into_iter().collect());
        }
    });
    // The people removed are gone: nothing of theirs stays selected.
    Effect::new(move |_| {
        if matches!(bulk.remove.value().get(), Some(Ok(_))) {
            bulk.selected.set(BTreeSet::new());
        }
    });
    let team = move || params.read().get("team").unwrap_or_default();
    let offers = Resource::new(
        move || (params.read().get("team").unwrap_or_default(), bulk.assign.version().get()),
        |(team, _)| crate::server::people::team_offers(team),
    );
    let groups = Resource::new(
        move || params.read().get("team").unwrap_or_default(),
        crate::server::groups::group_choices,
    );
    let invite_open = RwSignal::new(false);
    view! {
        <Title text="Users by user"/>
        <header class="page-header">
            <div>
                <h1>"Users by user"</h1>
                <p class="lede">"Everyone in this team, with their status. Open a person to see and change their products."</p>
            </div>
            <div class="header-actions row">
                <button type="button" class="button primary" data-testid="invite-users"
                    on:click=move |_| { bulk.clear_results(); invite_open.set(true) }>"Invite users"</button>
                <a class="button" href=move || format!("/t/{}/invitations", team())>"Pending invitations"</a>
                <a class="button" href=move || format!("/t/{}/users/import", team())>"Import users"</a>
                <a class="button" data-testid="export-people" href=move || format!("/t/{}/people/export.csv", team()) download="">"Export CSV"</a>
            </div>
        </header>
        <BulkResults bulk/>
        {move || invite_open.get().then(|| view! { <InviteDialog team=team() action=bulk.invite on_close=move || invite_open.set(false)/> })}
        <div class="toolbar">
            <SearchBox label="Search members" placeholder="Search by name or email"/>
            <StatusFilter/>
        </div>
        <Suspense fallback=|| view! { <Loading what="members"/> }>
            {move || Suspend::new(async move {
                match (data.await, offers.await, groups.await) {
                    (Ok(page), Ok(offers), Ok(groups)) => Either::Left(view! { <MemberTable page bulk offers groups/> }),
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StatusFilter() -> impl IntoView {
    let query = use_query_map();
    let location = leptos_router::hooks::use_location();
    let current = move || query.read().get("status").unwrap_or_default();
    let options = [
        ("", "All"),
        ("active", "Active"),
        ("invited", "Invited"),
        ("expired", "Invitation expired"),
        ("not_invited", "Not invited yet"),
        ("guest", "Guests"),
    ];
    view! {
        <nav class="chips" aria-label="Filter by status">
            {options.into_iter().map(|(value, label)| {
                let href = move || {
                    let pairs = crate::components::table::query_pairs(&query.read());
                    crate::components::table::query_url(&location.pathname.get(), &pairs, &[("status", value.to_string()), ("page", String::new())])
                };
                view! {
                    <a class="chip" href=href aria-current=move || (current() == value).then_some("true")>{label}</a>
                }
            }).collect_view()}
        </nav>
    }
}

/// The selection on Users by user and the actions a selection can take.
#[derive(Clone, Copy)]
struct Bulk {
    selected: RwSignal<BTreeSet<String>>,
    remove: ServerAction<RemoveMembers>,
    send: ServerAction<SendInvitations>,
    assign: ServerAction<AssignUsers>,
    all: ServerAction<MatchingMemberIds>,
    invite: ServerAction<InvitePeople>,
    group: ServerAction<crate::server::groups::AddToGroup>,
}

impl Bulk {
    /// Forgets every action's last answer, so the result shown is the next one's.
    fn clear_results(self) {
        self.remove.clear();
        self.send.clear();
        self.assign.clear();
        self.invite.clear();
        self.group.clear();
        self.all.clear();
    }
}

/// What the last bulk action (or invitation) did, or why it was refused.
#[component]
fn BulkResults(bulk: Bulk) -> impl IntoView {
    let message = move || -> Option<Result<String, String>> {
        if let Some(r) = bulk.remove.value().get() {
            return Some(
                r.map(|n| format!("Removed {n} {} from the team.", if n == 1 { "person" } else { "people" }))
                    .map_err(|e| e.to_string()),
            );
        }
        if let Some(r) = bulk.send.value().get() {
            return Some(
                r.map(|s| {
                    let mut m = format!(
                        "Sent {} {}.",
                        s.sent,
                        if s.sent == 1 { "invitation" } else { "invitations" }
                    );
                    if s.active > 0 {
                        m.push_str(&format!(" {} already accepted and got nothing.", s.active));
                    }
                    m
                })
                .map_err(|e| e.to_string()),
            );
        }
        if let Some(r) = bulk.assign.value().get() {
            return Some(
                r.map(|a| format!("Assigned to {} (already had it: {}).", a.assigned, a.already))
                    .map_err(|e| e.to_string()),
            );
        }
        if let Some(r) = bulk.group.value().get() {
            return Some(
                r.map(|a| format!("Added {} to the group (already in it: {}).", a.added, a.already))
                    .map_err(|e| e.to_string()),
            );
        }
        if let Some(r) = bulk.invite.value().get() {
            return Some(
                r.map(|i| format!("Invited {} (already in the team: {}). Each was emailed an invitation link valid for 7 days.", i.invited, i.already))
                    .map_err(|e| e.to_string()),
            );
        }
        bulk.all.value().get().and_then(Result::err).map(|e| Err(e.to_string()))
    };
    move || {
        message().map(|m| match m {
            Ok(text) => {
                Either::Left(view! { <p class="toast" role="status" data-testid="bulk-result">{text}</p> })
            }
            Err(text) => Either::Right(
                view! { <p class="form-error" role="alert" data-testid="bulk-error">{text}</p> },
            ),
        })
    }
}

/// Invite people without assigning a product (R-UM3 entries), choosing role and guest.
#[component]
fn InviteDialog(
    team: String,
    action: ServerAction<InvitePeople>,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    use crate::components::modal::Modal;
    let close = on_close.clone();
    let close2 = on_close.clone();
    // Closes once the invitations are saved; a refusal keeps the dialog and what was typed.
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            on_close();
        }
    });
    view! {
        <Modal labelled_by="invite-title" wide=true on_close=close>
            <h2 id="invite-title">"Invite users"</h2>
            <ActionForm action=action>
                <input type="hidden" name="team" value=team/>
                <label for="invite-people">"People to invite"</label>
                <p class="muted" id="invite-hint">"One or more entries such as Ada Lovelace <ada@example.com>, separated by commas or new lines. Each gets an invitation email; nothing is assigned yet."</p>
                <textarea id="invite-people" name="people" rows="4" aria-describedby="invite-hint" data-testid="invite-entries" required=true></textarea>
                <div class="form-row">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="role">
                        <option value="member" selected=true>"Member"</option>
                        <option value="admin">"Admin"</option>
                    </select>
                </div>
                <label class="check-row">
                    <input type="checkbox" name="guest" value="on"/>
                    "Guests (from outside the organisation; the team's default Flex assignments do not apply to them)"
                </label>
                {move || action.value().get().and_then(Result::err).map(|e| view! {
                    <p class="form-error" role="alert" data-testid="invite-error" style="white-space: pre-line">{e.to_string()}</p>
                })}
                <div class="modal-actions">
                    <button type="button" class="button" on:click=move |_| close2()>"Cancel"</button>
                    <button type="submit" class="button primary" data-testid="send-invites" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Inviting…" } else { "Send invitations" }}
                    </button>
                </div>
            </ActionForm>
        </Modal>
    }
}

/// The bar a selection brings up: assign a product, send invitations, remove.
#[component]
fn BulkBar(
    bulk: Bulk,
    total: i64,
    page_ids: Vec<String>,
    offers: Vec<crate::server::people::OfferView>,
    groups: Vec<(String, String)>,
) -> impl IntoView {
    use crate::components::modal::ConfirmRemoval;
    use crate::server::groups::AddToGroup;
    let group = RwSignal::new(String::new());
    let params = use_params_map();
    let query = use_query_map();
    // Event handlers read the team without subscribing (they run outside any reactive scope).
    let team_now = move || params.read_untracked().get("team").unwrap_or_default();
    let count = move || bulk.selected.read().len();
    let confirm_remove = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    let page_len = page_ids.len();
    let whole_page = move || page_len > 0 && bulk.selected.read().len() >= page_len;
    let ids = move || bulk.selected.get_untracked().into_iter().collect::<Vec<_>>();
    view! {
        <div class="bulk-bar" role="region" aria-label="Selected people" data-testid="bulk-bar"
            hidden=move || count() == 0>
            <span data-testid="selected-count">{move || format!("{} selected", count())}</span>
            {move || (whole_page() && (count() as i64) < total).then(|| view! {
                <button type="button" class="button link" data-testid="select-all-matching"
                    on:click=move |_| {
                        let q = query.read_untracked();
                        bulk.clear_results();
                        bulk.all.dispatch(MatchingMemberIds { team: team_now(), q: q.get("q"), status: q.get("status") });
                    }>{format!("Select all {total} matching")}</button>
            })}
            <label for="bulk-product" class="visually-hidden">"Product to assign"</label>
            <select id="bulk-product" on:change=move |ev| code.set(event_target_value(&ev))>
                <option value="">"Assign product…"</option>
                // A plain list: markers of a Suspense inside <select> do not survive the HTML
                // parser, so hydration would find nodes it did not render.
                {offers.into_iter().map(|o| view! { <option value=o.code.clone()>{o.name.clone()}</option> }).collect_view()}
            </select>
            <button type="button" class="button" data-testid="bulk-assign" disabled=move || code.read().is_empty()
                on:click=move |_| {
                    bulk.clear_results();
                    bulk.assign.dispatch(AssignUsers { team: team_now(), code: code.get_untracked(), member_ids: ids(), new_people: String::new() });
                }>"Assign"</button>
            {(!groups.is_empty()).then(|| view! {
                <label for="bulk-group" class="visually-hidden">"Group to add them to"</label>
                <select id="bulk-group" on:change=move |ev| group.set(event_target_value(&ev))>
                    <option value="">"Add to group…"</option>
                    {groups.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
                <button type="button" class="button" data-testid="bulk-group" disabled=move || group.read().is_empty()
                    on:click=move |_| {
                        bulk.clear_results();
                        bulk.group.dispatch(AddToGroup { team: team_now(), group: group.get_untracked(), member_ids: ids(), new_people: String::new() });
                    }>"Add"</button>
            })}
            <button type="button" class="button" data-testid="bulk-send"
                on:click=move |_| { bulk.clear_results(); bulk.send.dispatch(SendInvitations { team: team_now(), member_ids: ids() }); }>"Send invitation"</button>
            <button type="button" class="button danger" data-testid="bulk-remove"
                on:click=move |_| { bulk.clear_results(); confirm_remove.set(true) }>"Remove from team"</button>
            <button type="button" class="button link" on:click=move |_| bulk.selected.set(BTreeSet::new())>"Clear selection"</button>
        </div>
        {move || confirm_remove.get().then(|| view! {
            <ConfirmRemoval team=team_now() ids=ids() remove=bulk.remove on_close=move || confirm_remove.set(false)/>
        })}
    }
}

#[component]
fn MemberTable(
    page: MemberPage,
    bulk: Bulk,
    offers: Vec<crate::server::people::OfferView>,
    groups: Vec<(String, String)>,
) -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read_untracked().get("team").unwrap_or_default();
    if page.rows.is_empty() {
        return Either::Left(view! {
            <section class="panel empty-state">
                <p>"No member matches this search or filter. Clear the search box or pick “All”."</p>
            </section>
        });
    }
    let MemberPage { rows, total, offset, limit, admin } = page;
    let page_ids: Vec<String> = rows.iter().map(|m| m.id.clone()).collect();
    let page_ids_all = StoredValue::new(page_ids.clone());
    let all_on_page = move || {
        let sel = bulk.selected.read();
        page_ids_all.with_value(|ids| !ids.is_empty() && ids.iter().all(|id| sel.contains(id)))
    };
    Either::Right(view! {
        {admin.then(|| view! { <BulkBar bulk total page_ids offers groups/> })}
        <section class="panel flush">
            <table class="table" data-testid="members">
                <thead>
                    <tr>
                        {admin.then(|| view! {
                            <th scope="col" class="select">
                                <input type="checkbox" aria-label="Select everyone on this page" data-testid="select-page"
                                    prop:checked=all_on_page
                                    on:change=move |ev| {
                                        page_ids_all.with_value(|ids| mark(bulk.selected, ids, event_target_checked(&ev)));
                                    }/>
                            </th>
                        })}
                        <SortHeader label="Name" key="name" default=true/>
                        <SortHeader label="Email" key="email"/>
                        <SortHeader label="Status" key="status"/>
                        <th scope="col" class="num">"Products"</th>
                        <SortHeader label="Joined" key="joined"/>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|m| {
                        let href = format!("/t/{}/users/{}", team(), m.id);
                        let products = m.assignments + i64::from(m.flex);
                        let (id, id2) = (m.id.clone(), m.id.clone());
                        let label = format!("Select {}", if m.name.is_empty() { &m.email } else { &m.name });
                        view! {
                            <tr>
                                {admin.then(|| view! {
                                    <td class="select">
                                        <input type="checkbox" aria-label=label data-testid="select-member"
                                            prop:checked=move || bulk.selected.read().contains(&id)
                                            on:change=move |ev| {
                                                mark(bulk.selected, [&id2], event_target_checked(&ev));
                                            }/>
                                    </td>
                                })}
                                <td><a href=href>{m.name.clone()}</a></td>
                                <td class="muted">{m.email.clone()}</td>
                                <td>
                                    <MemberBadges status=m.status.clone() guest=m.guest role=m.role.clone() synced=m.synced/>
                                    {m.undeliverable.is_some().then(|| view! {
                                        " " <span class="badge badge-expired">"Email could not be delivered"</span>
                                    })}
                                </td>
                                <td class="num">{products}</td>
                                <td>{m.joined_on.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <Pager total offset limit/>
        </section>
    })
}
