use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::MemberBadges;
use crate::server::assign::ResendInvitation;
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
    let data = Resource::new(
        move || {
            (
                params.read().get("team").unwrap_or_default(),
                params.read().get("member").unwrap_or_default(),
                resend.version().get(),
            )
        },
        |(team, member, _)| member_detail(team, member),
    );
    view! {
        <Suspense fallback=|| view! { <Loading what="member"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => Either::Left(view! { <MemberView detail resend/> }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MemberView(detail: MemberProfile, resend: ServerAction<ResendInvitation>) -> impl IntoView {
    let params = use_params_map();
    let team = params.read_untracked().get("team").unwrap_or_default();
    let m = detail.member.clone();
    let can_resend = detail.admin && m.status != "active";
    let flex_section =
        m.flex.then(|| view! { <FlexAccess team=team.clone() member=m.id.clone() admin=detail.admin/> });
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
        <section class="panel">
            <h2>"Products"</h2>
            {if detail.products.is_empty() && !m.flex {
                Either::Left(view! { <p class="empty">"No products assigned yet. Assign one from Users by product."</p> })
            } else {
                Either::Right(view! {
                    <ul class="product-list" data-testid="member-products">
                        {detail.products.iter().map(|(code, name, access)| {
                            let badge = if access == "trial" { "badge badge-trial" } else { "badge badge-subscription" };
                            let label = if access == "trial" { "Trial" } else { "Subscription" };
                            view! { <li>{name.clone()}<span class="muted code">{code.clone()}</span>" "<span class=badge>{label}</span></li> }
                        }).collect_view()}
                        {m.flex.then(|| view! { <li>"Flex"<span class="muted code">"FLEX"</span>" "<span class="badge badge-flex">"Flex"</span></li> })}
                    </ul>
                })
            }}
        </section>
        {flex_section}
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
