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
    }
}
