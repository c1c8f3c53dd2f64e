use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::{MemberBadges, Pager, SearchBox, SortHeader};
use crate::server::people::{list_members, MemberPage};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// R-UM2: every member of the team with their status; open one to see their products.
#[component]
pub fn ByUser() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
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
            )
        },
        |(team, q, sort, desc, status, page)| list_members(team, q, sort, desc, status, page),
    );
    view! {
        <Title text="Users by user"/>
        <header class="page-header">
            <div>
                <h1>"Users by user"</h1>
                <p class="lede">"Everyone in this team, with their status. Open a person to see and change their products."</p>
            </div>
            <a class="button primary" href=move || format!("/t/{}/users/import", params.read().get("team").unwrap_or_default())>"Import users"</a>
        </header>
        <div class="toolbar">
            <SearchBox label="Search members" placeholder="Search by name or email"/>
            <StatusFilter/>
        </div>
        <Suspense fallback=|| view! { <Loading what="members"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => Either::Left(view! { <MemberTable page/> }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
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

#[component]
fn MemberTable(page: MemberPage) -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    if page.rows.is_empty() {
        return Either::Left(view! {
            <section class="panel empty-state">
                <p>"No member matches this search or filter. Clear the search box or pick “All”."</p>
            </section>
        });
    }
    let MemberPage { rows, total, offset, limit, .. } = page;
    Either::Right(view! {
        <section class="panel flush">
            <table class="table" data-testid="members">
                <thead>
                    <tr>
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
                        view! {
                            <tr>
                                <td><a href=href>{m.name.clone()}</a></td>
                                <td class="muted">{m.email.clone()}</td>
                                <td>
                                    <MemberBadges status=m.status.clone() guest=m.guest admin=m.admin/>
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
