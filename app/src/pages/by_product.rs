use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::access_badge;
use crate::server::people::{team_offers, OfferView};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// R-UM1: the team's subscriptions, trials and Flex, with seats used.
#[component]
pub fn ByProduct() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(move || params.read().get("team").unwrap_or_default(), team_offers);
    view! {
        <Title text="Users by product"/>
        <header class="page-header">
            <div>
                <h1>"Users by product"</h1>
                <p class="lede">"The products this team holds. Open one to see who is assigned and to assign more people."</p>
            </div>
        </header>
        <Suspense fallback=|| view! { <Loading what="products"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(offers) => Either::Left(view! { <OfferTable offers/> }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OfferTable(offers: Vec<OfferView>) -> impl IntoView {
    let params = use_params_map();
    let team = params.read_untracked().get("team").unwrap_or_default();
    if offers.is_empty() {
        return Either::Left(view! {
            <section class="panel empty-state"><p>"This team holds no subscriptions, trials or Flex tokens yet."</p></section>
        });
    }
    Either::Right(view! {
        <section class="panel flush">
            <table class="table" data-testid="offers">
                <thead><tr>
                    <th scope="col">"Product"</th><th scope="col">"Access"</th>
                    <th scope="col" class="num">"Assigned"</th><th scope="col">"Ends"</th>
                </tr></thead>
                <tbody>
                    {offers.into_iter().map(|o| {
                        let (class, label) = access_badge(o.access);
                        let assigned = match o.seats {
                            Some(s) => format!("{} of {}", o.assigned, s),
                            None => format!("{} users", o.assigned),
                        };
                        view! {
                            <tr>
                                <td><a href=format!("/t/{team}/products/{}", o.code)>{o.name}</a><span class="muted code">{o.code.clone()}</span></td>
                                <td><span class=class>{label}</span></td>
                                <td class="num">{assigned}</td>
                                <td>{o.ends_on.unwrap_or_else(|| "—".into())}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    })
}
