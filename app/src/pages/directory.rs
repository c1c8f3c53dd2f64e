//! Sign-in and directory (R-SSO1, R-DIR1): the team's single sign-on provider, the tokens
//! its directory (Okta, Entra ID) syncs people and groups with over SCIM, and whether the
//! people the directory adds are invited by email. Reached by admins and SSO admins
//! (R-UM5), the only page of the team an SSO admin runs.
use crate::components::modal::Modal;
use crate::components::status::{ErrorPanel, Loading};
use crate::server::apps::{SaveSso, SsoView};
use crate::server::directory::*;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn SignInAndDirectory() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let save_sso = ServerAction::<SaveSso>::new();
    let create = ServerAction::<CreateDirectoryToken>::new();
    let revoke = ServerAction::<RevokeDirectoryToken>::new();
    let settings = ServerAction::<SaveDirectorySettings>::new();
    let data = Resource::new(
        move || {
            (
                team(),
                save_sso.version().get(),
                create.version().get(),
                revoke.version().get(),
                settings.version().get(),
            )
        },
        |(team, ..)| team_directory(team),
    );
    view! {
        <Title text="Sign-in and directory"/>
        <header class="page-header">
            <div>
                <h1>"Sign-in and directory"</h1>
                <p class="lede">"How your people sign in, and how your company's directory keeps the team's people and groups in step."</p>
            </div>
        </header>
        <Suspense fallback=|| view! { <Loading what="sign-in settings"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => Either::Left(view! {
                        <SsoForm sso=view.sso.clone() save=save_sso/>
                        <DirectorySync view=view create revoke settings/>
                    }),
                    Err(e) => Either::Right(view! { <ErrorPanel error=e/> }),
                }
            })}
        </Suspense>
    }
}

