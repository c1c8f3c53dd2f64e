//! R-INV2: the *Pending invitations* view. Everyone who has not accepted, with when their
//! invitation was sent and expires, who invited them, and "Not sent" for people an import
//! added; send (or send again) and withdraw from here.
use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::{MemberBadges, Pager, SearchBox};
use crate::server::members::{pending_invitations, PendingPage, SendInvitations, WithdrawInvitation};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn PendingInvitations() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let send = ServerAction::<SendInvitations>::new();
    let withdraw = ServerAction::<WithdrawInvitation>::new();
    let data = Resource::new(
        move || {
            (
                params.read().get("team").unwrap_or_default(),
                query.read().get("q"),
                query.read().get("page").and_then(|p| p.parse::<i64>().ok()),
                send.version().get() + withdraw.version().get(),
            )
        },
        |(team, q, page, _)| pending_invitations(team, q, page),
    );
    let result = move || {
        if let Some(r) = withdraw.value().get() {
            return Some(r.map(|name| format!("Withdrew the invitation to {name}.")));
        }
        send.value().get().map(|r| {
            r.map(|s| format!("Sent {} {}.", s.sent, if s.sent == 1 { "invitation" } else { "invitations" }))
        })
    };
    view! {
        <Title text="Pending invitations"/>
        <header class="page-header">
            <div>
                <p class="crumbs"><a href=move || format!("/t/{}/users", params.read().get("team").unwrap_or_default())>"Users by user"</a></p>
                <h1>"Pending invitations"</h1>
                <p class="lede">"People who have not accepted yet. An invitation link works for 7 days; sending again makes a new link and the old one stops working. People added by an import were not emailed until you send them an invitation."</p>
            </div>
        </header>
        {move || result().map(|r| match r {
            Ok(text) => Either::Left(view! { <p class="toast" role="status" data-testid="pending-result">{text}</p> }),
            Err(e) => Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> }),
        })}
        <div class="toolbar">
            <SearchBox label="Search invitations" placeholder="Search by name or email"/>
        </div>
        <Suspense fallback=|| view! { <Loading what="invitations"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => Either::Left(view! { <PendingTable page send withdraw/> }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PendingTable(
    page: PendingPage,
    send: ServerAction<SendInvitations>,
    withdraw: ServerAction<WithdrawInvitation>,
) -> impl IntoView {
    use crate::components::modal::Modal;
    let params = use_params_map();
    let team = move || params.read_untracked().get("team").unwrap_or_default();
    let confirm: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    if page.rows.is_empty() {
        return Either::Left(view! {
            <section class="panel empty-state" data-testid="no-pending">
                <p>"No pending invitations. Everyone invited has accepted, or nobody matches this search."</p>
            </section>
        });
    }
    let PendingPage { rows, total, offset, limit } = page;
    Either::Right(view! {
        <section class="panel flush">
            <table class="table" data-testid="pending">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Status"</th>
                    <th scope="col">"Sent"</th><th scope="col">"Expires"</th><th scope="col">"Invited by"</th>
                    <th scope="col">"Assigned while invited"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let m = r.member;
                        let (id, id2, name) = (m.id.clone(), m.id.clone(), m.name.clone());
                        let href = format!("/t/{}/users/{}", team(), m.id);
                        let send_label = if r.emailed { "Send again" } else { "Send invitation" };
                        view! {
                            <tr data-testid="pending-row">
                                <td><a href=href>{m.name.clone()}</a></td>
                                <td class="muted">{m.email.clone()}</td>
                                <td><MemberBadges status=m.status.clone() guest=m.guest role=m.role.clone() synced=m.synced/></td>
                                <td>{if r.emailed { r.sent_on.clone() } else { "Not sent".to_string() }}</td>
                                <td>{if r.emailed { r.expires_on.clone() } else { "—".to_string() }}</td>
                                <td>{r.invited_by.clone().unwrap_or_else(|| "—".into())}</td>
                                <td data-testid="assigned-while-invited">{if r.assigned.is_empty() { "Nothing yet".to_string() } else { r.assigned.join(", ") }}</td>
                                <td class="actions">
                                    <button type="button" class="button small" aria-label=format!("{send_label} to {}", m.name)
                                        disabled=move || send.pending().get()
                                        on:click=move |_| { withdraw.clear(); send.dispatch(SendInvitations { team: team(), member_ids: vec![id.clone()] }); }>{send_label}</button>
                                    " "
                                    <button type="button" class="button small danger" aria-label=format!("Withdraw the invitation to {}", m.name)
                                        on:click=move |_| confirm.set(Some((id2.clone(), name.clone())))>"Withdraw"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <Pager total offset limit/>
        </section>
        {move || confirm.get().map(|(id, name)| view! {
            <Modal labelled_by="withdraw-title" alert=true on_close=move || confirm.set(None)>
                <h2 id="withdraw-title">{format!("Withdraw the invitation to {name}?")}</h2>
                <p>"The invitation link stops working, and the person leaves the team with whatever was assigned to them. You can invite them again later."</p>
                <div class="modal-actions">
                    <button type="button" class="button" data-testid="cancel-withdraw" on:click=move |_| confirm.set(None)>"Cancel"</button>
                    <button type="button" class="button danger" data-testid="confirm-withdraw" on:click=move |_| {
                        send.clear();
                        withdraw.dispatch(WithdrawInvitation { team: team(), member: id.clone() });
                        confirm.set(None);
                    }>"Withdraw invitation"</button>
                </div>
            </Modal>
        })}
    })
}
