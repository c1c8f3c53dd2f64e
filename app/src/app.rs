use crate::components::layout::ConsoleLayout;
use crate::pages::{
    accept_invite::AcceptInvite, by_product::ByProduct, by_user::ByUser, home::Home, import::Import,
    member::Member, not_found::NotFound, product::Product, root::RootRedirect, settings::Settings,
    sign_in::SignIn, usage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // In the shell rather than leptos_meta's <Stylesheet/>, whose head-cursor
                // hydration panicked here (tachys 0.2.19).
                <link rel="stylesheet" id="leptos" href=format!("/pkg/{}.css", options.output_name)/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Effects run only in the browser: this attribute tells people and tests that the page
    // is hydrated and every control is live.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|t: String| if t.is_empty() { "Tessera".to_string() } else { format!("{t} · Tessera") }/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=RootRedirect ssr=SsrMode::Async/>
                <Route path=path!("/sign-in") view=SignIn ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view=AcceptInvite ssr=SsrMode::Async/>
                <Route path=path!("/account") view=crate::pages::account::Account ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view=crate::pages::reset::ForgotPassword ssr=SsrMode::Async/>
                <Route path=path!("/reset/:token") view=crate::pages::reset::ResetPasswordPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("/t/:team") view=ConsoleLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=Home/>
                    <Route path=path!("users") view=ByUser/>
                    <Route path=path!("users/import") view=Import/>
                    <Route path=path!("users/:member") view=Member/>
                    <Route path=path!("invitations") view=crate::pages::invitations::PendingInvitations/>
                    <Route path=path!("groups") view=crate::pages::groups::UsersByGroup/>
                    <Route path=path!("groups/:group") view=crate::pages::groups::GroupPageView/>
                    <Route path=path!("products") view=ByProduct/>
                    <Route path=path!("products/:code") view=Product/>
                    <Route path=path!("settings") view=Settings/>
                    <Route path=path!("apps") view=crate::pages::apps::Apps/>
                    <Route path=path!("directory") view=crate::pages::directory::SignInAndDirectory/>
                    <Route path=path!("flex") view=crate::pages::flex_tokens::FlexTokens/>
                    <Route path=path!("usage") view=usage::UsageSummaryPage/>
                    <Route path=path!("usage/products") view=usage::UsageProductsPage/>
                    <Route path=path!("usage/products/:code") view=usage::UsageProductPage/>
                    <Route path=path!("usage/users") view=usage::UsageUsersPage/>
                    <Route path=path!("usage/seats") view=usage::SeatUsagePage/>
                    <Route path=path!("usage/advice") view=usage::UsageAdvicePage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