/// R-DIR1: the directory's base URL and tokens (each shown once, stored hashed, revocable)
/// and how synced people join.
#[component]
fn DirectorySync(
    view: DirectoryView,
    create: ServerAction<CreateDirectoryToken>,
    revoke: ServerAction<RevokeDirectoryToken>,
    settings: ServerAction<SaveDirectorySettings>,
) -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let confirm: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    let created = move || match create.value().get() {
        Some(Ok(t)) => Some(Either::Left(view! {
            <div class="secret-once" role="status" data-testid="directory-token">
                <p><strong>"Copy this token now: it is not shown again."</strong></p>
                <p>"Base URL: "<code class="mono">{t.base_url}</code></p>
                <p>"Token: "<code class="mono" data-testid="directory-token-value">{t.token}</code></p>
            </div>
        })),
        Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
        None => None,
    };
    let revoked = move || match revoke.value().get() {
        Some(Ok(label)) => Some(Either::Left(view! {
            <p class="toast" role="status" data-testid="token-revoked">{format!("Token \"{label}\" revoked: the directory's next request with it is refused.")}</p>
        })),
        Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
        None => None,
    };
    let saved = move || match settings.value().get() {
        Some(Ok(())) => {
            Some(Either::Left(view! { <p class="toast" role="status">"Directory settings saved."</p> }))
        }
        Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
        None => None,
    };
    let tokens = view.tokens.clone();
    view! {
        <section class="panel" data-testid="directory-sync">
            <h2>"Directory sync (SCIM 2.0)"</h2>
            <p>"Connect Okta or Microsoft Entra ID: give it this base URL and a token below. People and groups it syncs show as "
                <em>"Synced"</em>" and are changed only in the directory; you still give groups their products here."</p>
            <p>"Base URL: "<code class="mono" data-testid="scim-base-url">{view.base_url.clone()}</code></p>
            <ActionForm action=create>
                <input type="hidden" name="team" prop:value=team/>
                <div class="field">
                    <label for="token-label">"New token's label"</label>
                    <input id="token-label" name="label" type="text" maxlength="80" placeholder="Okta" required/>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button primary" data-testid="create-token" disabled=move || create.pending().get()>"Create token"</button>
                </div>
            </ActionForm>
            {created}
            {revoked}
            {if tokens.is_empty() {
                Either::Left(view! { <p class="empty" data-testid="no-tokens">"No directory tokens yet: nothing can sync until you create one."</p> })
            } else {
                Either::Right(view! {
                    <table class="table" data-testid="directory-tokens">
                        <caption class="visually-hidden">"Directory tokens"</caption>
                        <thead><tr>
                            <th scope="col">"Label"</th><th scope="col">"Created"</th><th scope="col">"By"</th>
                            <th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Action"</span></th>
                        </tr></thead>
                        <tbody>
                            {tokens.into_iter().map(|t| {
                                let (id, label) = (t.id.clone(), t.label.clone());
                                view! {
                                    <tr>
                                        <td>{t.label.clone()}</td><td>{t.created.clone()}</td><td>{t.created_by.clone()}</td><td>{t.last_used.clone()}</td>
                                        <td><button type="button" class="button danger" aria-label=format!("Revoke token {}", t.label)
                                            on:click=move |_| confirm.set(Some((id.clone(), label.clone())))>"Revoke"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            }}
            <h3>"People the directory adds"</h3>
            <ActionForm action=settings>
                <input type="hidden" name="team" prop:value=team/>
                <label class="check-row">
                    <input type="checkbox" name="invites" value="true" checked=view.invites data-testid="scim-invites"/>
                    "Email them an invitation (they become active when they accept). Otherwise they are active at once and sign in with single sign-on."
                </label>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || settings.pending().get()>"Save directory settings"</button>
                </div>
            </ActionForm>
            {saved}
        </section>
        {move || confirm.get().map(|(id, label)| view! {
            <Modal labelled_by="revoke-title" alert=true on_close=move || confirm.set(None)>
                <h2 id="revoke-title">{format!("Revoke the token \"{label}\"?")}</h2>
                <p>"The directory's next request with it is refused, and nothing syncs until it is given a new token. People and groups already synced stay as they are."</p>
                <div class="modal-actions">
                    <button type="button" class="button" on:click=move |_| confirm.set(None)>"Cancel"</button>
                    <button type="button" class="button danger" data-testid="confirm-revoke" on:click=move |_| {
                        revoke.dispatch(RevokeDirectoryToken { team: team(), token: id.clone() });
                        confirm.set(None);
                    }>"Revoke token"</button>
                </div>
            </Modal>
        })}
    }
}

#[component]
fn SsoForm(sso: SsoView, save: ServerAction<SaveSso>) -> impl IntoView {
    let params = use_params_map();
    let result = move || match save.value().get() {
        Some(Ok(())) => Some(Either::Left(
            view! { <p class="toast" role="status" data-testid="sso-saved">"Single sign-on settings saved."</p> },
        )),
        Some(Err(e)) => Some(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
        None => None,
    };
    view! {
        <section class="panel">
            <h2>"Single sign-on"</h2>
            <p class="lede">"Let members sign in with your company's OpenID Connect provider. Register this callback URL with the provider: "
                <code class="mono">{sso.callback_url.clone()}</code></p>
            <ActionForm action=save>
                <input type="hidden" name="team" prop:value=move || params.read().get("team").unwrap_or_default()/>
                <div class="field">
                    <label for="sso-issuer">"Issuer URL"</label>
                    <input id="sso-issuer" name="issuer" type="url" placeholder="https://login.example.com" value=sso.issuer.clone() required/>
                </div>
                <div class="field">
                    <label for="sso-client">"Client id"</label>
                    <input id="sso-client" name="client_id" type="text" value=sso.client_id.clone() required/>
                </div>
                <div class="field">
                    <label for="sso-secret">"Client secret"</label>
                    <input id="sso-secret" name="client_secret" type="password" autocomplete="off"
                        placeholder=if sso.has_secret { "Stored — leave empty to keep it" } else { "" }/>
                </div>
                <label class="check-row">
                    <input type="checkbox" name="enabled" value="true" checked=sso.enabled/>
                    "Members can sign in with this provider"
                </label>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save single sign-on"</button>
                </div>
            </ActionForm>
            {result}
        </section>
    }
}
