use crate::components::status::{ErrorPanel, Loading};
use crate::components::table::{query_pairs, query_url, Pager};
use crate::server::audit::{audit_log, AuditPage, AUDIT_ACTIONS};
use crate::server::flex::{flex_defaults, DefaultsView, SaveFlexDefaults};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};
use std::collections::BTreeSet;

/// The team's name, editable by its admins.
#[component]
fn TeamNameForm() -> impl IntoView {
    use crate::server::home::team_home;
    use crate::server::members::RenameTeam;
    let params = use_params_map();
    let rename = ServerAction::<RenameTeam>::new();
    let current = Resource::new(move || params.read().get("team").unwrap_or_default(), team_home);
    view! {
        <section class="panel" data-testid="team-name">
            <h2>"Team name"</h2>
            <Suspense fallback=|| view! { <Loading what="team name"/> }>
                {move || Suspend::new(async move {
                    current.await.ok().map(|home| view! {
                        <ActionForm action=rename>
                            <input type="hidden" name="team" value=home.team_id.clone()/>
                            <div class="form-row">
                                <label for="team-name-input">"Name"</label>
                                <input id="team-name-input" name="name" type="text" maxlength="80" required=true
                                    value=home.team_name.clone() data-testid="team-name-input"/>
                                <button type="submit" class="button" data-testid="rename-team" disabled=move || rename.pending().get()>
                                    {move || if rename.pending().get() { "Saving…" } else { "Rename team" }}
                                </button>
                            </div>
                        </ActionForm>
                    })
                })}
            </Suspense>
            {move || rename.value().get().map(|r| match r {
                Ok(name) => Either::Left(view! { <p class="toast" role="status" data-testid="rename-result">{format!("The team is now called {name}.")}</p> }),
                Err(e) => Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> }),
            })}
        </section>
    }
}

