//! A modal dialog: focus moves into it when it opens, Tab and Shift+Tab stay inside it,
//! Escape closes it (UI.md: dialogs trap focus and close on Escape).
use leptos::html::Div;
use leptos::prelude::*;

const FOCUSABLE: &str =
    "button:not([disabled]), input:not([disabled]):not([type=hidden]), textarea:not([disabled]), select, a[href]";

#[component]
pub fn Modal(
    /// Id of the element that names the dialog (its heading).
    #[prop(into)]
    labelled_by: String,
    /// A question that needs an answer (`alertdialog`) rather than a form.
    #[prop(optional)]
    alert: bool,
    #[prop(optional)] wide: bool,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<Div>::new();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(root) = node.get() {
            focus_at(&root, 0);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = node;
    });
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            on_close();
        } else if ev.key() == "Tab" {
            #[cfg(feature = "hydrate")]
            if let Some(root) = node.get_untracked() {
                trap_tab(&ev, &root);
            }
        }
    };
    view! {
        <div class="modal-backdrop">
            <div node_ref=node class=if wide { "modal wide" } else { "modal" }
                role=if alert { "alertdialog" } else { "dialog" } aria-modal="true" aria-labelledby=labelled_by
                on:keydown=keydown>
                {children()}
            </div>
        </div>
    }
}

#[cfg(feature = "hydrate")]
fn focusables(root: &web_sys::HtmlDivElement) -> Vec<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    let Ok(list) = root.query_selector_all(FOCUSABLE) else { return vec![] };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

#[cfg(feature = "hydrate")]
fn focus_at(root: &web_sys::HtmlDivElement, index: usize) {
    if let Some(el) = focusables(root).get(index) {
        let _ = el.focus();
    }
}

#[cfg(feature = "hydrate")]
fn trap_tab(ev: &leptos::ev::KeyboardEvent, root: &web_sys::HtmlDivElement) {
    let items = focusables(root);
    let (Some(first), Some(last)) = (items.first(), items.last()) else { return };
    let active = document().active_element();
    let is = |el: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a.is_same_node(Some(el)));
    if ev.shift_key() && is(first) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && is(last) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

#[cfg(not(feature = "hydrate"))]
#[allow(dead_code)]
const _: &str = FOCUSABLE;

/// The button a confirmation's answers start on, once they appear: a dialog whose answers
/// arrive after it opened (a preview is fetched first) gives the safe one the focus then.
pub fn safe_answer() -> NodeRef<leptos::html::Button> {
    let node = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(b) = node.get() {
            let _ = b.focus();
        }
    });
    node
}

/// What a dialog shows when the preview it asked for was refused: the reason and a way out.
#[component]
pub fn DialogRefusal(
    error: crate::error::AppError,
    on_close: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <p class="form-error" role="alert">{error.to_string()}</p>
        <div class="modal-actions">
            <button type="button" class="button" on:click=move |_| on_close()>"Close"</button>
        </div>
    }
}

/// Asks before taking a product away from one person or several.
#[component]
pub fn ConfirmUnassign(
    names: Vec<String>,
    product: String,
    on_cancel: impl Fn() + Clone + Send + Sync + 'static,
    on_confirm: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let question = match names.as_slice() {
        [one] => format!("Remove {one}'s access to {product}?"),
        many => format!("Remove {} people's access to {product}?", many.len()),
    };
    let cancel = on_cancel.clone();
    let cancel2 = on_cancel.clone();
    view! {
        <Modal labelled_by="confirm-title" alert=true on_close=cancel>
                <h2 id="confirm-title">{question}</h2>
                <p>"They can no longer use it. You can assign it again later."</p>
                <div class="modal-actions">
                    <button type="button" class="button" data-testid="cancel-unassign" on:click=move |_| cancel2()>"Cancel"</button>
                    <button type="button" class="button danger" data-testid="confirm-unassign" on:click=move |_| on_confirm()>"Remove access"</button>
                </div>
        </Modal>
    }
}

/// Asks before removing people from the team (R-UM4), naming what each loses; the server
/// works out the consequences (and any refusal, such as the last admin) before anything
/// is changed.
#[component]
pub fn ConfirmRemoval(
    team: String,
    ids: Vec<String>,
    remove: ServerAction<crate::server::members::RemoveMembers>,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    use crate::server::members::{removal_preview, RemoveMembers};
    use leptos::either::Either;
    let count = ids.len();
    let (t, i) = (team.clone(), ids.clone());
    let preview = Resource::new(|| (), move |_| removal_preview(t.clone(), i.clone()));
    let team = StoredValue::new(team);
    let ids = StoredValue::new(ids);
    let (close, close2, close3) = (on_close.clone(), on_close.clone(), on_close.clone());
    let title = if count == 1 {
        "Remove this person from the team?".to_string()
    } else {
        format!("Remove {count} people from the team?")
    };
    let cancel_ref = safe_answer();
    view! {
        <Modal labelled_by="remove-title" alert=true on_close=close>
            <h2 id="remove-title">{title}</h2>
            <Suspense fallback=|| view! { <p role="status">"Working out what this changes…"</p> }>
                {move || {
                    let (close2, close3) = (close2.clone(), close3.clone());
                    Suspend::new(async move {
                    match preview.await {
                        Ok(p) => {
                            let more = p.people.len().saturating_sub(8);
                            let refused = p.refusal.clone();
                            let close = close2.clone();
                            Either::Left(view! {
                                <p data-testid="removal-summary">{p.summary.clone()}</p>
                                {(p.people.len() > 1).then(|| view! {
                                    <ul class="consequences">
                                        {p.people.iter().take(8).map(|s| view! { <li>{s.clone()}</li> }).collect_view()}
                                        {(more > 0).then(|| view! { <li>{format!("and {more} more")}</li> })}
                                    </ul>
                                })}
                                <p class="muted">"Usage history stays. Adding a person again later starts with nothing assigned."</p>
                                {refused.clone().map(|r| view! { <p class="form-error" role="alert" data-testid="removal-refused">{r}</p> })}
                                <div class="modal-actions">
                                    <button type="button" class="button" data-testid="cancel-remove" node_ref=cancel_ref on:click=move |_| close()>"Cancel"</button>
                                    {refused.is_none().then(|| {
                                        let close = close3.clone();
                                        view! {
                                            <button type="button" class="button danger" data-testid="confirm-remove"
                                                on:click=move |_| {
                                                    remove.dispatch(RemoveMembers { team: team.get_value(), member_ids: ids.get_value() });
                                                    close();
                                                }>"Remove from team"</button>
                                        }
                                    })}
                                </div>
                            })
                        }
                        Err(e) => Either::Right(view! { <DialogRefusal error=e on_close=close2.clone()/> }),
                    }
                })}}
            </Suspense>
        </Modal>
    }
}
