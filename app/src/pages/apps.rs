use crate::components::modal::Modal;
use crate::components::status::{ErrorPanel, Loading};
use crate::server::apps::*;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// What a confirmation dialog is about to do.
#[derive(Clone, Debug, PartialEq)]
enum Pending {
    DeleteKey { ssa: String, kid: String },
    Disable { ssa: String, name: String },
}

/// Apps, Secure Service Accounts and their keys (R-SSA1). Single sign-on lives on the
/// sign-in and directory page, which SSO admins reach too (R-UM5).
#[component]
pub fn Apps() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let new_app = ServerAction::<CreateApp>::new();
    let new_ssa = ServerAction::<CreateSsa>::new();
    let new_key = ServerAction::<CreateSsaKey>::new();
    let delete_key = ServerAction::<DeleteSsaKey>::new();
    let set_enabled = ServerAction::<SetSsaEnabled>::new();
    let data = Resource::new(
        move || {
            (
                team(),
                new_app.version().get(),
                new_ssa.version().get(),
                new_key.version().get(),
                delete_key.version().get(),
                set_enabled.version().get(),
            )
        },
        |(team, ..)| team_apps(team),
    );
    let confirm: RwSignal<Option<Pending>> = RwSignal::new(None);
    let shown_key: RwSignal<Option<ShownOnce>> = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(Ok(k)) = new_key.value().get() {
            shown_key.set(Some(k));
        }
    });
    let action_error = move || {
        [
            new_key.value().get().and_then(|r| r.err()),
            delete_key.value().get().and_then(|r| r.err()),
            set_enabled.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
    };
    view! {
        <Title text="Apps"/>
        <header class="page-header">
            <div>
                <h1>"Apps"</h1>
                <p class="lede">"Apps that use Tessera's APIs, their Secure Service Accounts and keys. How your people sign in is under "
                    <a href=move || format!("/t/{}/directory", team())>"Sign-in and directory"</a>"."</p>
            </div>
        </header>
        {action_error}
        <Suspense fallback=|| view! { <Loading what="apps"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => Either::Left(view! {
                        <NewAppForm create=new_app/>
                        {if view.clients.is_empty() {
                            Either::Left(view! { <section class="panel"><p class="empty">"No apps yet. Create one above, or with "<code>"tessera app create"</code>"."</p></section> })
                        } else {
                            Either::Right(view.clients.into_iter().map(|c| view! { <ClientPanel client=c new_ssa new_key set_enabled confirm/> }).collect_view())
                        }}
                    }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
        {move || shown_key.get().map(|k| view! { <KeyShownOnce key=k on_close=move || shown_key.set(None)/> })}
        {move || confirm.get().map(|p| {
            let (title, text, button) = match &p {
                Pending::DeleteKey { kid, .. } => (
                    format!("Delete key {kid}?"),
                    "Assertions signed with this key will be refused at once. Tokens already issued stay valid until they expire.".to_string(),
                    "Delete key",
                ),
                Pending::Disable { name, .. } => (
                    format!("Disable {name}?"),
                    "It can no longer exchange assertions for tokens, and its tokens stop working on /userinfo. You can enable it again.".to_string(),
                    "Disable",
                ),
            };
            let close = move || confirm.set(None);
            let go = move |_| {
                match p.clone() {
                    Pending::DeleteKey { ssa, kid } => { delete_key.dispatch(DeleteSsaKey { team: team(), ssa, kid }); }
                    Pending::Disable { ssa, .. } => { set_enabled.dispatch(SetSsaEnabled { team: team(), ssa, enabled: false }); }
                }
                confirm.set(None);
            };
            view! {
                <Modal labelled_by="confirm-title" alert=true on_close=close>
                    <h2 id="confirm-title">{title}</h2>
                    <p>{text}</p>
                    <div class="modal-actions">
                        <button type="button" class="button" on:click=move |_| confirm.set(None)>"Cancel"</button>
                        <button type="button" class="button danger" data-testid="confirm" on:click=go>{button}</button>
                    </div>
                </Modal>
            }
        })}
    }
}

#[component]
fn ClientPanel(
    client: ClientView,
    new_ssa: ServerAction<CreateSsa>,
    new_key: ServerAction<CreateSsaKey>,
    set_enabled: ServerAction<SetSsaEnabled>,
    confirm: RwSignal<Option<Pending>>,
) -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read_untracked().get("team").unwrap_or_default();
    let name = RwSignal::new(String::new());
    let client_id = client.id.clone();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        new_ssa.dispatch(CreateSsa { team: team(), client: client_id.clone(), name: name.get_untracked() });
        name.set(String::new());
    };
    let ssa_error = move || {
        new_ssa
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
    };
    let label_id = format!("ssa-name-{}", client.id);
    view! {
        <section class="panel flush" data-testid="app">
            <div class="panel-head">
                <div>
                    <h2>{client.name.clone()}</h2>
                    <p class="muted">"Client id "<code class="mono">{client.id.clone()}</code>" · created "{client.created.clone()}</p>
                    <p class="muted">"Scopes: "{client.scopes.join(", ")}</p>
                    {(!client.redirect_uris.is_empty()).then(|| view! { <p class="muted">"Redirect URIs: "{client.redirect_uris.join(", ")}</p> })}
                </div>
            </div>
            {if client.ssas.is_empty() {
                Either::Left(view! { <p class="empty pad">"No service accounts for this app yet."</p> })
            } else {
                Either::Right(view! {
                    <table class="table" aria-label=format!("Service accounts of {}", client.name)>
                        <thead><tr>
                            <th scope="col">"Service account"</th><th scope="col">"Status"</th>
                            <th scope="col">"Keys (kid · created · last used)"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {client.ssas.into_iter().map(|s| {
                                let id = s.id.clone();
                                let id2 = s.id.clone();
                                let id3 = s.id.clone();
                                let name = s.name.clone();
                                view! {
                                    <tr data-testid="ssa">
                                        <td><strong>{s.name.clone()}</strong><br/><code class="mono">{s.id.clone()}</code><br/><span class="muted">{s.email.clone()}</span></td>
                                        <td>{if s.disabled { view! { <span class="badge badge-expired">"Disabled"</span> }.into_any() } else { view! { <span class="badge badge-active">"Active"</span> }.into_any() }}</td>
                                        <td>
                                            {if s.keys.is_empty() { Either::Left(view! { <span class="muted">"No keys"</span> }) } else { Either::Right(view! {
                                                <ul class="plain">
                                                    {s.keys.into_iter().map(|k| {
                                                        let kid = k.kid.clone();
                                                        let ssa = id.clone();
                                                        view! {
                                                            <li data-testid="key">
                                                                <code class="mono">{k.kid.clone()}</code>" · "{k.created}" · "{k.last_used.unwrap_or_else(|| "never used".into())}" "
                                                                <button type="button" class="button small" aria-label=format!("Delete key {}", k.kid)
                                                                    on:click=move |_| confirm.set(Some(Pending::DeleteKey { ssa: ssa.clone(), kid: kid.clone() }))>"Delete"</button>
                                                            </li>
                                                        }
                                                    }).collect_view()}
                                                </ul>
                                            }) }}
                                        </td>
                                        <td class="nowrap">
                                            {(!s.disabled).then(|| {
                                                let id = id2.clone();
                                                view! { <button type="button" class="button small primary" disabled=move || new_key.pending().get()
                                                    on:click=move |_| { new_key.dispatch(CreateSsaKey { team: team(), ssa: id.clone() }); }>
                                                    {move || if new_key.pending().get() { "Creating key…" } else { "Create key" }}</button> }
                                            })}
                                            " "
                                            {if s.disabled {
                                                Either::Left(view! { <button type="button" class="button small" on:click=move |_| { set_enabled.dispatch(SetSsaEnabled { team: team(), ssa: id3.clone(), enabled: true }); }>"Enable"</button> })
                                            } else {
                                                Either::Right(view! { <button type="button" class="button small danger" on:click=move |_| confirm.set(Some(Pending::Disable { ssa: id3.clone(), name: name.clone() }))>"Disable"</button> })
                                            }}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            }}
            <form class="inline-form pad" on:submit=add>
                <label for=label_id.clone()>"New service account"</label>
                <input id=label_id type="text" placeholder="Name, e.g. Nightly export" maxlength="100" required
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <button type="submit" class="button" disabled=move || new_ssa.pending().get()>"Add service account"</button>
                {ssa_error}
            </form>
        </section>
    }
}

/// The private key, once: copy or download it now.
#[component]
fn KeyShownOnce(key: ShownOnce, on_close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let href = format!(
        "data:application/x-pem-file;charset=utf-8,{}",
        crate::components::layout::urlencode(&key.secret)
    );
    let file = format!("{}.pem", key.id);
    let close = on_close.clone();
    view! {
        <Modal labelled_by="key-title" wide=true on_close=close>
            <h2 id="key-title">"New key created"</h2>
            <p class="form-error">"This is the only time the private key is shown. Tessera does not keep it: download or copy it now."</p>
            <p>"Key id (kid): "<code class="mono" data-testid="new-kid">{key.id.clone()}</code></p>
            <label for="pem">"Private key (PEM)"</label>
            <textarea id="pem" class="mono" rows="10" readonly data-testid="new-pem">{key.secret.clone()}</textarea>
            <div class="modal-actions">
                <a class="button" href=href download=file>"Download .pem"</a>
                <button type="button" class="button primary" on:click=move |_| on_close()>"I have saved it"</button>
            </div>
        </Modal>
    }
}

#[component]
fn NewAppForm(create: ServerAction<CreateApp>) -> impl IntoView {
    let params = use_params_map();
    let result = move || match create.value().get() {
        Some(Ok(s)) => Some(Either::Left(view! {
            <div class="toast" role="status" data-testid="new-app">
                <p>"App created. Client id "<code class="mono">{s.id}</code></p>
                <p>"Client secret (shown only now): "<code class="mono" data-testid="new-secret">{s.secret}</code></p>
            </div>
        })),
        Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
        None => None,
    };
    view! {
        <section class="panel">
            <h2>"New app"</h2>
            <ActionForm action=create>
                <input type="hidden" name="team" prop:value=move || params.read().get("team").unwrap_or_default()/>
                <div class="field">
                    <label for="app-name">"Name"</label>
                    <input id="app-name" name="name" type="text" maxlength="100" required/>
                </div>
                <div class="field">
                    <label for="app-redirects">"Redirect URIs (one per line; https, or http://127.0.0.1/… for desktop products)"</label>
                    <textarea id="app-redirects" name="redirect_uris" rows="2"></textarea>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>"Create app"</button>
                </div>
            </ActionForm>
            {result}
        </section>
    }
}