/// Team settings: the team's name, default Flex assignments (R-FX2) and the audit log.
#[component]
pub fn Settings() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let save = ServerAction::<SaveFlexDefaults>::new();
    let defaults = Resource::new(
        move || (params.read().get("team").unwrap_or_default(), save.version().get()),
        |(team, _)| flex_defaults(team),
    );
    let audit = Resource::new(
        move || {
            (
                params.read().get("team").unwrap_or_default(),
                query.read().get("action"),
                query.read().get("page").and_then(|p| p.parse::<i64>().ok()),
                save.version().get(),
            )
        },
        |(team, action, page, _)| audit_log(team, action, page),
    );
    view! {
        <Title text="Team settings"/>
        <header class="page-header">
            <div>
                <h1>"Team settings"</h1>
                <p class="lede">"Default Flex assignments for the whole team, and the record of every change admins made."</p>
            </div>
        </header>
        <TeamNameForm/>
        <Suspense fallback=|| view! { <Loading what="default assignments"/> }>
            {move || Suspend::new(async move {
                match defaults.await {
                    Ok(view) => Either::Left(view! { <DefaultsForm view save/> }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
        <section class="panel flush">
            <div class="panel-head">
                <h2>"Audit log"</h2>
                <ActionFilter/>
            </div>
            <Suspense fallback=|| view! { <Loading what="audit log"/> }>
                {move || Suspend::new(async move {
                    match audit.await {
                        Ok(page) => Either::Left(view! { <AuditTable page/> }),
                        Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn DefaultsForm(view: DefaultsView, save: ServerAction<SaveFlexDefaults>) -> impl IntoView {
    let params = use_params_map();
    let team = params.read_untracked().get("team").unwrap_or_default();
    let chosen: RwSignal<BTreeSet<String>> =
        RwSignal::new(view.choices.iter().filter(|c| c.selected).map(|c| c.code.clone()).collect());
    let admin = view.admin;
    let result = move || match save.value().get() {
        Some(Ok(n)) => {
            let text = if n == 0 {
                "Default assignments are off. Each Flex user's own products apply.".to_string()
            } else {
                format!("Saved: every Flex user now gets these {n} products (guests only if support turned that on). No email was sent.")
            };
            Some(Either::Left(
                view! { <p class="toast" role="status" data-testid="defaults-result">{text}</p> },
            ))
        }
        Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
        None => None,
    };
    // Saving asks first: the dialog shows who will hold what once the change is made.
    let asking: RwSignal<Option<Vec<String>>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        asking.set(Some(chosen.get_untracked().into_iter().collect()));
    };
    let team = StoredValue::new(team);
    view! {
        <section class="panel">
            <h2>"Default assignments"</h2>
            <p class="lede">
                "Products chosen here apply to every existing and new Flex user of the team, instead of their own selection. "
                "Products added to Flex later are not included. Clear every product to turn defaults off. Nobody is emailed about changes here."
            </p>
            <p class="muted">{if view.guest_defaults { "Defaults also apply to guest users (turned on by support)." } else { "Defaults do not apply to guest users." }}</p>
            <form on:submit=submit>
                <fieldset class="checklist" disabled=!admin>
                    <legend class="visually-hidden">"Default Flex products"</legend>
                    {view.choices.into_iter().map(|c| {
                        let code = c.code.clone();
                        let code2 = c.code.clone();
                        view! {
                            <label class="check-row">
                                <input type="checkbox" prop:checked=move || chosen.read().contains(&code)
                                    on:change=move |ev| crate::components::table::mark(chosen, [&code2], event_target_checked(&ev))/>
                                {c.name}" "<span class="muted code">{c.code}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                {admin.then(|| view! {
                    <div class="form-actions">
                        <button type="submit" class="button primary" data-testid="save-defaults" disabled=move || save.pending().get()>
                            {move || if save.pending().get() { "Saving…" } else { "Save default assignments" }}
                        </button>
                    </div>
                })}
            </form>
            {result}
            {move || asking.get().map(|codes| view! {
                <ConfirmDefaults team=team.get_value() codes save on_close=move || asking.set(None)/>
            })}
        </section>
    }
}

/// Asks before the team's defaults change, with what the change does (R-FX2): how many Flex
/// users the defaults will decide, and per product how many will hold it and how many of
/// those through their own selection.
#[component]
fn ConfirmDefaults(
    team: String,
    codes: Vec<String>,
    save: ServerAction<SaveFlexDefaults>,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    use crate::components::modal::{safe_answer, DialogRefusal, Modal};
    use crate::server::flex::preview_flex_defaults;
    let (t, c) = (team.clone(), codes.clone());
    let preview = Resource::new(|| (), move |_| preview_flex_defaults(t.clone(), c.clone()));
    let (title, answer) = if codes.is_empty() {
        ("Turn default assignments off?", "Turn defaults off")
    } else {
        ("Save these default assignments?", "Save default assignments")
    };
    let request = StoredValue::new((team, codes));
    let cancel_ref = safe_answer();
    let (close, close2) = (on_close.clone(), on_close.clone());
    view! {
        <Modal labelled_by="defaults-title" alert=true wide=true on_close=close>
            <h2 id="defaults-title">{title}</h2>
            <Suspense fallback=|| view! { <p role="status">"Working out who will hold what…"</p> }>
                {move || {
                    let close = close2.clone();
                    Suspend::new(async move {
                        match preview.await {
                            Ok(p) => {
                                let (close, close_after) = (close.clone(), close.clone());
                                Either::Left(view! {
                                    <p data-testid="defaults-summary">{p.summary.clone()}</p>
                                    <table class="table" data-testid="defaults-preview">
                                        <caption class="visually-hidden">"Flex users per product, now and after saving"</caption>
                                        <thead><tr>
                                            <th scope="col">"Product"</th>
                                            <th scope="col" class="num">"Now"</th>
                                            <th scope="col" class="num">"After saving"</th>
                                            <th scope="col" class="num">"Of whom through their own selection"</th>
                                        </tr></thead>
                                        <tbody>
                                            {p.lines.iter().map(|l| view! {
                                                <tr>
                                                    <th scope="row">{l.name.clone()}</th>
                                                    <td class="num">{l.before}</td>
                                                    <td class="num">{l.after}</td>
                                                    <td class="num">{l.own_after}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                    <crate::components::cost::CostPreview team=request.get_value().0
                                        change=Signal::derive(move || Some(crate::server::advice::CostChange::Defaults { codes: request.get_value().1 }))/>
                                    <p class="muted">"Nobody is emailed about this change."</p>
                                    <div class="modal-actions">
                                        <button type="button" class="button" data-testid="cancel-defaults" node_ref=cancel_ref on:click=move |_| close()>"Cancel"</button>
                                        <button type="button" class="button primary" data-testid="confirm-defaults"
                                            on:click=move |_| {
                                                let (team, codes) = request.get_value();
                                                save.dispatch(SaveFlexDefaults { team, codes });
                                                close_after();
                                            }>{answer}</button>
                                    </div>
                                })
                            }
                            Err(e) => Either::Right(view! { <DialogRefusal error=e on_close=close.clone()/> }),
                        }
                    })
                }}
            </Suspense>
        </Modal>
    }
}

#[component]
fn ActionFilter() -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let current = move || query.read().get("action").unwrap_or_default();
    view! {
        <nav class="chips" aria-label="Filter by change">
            {AUDIT_ACTIONS.into_iter().map(|(value, label)| {
                let href = move || query_url(&location.pathname.get(), &query_pairs(&query.read()), &[("action", value.to_string()), ("page", String::new())]);
                view! { <a class="chip" href=href aria-current=move || (current() == value).then_some("true")>{label}</a> }
            }).collect_view()}
        </nav>
    }
}

#[component]
fn AuditTable(page: AuditPage) -> impl IntoView {
    if page.rows.is_empty() {
        return Either::Left(view! { <p class="empty pad">"No change recorded yet for this filter."</p> });
    }
    let AuditPage { rows, total, offset, limit } = page;
    Either::Right(view! {
        <table class="table" data-testid="audit">
            <thead><tr>
                <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Change"</th>
                <th scope="col">"What"</th><th scope="col">"Before"</th><th scope="col">"After"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr>
                        <td class="nowrap">{r.at}</td>
                        <td>{r.actor}</td>
                        <td><span class="badge badge-admin">{r.action}</span></td>
                        <td>{r.target}</td>
                        <td class="mono">{r.before.unwrap_or_default()}</td>
                        <td class="mono">{r.after.unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <Pager total offset limit/>
    })
}
