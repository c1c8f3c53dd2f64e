use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::MemberBadges;
use crate::server::assign::{AssignUsers, ResendInvitation, UnassignUsers};
use crate::server::devices::{member_devices, MemberDevicesView, RemoveMemberDevice};
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
    let data = Resource::new(
        move || {
            (
                params.read().get("team").unwrap_or_default(),
                params.read().get("member").unwrap_or_default(),
                resend.version().get() + assign.version().get() + unassign.version().get(),
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
                    Ok(detail) => Either::Left(view! { <MemberView detail resend assign unassign devices/> }),
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
) -> impl IntoView {
    let params = use_params_map();
    let team = params.read_untracked().get("team").unwrap_or_default();
    let m = detail.member.clone();
    let can_resend = detail.admin && m.status != "active";
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
                <p><MemberBadges status=m.status.clone() guest=m.guest admin=m.admin/></p>
                // Issue 15: mail the address refused is given up once; the admin must know.
                {m.undeliverable.clone().map(|why| view! {
                    <p class="form-error" role="status" data-testid="mail-undeliverable">
                        "Email to this address could not be delivered ("{why}"). Check the address with the person."
                    </p>
                })}
            </div>
            {can_resend.then(|| view! {
                <ActionForm action=resend>
                    <input type="hidden" name="team" value=team.clone()/>
                    <input type="hidden" name="member" value=m.id.clone()/>
                    <button type="submit" class="button primary" disabled=move || resend.pending().get()>
                        {move || if resend.pending().get() { "Sending…" } else { "Resend invitation" }}
                    </button>
                </ActionForm>
            })}
        </header>
        {result}
        <ProductsOf detail=detail.clone() assign unassign/>
        {flex_section}
        {devices}
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
                        let has = held.contains(&o.code);
                        let (class, label) = access_badge(o.access);
                        let seats = o.seats.map(|s| format!("{} of {s}", o.assigned)).unwrap_or_else(|| format!("{} users", o.assigned));
                        let (code, name) = (o.code.clone(), o.name.clone());
                        let action = detail.admin.then(|| if has {
                            Either::Left(view! {
                                <td><button type="button" class="button" aria-label=format!("Unassign {}", name)
                                    on:click=move |_| confirm.set(Some((code.clone(), name.clone())))>"Unassign"</button></td>
                            })
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
                                <td>{if has { "Assigned" } else { "—" }}</td>
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
