use crate::components::status::ErrorPanel;
use crate::server::auth::whoami;
use leptos::either::EitherOf4;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// `/`: the signed-in person lands on their first team; everyone else on the sign-in page.
#[component]
pub fn RootRedirect() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => match me.teams.first() {
                        Some(t) => EitherOf4::A(view! { <Redirect path=format!("/t/{}", t.id)/> }),
                        None => EitherOf4::B(view! {
                            <main class="centered">
                                <section class="panel">
                                    <h1>"No team yet"</h1>
                                    <p>{format!("You are signed in as {}, but you are not a member of any team. Ask a team admin to invite you.", me.email)}</p>
                                </section>
                            </main>
                        }),
                    },
                    Ok(None) => EitherOf4::C(view! { <Redirect path="/sign-in"/> }),
                    Err(e) => EitherOf4::D(view! { <main class="centered"><ErrorPanel error=e/></main> }),
                }
            })}
        </Suspense>
    }
}
