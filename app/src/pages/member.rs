use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::MemberBadges;
use crate::server::assign::{AssignUsers, ResendInvitation, UnassignUsers};
use crate::server::devices::{member_devices, MemberDevicesView, RemoveMemberDevice};
use crate::server::members::{HandOnPrimary, RemoveMembers, SetMemberRole, WithdrawInvitation};
use crate::server::people::{member_detail, MemberProfile};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// One member: status, products, and (for admins) resending an invitation.
#[component]
pub fn Member() -> impl IntoView {
    let params = use_params_map();
    let resend = ServerAction::<ResendInvitation>::new();
    let assign = ServerAction::<AssignUsers>::new();
    let unassign = ServerAction::<UnassignUsers>::new();
    let set_role = ServerAction::<SetMemberRole>::new();
    let hand_on = ServerAction::<HandOnPrimary>::new();
    let lifecycle =
        Lifecycle { remove: ServerAction::new(), withdraw: ServerAction::new(), set_role, hand_on };
    // Once the person is removed or their invitation withdrawn, their page is gone: back to
    // the list, which no longer shows them.
    Effect::new(move |_| {
        let done = matches!(lifecycle.remove.value().get(), Some(Ok(n)) if n > 0)
            || matches!(lifecycle.withdraw.value().get(), Some(Ok(_)));
        if done {
            let team = params.read_untracked().get("team").unwrap_or_default();
            leptos_router::hooks::use_navigate()(&format!("/t/{team}/users"), Default::default());
        }
    });
    let data = Resource::new(
        move || {
            (
                params.read().get("team").unwrap_or_default(),
                params.read().get("member").unwrap_or_default(),
                resend.version().get()
                    + assign.version().get()
                    + unassign.version().get()
                    + set_role.version().get()
                    + hand_on.version().get(),
            )
        },
        |(team, member, _)| member_detail(team, member),
    );
    // Created here, outside the Suspend below: created inside it (in the Devices section),
    // hydration of the member page failed intermittently in Chromium.
    let remove_device = ServerAction::<RemoveMemberDevice>::new();
    let devices = Resource::new(
        move || {
            (
                params.read().get("team").unwrap_or_default(),
                params.read().get("member").unwrap_or_default(),
                remove_device.version().get(),
            )
        },
        |(team, member, _)| member_devices(team, member),
    );
    let devices = DevicesData { list: devices, remove: remove_device };
    view! {
        <Suspense fallback=|| view! { <Loading what="member"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => Either::Left(view! { <MemberView detail resend assign unassign devices lifecycle/> }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MemberView(
    detail: MemberProfile,
    resend: ServerAction<ResendInvitation>,
    assign: ServerAction<AssignUsers>,
    unassign: ServerAction<UnassignUsers>,
    devices: DevicesData,
    lifecycle: Lifecycle,
) -> impl IntoView {
    use crate::components::modal::{ConfirmRemoval, Modal};
    let params = use_params_map();
    let team = params.read_untracked().get("team").unwrap_or_default();
    let m = detail.member.clone();
    let can_resend = detail.admin && m.status != "active";
    let synced = m.synced;
    let send_label = if m.status == "not_invited" { "Send invitation" } else { "Resend invitation" };
    let confirm_remove = RwSignal::new(false);
    let confirm_withdraw = RwSignal::new(false);
    let Lifecycle { remove, withdraw, set_role, hand_on } = lifecycle;
    let lifecycle_error = move || {
        remove
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| withdraw.value().get().and_then(Result::err))
            .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
    };
    let (team_w, id_w, name_w) =
        (StoredValue::new(team.clone()), StoredValue::new(m.id.clone()), StoredValue::new(m.name.clone()));
    let role_section =
        detail.admin.then(|| view! {
            <RoleAndGuest team=team.clone() member=m.clone() gives_roles=detail.gives_roles action=set_role hand_on/>
        });
    let flex_section =
        m.flex.then(|| view! { <FlexAccess team=team.clone() member=m.id.clone() admin=detail.admin/> });
    let devices = view! { <Devices team=team.clone() member=m.id.clone() data=devices/> };
    let result = move || match resend.value().get() {
        Some(Ok(())) => Some(Either::Left(
            view! { <p class="toast" role="status">"Invitation sent again. The previous link no longer works."</p> },
        )),
        Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
        None => None,
    };
    view! {
        <Title text=m.name.clone()/>
        <header class="page-header">
            <div>
                <p class="crumbs"><a href=format!("/t/{team}/users")>"Users by user"</a></p>
                <h1>{m.name.clone()}</h1>
                <p class="lede">{m.email.clone()}" · joined "{m.joined_on.clone()}</p>
                <p><MemberBadges status=m.status.clone() guest=m.guest role=m.role.clone() synced=m.synced/></p>
                {(!detail.groups.is_empty()).then(|| view! {
                    <p data-testid="member-groups">"Groups: "
                        {detail.groups.iter().enumerate().map(|(i, (id, name))| view! {
                            {(i > 0).then_some(", ")}
                            <a href=format!("/t/{team}/groups/{id}")>{name.clone()}</a>
                        }).collect_view()}
                    </p>
                })}
                {m.synced.then(|| view! {
                    <p class="note" data-testid="synced-note">"Synced from your company's directory: this person is added, renamed and removed there. Products are still given here."</p>
                })}
                // Issue 15: mail the address refused is given up once; the admin must know.
                {m.undeliverable.clone().map(|why| view! {
                    <p class="form-error" role="status" data-testid="mail-undeliverable">
                        "Email to this address could not be delivered ("{why}"). Check the address with the person."
                    </p>
                })}
            </div>
            <div class="header-actions row">
                {can_resend.then(|| view! {
                    <ActionForm action=resend>
                        <input type="hidden" name="team" value=team.clone()/>
                        <input type="hidden" name="member" value=m.id.clone()/>
                        <button type="submit" class="button primary" disabled=move || resend.pending().get()>
                            {move || if resend.pending().get() { "Sending…" } else { send_label }}
                        </button>
                    </ActionForm>
                    {(!synced).then(|| view! {
                        <button type="button" class="button danger" data-testid="withdraw"
                            on:click=move |_| { withdraw.clear(); confirm_withdraw.set(true) }>"Withdraw invitation"</button>
                    })}
                })}
                {(detail.admin && m.status == "active" && !m.synced).then(|| view! {
                    <button type="button" class="button danger" data-testid="remove-member"
                        on:click=move |_| { remove.clear(); confirm_remove.set(true) }>"Remove from team"</button>
                })}
            </div>
        </header>
        {result}
        {lifecycle_error}
        {move || confirm_remove.get().then(|| view! {
            <ConfirmRemoval team=team_w.get_value() ids=vec![id_w.get_value()] remove on_close=move || confirm_remove.set(false)/>
        })}
        {move || confirm_withdraw.get().then(|| view! {
            <Modal labelled_by="withdraw-title" alert=true on_close=move || confirm_withdraw.set(false)>
                <h2 id="withdraw-title">{format!("Withdraw the invitation to {}?", name_w.get_value())}</h2>
                <p>"The invitation link stops working, and the person leaves the team with whatever was assigned to them. You can invite them again later."</p>
                <div class="modal-actions">
                    <button type="button" class="button" on:click=move |_| confirm_withdraw.set(false)>"Cancel"</button>
                    <button type="button" class="button danger" data-testid="confirm-withdraw" on:click=move |_| {
                        withdraw.dispatch(WithdrawInvitation { team: team_w.get_value(), member: id_w.get_value() });
                        confirm_withdraw.set(false);
                    }>"Withdraw invitation"</button>
                </div>
            </Modal>
        })}
        {role_section}
        <ProductsOf detail=detail.clone() assign unassign/>
        {flex_section}
        {devices}
    }
}

/// The member page's lifecycle actions, made once at the page's top (see `Member`).
#[derive(Clone, Copy)]
struct Lifecycle {
    remove: ServerAction<RemoveMembers>,
    withdraw: ServerAction<WithdrawInvitation>,
    set_role: ServerAction<SetMemberRole>,
    hand_on: ServerAction<HandOnPrimary>,
}

/// R-UM5: the member's role and guest flag. What the guest flag would do to their Flex
/// products (R-FX2: defaults are off for guests) is shown before saving.
#[component]
fn RoleAndGuest(
    team: String,
    member: crate::server::people::MemberView,
    /// The viewer is the primary admin: only they change roles; others see the role.
    gives_roles: bool,
    action: ServerAction<SetMemberRole>,
    hand_on: ServerAction<HandOnPrimary>,
) -> impl IntoView {
    use crate::domain::membership::MemberRole;
    use crate::server::members::guest_effect;
    let role = MemberRole::from_code(&member.role).unwrap_or(MemberRole::Member);
    let primary = role == MemberRole::PrimaryAdmin;
    // Only the primary admin picks roles; for anyone else (and for the primary admin's own
    // row, which changes only by handing it on) the form carries the role unchanged.
    let picks_role = gives_roles && !primary;
    let kept_role = if primary { "admin" } else { role.as_str() };
    let confirm_hand_on = RwSignal::new(false);
    let hand_on_target = (team.clone(), member.id.clone(), member.name.clone());
    let hand_on_result = move || match hand_on.value().get() {
        Some(Ok(name)) => Some(Either::Left(view! {
            <p class="toast" role="status">{format!("{name} is now the team's primary admin. You stay an admin.")}</p>
        })),
        Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
        None => None,
    };
    let was_guest = member.guest;
    let guest = RwSignal::new(was_guest);
    let (t, id) = (team.clone(), member.id.clone());
    let effect = Resource::new(
        move || guest.get(),
        move |g| {
            let (t, id) = (t.clone(), id.clone());
            async move {
                if g == was_guest {
                    Ok(None)
                } else {
                    guest_effect(t, id, g).await
                }
            }
        },
    );
    let result = move || match action.value().get() {
        Some(Ok(())) => Some(Either::Left(view! { <p class="toast" role="status">"Saved."</p> })),
        Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
        None => None,
    };
    view! {
        <section class="panel" data-testid="role-guest">
            <h2>"Role and guest"</h2>
            <ActionForm action=action>
                <input type="hidden" name="team" value=team/>
                <input type="hidden" name="member" value=member.id.clone()/>
                {if picks_role {
                    Either::Left(view! {
                        <div class="form-row">
                            <label for="member-role">"Role"</label>
                            <select id="member-role" name="role" data-testid="role-select">
                                <option value="member" selected=role == MemberRole::Member>"Member"</option>
                                <option value="sso_admin" selected=role == MemberRole::SsoAdmin>"SSO admin (single sign-on and directory sync only)"</option>
                                <option value="admin" selected=role == MemberRole::Admin>"Admin (manages people, products and settings)"</option>
                            </select>
                        </div>
                    })
                } else {
                    Either::Right(view! {
                        <input type="hidden" name="role" value=kept_role/>
                        <p data-testid="role-fixed">
                            "Role: " <strong>{role.label()}</strong>
                            {if primary {
                                " — the primary admin's role changes when they hand it to someone else."
                            } else {
                                " — only the team's primary admin changes roles."
                            }}
                        </p>
                    })
                }}
                <label class="check-row">
                    <input type="checkbox" name="guest" value="on" data-testid="guest-check" checked=was_guest
                        on:change=move |ev| guest.set(event_target_checked(&ev))/>
                    "Guest (someone from outside the organisation; the team's default Flex assignments do not apply)"
                </label>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        effect.await.ok().flatten().map(|text| view! { <p class="note" role="status" data-testid="guest-effect">{text}</p> })
                    })}
                </Transition>
                <button type="submit" class="button primary" data-testid="save-role" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Saving…" } else { "Save role" }}
                </button>
            </ActionForm>
            {result}
            {(picks_role && member.status == "active").then(|| {
                let (team, id, name) = hand_on_target.clone();
                view! {
                    <div class="form-row">
                        <button type="button" class="button" data-testid="hand-on"
                            on:click=move |_| confirm_hand_on.set(true)>"Make primary admin"</button>
                    </div>
                    {move || confirm_hand_on.get().then(|| {
                        let (team, id, name) = (team.clone(), id.clone(), name.clone());
                        view! {
                            <crate::components::modal::Modal labelled_by="hand-on-title" alert=true
                                on_close=move || confirm_hand_on.set(false)>
                                <h2 id="hand-on-title">"Hand on the primary admin role?"</h2>
                                <p>{format!("{name} becomes the team's primary admin: from now on they give and take admin roles. You stay an admin, and cannot take the role back yourself.")}</p>
                                <div class="modal-actions">
                                    <button type="button" class="button" data-testid="cancel-hand-on"
                                        on:click=move |_| confirm_hand_on.set(false)>"Cancel"</button>
                                    <button type="button" class="button primary" data-testid="confirm-hand-on"
                                        on:click=move |_| {
                                            hand_on.dispatch(HandOnPrimary { team: team.clone(), member: id.clone() });
                                            confirm_hand_on.set(false);
                                        }>"Make primary admin"</button>
                                </div>
                            </crate::components::modal::Modal>
                        }
                    })}
                }
            })}
            {hand_on_result}
        </section>
    }
}

/// R-UM2: the member's products, with assign / unassign for every product the team holds.
#[component]
fn ProductsOf(
    detail: MemberProfile,
    assign: ServerAction<AssignUsers>,
    unassign: ServerAction<UnassignUsers>,
) -> impl IntoView {
    use crate::components::modal::ConfirmUnassign;
    use crate::components::table::access_badge;
    let params = use_params_map();
    let team = StoredValue::new(params.read_untracked().get("team").unwrap_or_default());
    let m = detail.member.clone();
    let held: std::collections::BTreeSet<String> = detail
        .products
        .iter()
        .map(|(code, _, _)| code.clone())
        .chain(m.flex.then(|| "FLEX".to_string()))
        .collect();
    // Where each seat comes from (R-GRP1); only the person's own assignment can be taken
    // back here, a group's goes with the group.
    let routes: std::collections::BTreeMap<String, Vec<String>> = detail.routes.iter().cloned().collect();
    let confirm: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    let member_id = StoredValue::new(m.id.clone());
    let member_name = StoredValue::new(m.name.clone());
    let error = move || {
        assign
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| unassign.value().get().and_then(Result::err))
            .map(|e| e.to_string())
    };
    view! {
        <section class="panel flush">
            <div class="panel-head"><h2>"Products"</h2></div>
            {move || error().map(|e| view! { <p class="form-error pad" role="alert">{e}</p> })}
            <table class="table" data-testid="member-products">
                <thead><tr>
                    <th scope="col">"Product"</th><th scope="col">"Access"</th><th scope="col" class="num">"Seats used"</th>
                    <th scope="col">"This person"</th>{detail.admin.then(|| view! { <th scope="col"><span class="visually-hidden">"Action"</span></th> })}
                </tr></thead>
                <tbody>
                    {detail.offers.iter().map(|o| {
                        let via = routes.get(&o.code).cloned().unwrap_or_default();
                        let own = via.is_empty() || via.iter().any(|r| r == "assigned directly");
                        let has = held.contains(&o.code);
                        let holds = if !has {
                            "—".to_string()
                        } else if via.is_empty() {
                            "Assigned".to_string()
                        } else {
                            crate::domain::display::sentence(&via.join("; "))
                        };
                        let (class, label) = access_badge(o.access);
                        let seats = o.seats.map(|s| format!("{} of {s}", o.assigned)).unwrap_or_else(|| format!("{} users", o.assigned));
                        let (code, name) = (o.code.clone(), o.name.clone());
                        let action = detail.admin.then(|| if has && !own {
                            Either::Left(Either::Right(view! { <td class="muted">"Remove from the group to take it away"</td> }))
                        } else if has {
                            Either::Left(Either::Left(view! {
                                <td><button type="button" class="button" aria-label=format!("Unassign {}", name)
                                    on:click=move |_| confirm.set(Some((code.clone(), name.clone())))>"Unassign"</button></td>
                            }))
                        } else {
                            Either::Right(view! {
                                <td><button type="button" class="button" aria-label=format!("Assign {}", name)
                                    disabled=move || assign.pending().get()
                                    on:click=move |_| { assign.dispatch(AssignUsers { team: team.get_value(), code: code.clone(), member_ids: vec![member_id.get_value()], new_people: String::new() }); }>"Assign"</button></td>
                            })
                        });
                        view! {
                            <tr>
                                <td>{o.name.clone()}<span class="muted code">{o.code.clone()}</span></td>
                                <td><span class=class>{label}</span></td>
                                <td class="num">{seats}</td>
                                <td data-testid="holds">{holds}</td>
                                {action}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        {move || confirm.get().map(|(code, product)| view! {
            <ConfirmUnassign
                names=vec![member_name.get_value()]
                product=product
                on_cancel=move || confirm.set(None)
                on_confirm=move || {
                    unassign.dispatch(UnassignUsers { team: team.get_value(), code: code.clone(), member_ids: vec![member_id.get_value()] });
                    confirm.set(None);
                }
            />
        })}
    }
}

/// R-FX1: a Flex user's product checklist. "All products" also covers products added to
/// Flex later; saving emails the person the list.
#[component]
pub fn FlexAccess(team: String, member: String, admin: bool) -> impl IntoView {
    use crate::server::flex::{flex_access, FlexAccessView, SaveFlexAccess};
    let save = ServerAction::<SaveFlexAccess>::new();
    let (t, m) = (team.clone(), member.clone());
    let data =
        Resource::new(move || (t.clone(), m.clone(), save.version().get()), |(t, m, _)| flex_access(t, m));
    let team = StoredValue::new(team);
    let member = StoredValue::new(member);
    let form = move |view: FlexAccessView| {
        let all = RwSignal::new(view.all);
        let chosen: RwSignal<std::collections::BTreeSet<String>> =
            RwSignal::new(view.choices.iter().filter(|c| c.selected).map(|c| c.code.clone()).collect());
        // R-ADV1: once the checklist differs from what is saved, what saving may cost.
        let (saved_all, saved_chosen) = (view.all, chosen.get_untracked());
        let change = Signal::derive(move || {
            let (a, c) = (all.get(), chosen.get());
            (admin && (a != saved_all || (!a && c != saved_chosen))).then(|| {
                crate::server::advice::CostChange::Own {
                    member: member.get_value(),
                    all: a,
                    codes: c.into_iter().collect(),
                }
            })
        });
        let submit = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            save.dispatch(SaveFlexAccess {
                team: team.get_value(),
                member: member.get_value(),
                all: all.get_untracked(),
                codes: chosen.get_untracked().into_iter().collect(),
            });
        };
        let effective =
            if view.effective.is_empty() { "none".to_string() } else { view.effective.join(", ") };
        view! {
            <section class="panel" data-testid="flex-access">
                <h2>"Flex products"</h2>
                {view.defaults_apply.then(|| view! {
                    <p class="note">"The team's default assignments currently decide this person's Flex products; the selection below applies when defaults are off."</p>
                })}
                <p class="muted" data-testid="flex-effective">{format!("Can use now: {effective}")}</p>
                {(!view.through_groups.is_empty()).then(|| view! {
                    <p data-testid="flex-through-groups">"Through groups: "{view.through_groups.join("; ")}
                        {if view.group_only { ". No selection of their own: ticking products below gives them their own." } else { ". The checklist below is their own selection." }}</p>
                })}
                <form on:submit=submit>
                    <fieldset class="checklist" disabled=!admin>
                        <legend class="visually-hidden">"Flex products for this person"</legend>
                        <label class="check-row all">
                            <input type="checkbox" prop:checked=move || all.get() on:change=move |ev| {
                                // A select-all box: turning it off starts from an empty selection.
                                let on = event_target_checked(&ev);
                                all.set(on);
                                if !on { chosen.set(Default::default()); }
                            }/>
                            "All products (including ones added to Flex later)"
                        </label>
                        {view.choices.into_iter().map(|c| {
                            let (code, code2) = (c.code.clone(), c.code.clone());
                            view! {
                                <label class="check-row">
                                    <input type="checkbox" prop:disabled=move || all.get()
                                        prop:checked=move || all.get() || chosen.read().contains(&code)
                                        on:change=move |ev| { let on = event_target_checked(&ev); chosen.update(|s| { if on { s.insert(code2.clone()); } else { s.remove(&code2); } }); }/>
                                    {c.name}" "<span class="muted code">{c.code}</span>
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                    <Show when=move || change.read().is_some()>
                        <crate::components::cost::CostPreview team=team.get_value() change/>
                    </Show>
                    {admin.then(|| view! {
                        <button type="submit" class="button primary" data-testid="save-flex" disabled=move || save.pending().get()>
                            {move || if save.pending().get() { "Saving…" } else { "Save changes" }}
                        </button>
                    })}
                </form>
                {move || match save.value().get() {
                    Some(Ok(())) => Some(Either::Left(view! { <p class="toast" role="status">"Saved. The person was emailed their own selection (team defaults, when on, still take precedence)."</p> })),
                    Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
                    None => None,
                }}
            </section>
        }
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Some(view)) => Some(Either::Left(form(view))),
                    Ok(None) => None,
                    Err(e) => Some(Either::Right(view! { <ErrorPanel error=e/> })),
                }
            })}
        </Suspense>
    }
}

/// The member's devices and the action that removes one (see `Member`).
#[derive(Clone, Copy)]
struct DevicesData {
    list: Resource<Result<MemberDevicesView, crate::error::AppError>>,
    remove: ServerAction<RemoveMemberDevice>,
}

/// R-LIC3: the devices the person registered, by product, with "In use" for the one that
/// holds a live session; admins remove a device (after confirming) to free its place.
#[component]
fn Devices(team: String, member: String, data: DevicesData) -> impl IntoView {
    use crate::components::modal::Modal;
    use crate::server::devices::DeviceView;
    let DevicesData { list: data, remove } = data;
    let confirm: RwSignal<Option<DeviceView>> = RwSignal::new(None);
    let team = StoredValue::new(team);
    let member = StoredValue::new(member);
    let result = move || match remove.value().get() {
        Some(Ok(d)) => Some(Either::Left(view! {
            <p class="toast" role="status" data-testid="device-toast">{format!("Removed {} for {}.", d.name, d.product_name)}</p>
        })),
        Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
        None => None,
    };
    let table = move |view: MemberDevicesView| {
        let admin = view.admin;
        if view.devices.is_empty() {
            return Either::Left(view! {
                <p class="empty pad" data-testid="no-devices">"No devices yet. A device is registered the first time the person starts a product."</p>
            });
        }
        Either::Right(view! {
            <table class="table" data-testid="member-devices">
                <thead><tr>
                    <th scope="col">"Product"</th><th scope="col">"Device"</th><th scope="col">"Registered on"</th>
                    <th scope="col">"Last seen"</th><th scope="col">"Session"</th>
                    {admin.then(|| view! { <th scope="col"><span class="visually-hidden">"Action"</span></th> })}
                </tr></thead>
                <tbody>
                    {view.devices.into_iter().map(|d| {
                        let device = d.clone();
                        view! {
                            <tr data-testid="device">
                                <td>{d.product_name.clone()}<span class="muted code">{d.product_code.clone()}</span></td>
                                <td>{d.name.clone()}</td>
                                <td>{d.registered_on.clone()}</td>
                                <td>{d.last_seen.clone()}</td>
                                <td>{if d.in_use {
                                    Either::Left(view! { <span class="badge badge-active">"In use"</span> })
                                } else {
                                    Either::Right(view! { <span class="muted">"—"</span> })
                                }}</td>
                                {admin.then(|| view! {
                                    <td><button type="button" class="button small" data-testid="remove-device"
                                        aria-label=format!("Remove {} for {}", d.name, d.product_name)
                                        on:click=move |_| { remove.clear(); confirm.set(Some(device.clone())); }>"Remove"</button></td>
                                })}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        })
    };
    view! {
        <section class="panel flush" data-testid="devices">
            <div class="panel-head">
                <h2>"Devices"</h2>
                <p class="muted">"Up to three devices per product; a product runs on one of them at a time."</p>
            </div>
            {result}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => Either::Left(table(view)),
                        Err(e) => Either::Right(view! { <p class="form-error pad" role="alert">{e.to_string()}</p> }),
                    }
                })}
            </Transition>
        </section>
        {move || confirm.get().map(|d| {
            let title = format!("Remove {} for {}?", d.name, d.product_name);
            let go = move |_| {
                remove.dispatch(RemoveMemberDevice {
                    team: team.get_value(),
                    member: member.get_value(),
                    product: d.product_code.clone(),
                    device: d.device_id.clone(),
                });
                confirm.set(None);
            };
            view! {
                <Modal labelled_by="remove-device-title" alert=true on_close=move || confirm.set(None)>
                    <h2 id="remove-device-title">{title}</h2>
                    <p>"The person can register another device in its place; if the product is open there it will have to authorize again."</p>
                    <div class="modal-actions">
                        <button type="button" class="button" on:click=move |_| confirm.set(None)>"Cancel"</button>
                        <button type="button" class="button danger" data-testid="confirm-remove-device" on:click=go>"Remove device"</button>
                    </div>
                </Modal>
            }
        })}
    }
}
