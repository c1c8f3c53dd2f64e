//! The dialog that names people: existing members picked by typing (live-filtered, arrow
//! keys and Enter), and new people typed as `Full Name <email>` entries, each malformed one
//! flagged before anything is sent. Used to assign a product and to fill a group.
use crate::components::modal::Modal;
use crate::domain::invitee::parse_entries;
use crate::server::people::{find_members, MemberView};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// R-UM3: pick existing members by typing, or enter new people as `Full Name <email>`; the
/// caller decides what happens to them (assign a product, put them in a group).
#[component]
pub fn PeopleDialog(
    team: String,
    #[prop(into)] title: String,
    answer: &'static str,
    busy: &'static str,
    /// The caller's request is under way.
    pending: Signal<bool>,
    /// The caller's last refusal, shown in the dialog (which keeps what was typed).
    error: Signal<Option<String>>,
    /// Changes when a request succeeds: the dialog closes.
    saved: Signal<Option<usize>>,
    /// Picked member ids and the typed entries.
    on_submit: Callback<(Vec<String>, String)>,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
    /// R-ADV1: the Flex access change the picks amount to, previewed before saving.
    #[prop(optional_no_strip)]
    cost: Option<Callback<(Vec<String>, String), crate::server::advice::CostChange>>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let suggestions: RwSignal<Vec<MemberView>> = RwSignal::new(vec![]);
    let active: RwSignal<Option<usize>> = RwSignal::new(None);
    let picked: RwSignal<BTreeMap<String, String>> = RwSignal::new(BTreeMap::new());
    let new_people = RwSignal::new(String::new());
    let team_s = StoredValue::new(team);
    let debounce: StoredValue<Option<TimeoutHandle>> = StoredValue::new(None);
    // A search still waiting when the dialog closes must not run against its disposed state.
    on_cleanup(move || {
        if let Some(Some(h)) = debounce.try_get_value() {
            h.clear();
        }
    });
    let search = move |q: String| {
        typed.set(q.clone());
        if let Some(h) = debounce.get_value() {
            h.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                leptos::task::spawn_local(async move {
                    if let Ok(found) = find_members(team_s.get_value(), q).await {
                        active.set(None);
                        suggestions.set(found);
                    }
                })
            },
            std::time::Duration::from_millis(150),
        );
        debounce.set_value(handle.ok());
    };
    let pick = move |id: String, name: String| {
        picked.update(|p| {
            p.insert(id, name);
        });
        suggestions.set(vec![]);
        active.set(None);
        typed.set(String::new());
    };
    let entry_errors = move || {
        parse_entries(&new_people.get())
            .into_iter()
            .enumerate()
            .filter_map(|(i, e)| e.result.err().map(|err| format!("Entry {}: {err}", i + 1)))
            .collect::<Vec<_>>()
    };
    let new_count = move || parse_entries(&new_people.get()).len();
    let can_save =
        move || entry_errors().is_empty() && (!picked.read().is_empty() || new_count() > 0) && !pending.get();
    let close = on_close.clone();
    let close_on_success = on_close.clone();
    Effect::new(move |prev: Option<Option<usize>>| {
        let now = saved.get();
        if prev.is_some_and(|p| p != now) && now.is_some() {
            close_on_success();
        }
        now
    });
    let submit = move |_| {
        on_submit.run((picked.get_untracked().keys().cloned().collect(), new_people.get_untracked()));
    };
    view! {
        <Modal labelled_by="assign-title" wide=true on_close=close>
                <h2 id="assign-title">{title}</h2>
                <div class="field">
                    <label for="member-search">"Existing members"</label>
                    <input id="member-search" type="text" autocomplete="off" placeholder="Type a name or email"
                        prop:value=move || typed.get() on:input=move |ev| search(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            // Arrow keys move through the suggestions, Enter picks one.
                            let n = suggestions.read().len();
                            match ev.key().as_str() {
                                "ArrowDown" if n > 0 => { ev.prevent_default(); active.update(|a| *a = Some(a.map_or(0, |i| (i + 1).min(n - 1)))); }
                                "ArrowUp" if n > 0 => { ev.prevent_default(); active.update(|a| *a = Some(a.map_or(0, |i| i.saturating_sub(1)))); }
                                "Enter" => {
                                    ev.prevent_default();
                                    if let Some(m) = active.get_untracked().and_then(|i| suggestions.get_untracked().get(i).cloned()) {
                                        pick(m.id, m.name);
                                    }
                                }
                                _ => {}
                            }
                        }
                        role="combobox" aria-autocomplete="list"
                        aria-expanded=move || (!suggestions.read().is_empty()).to_string() aria-controls="member-options"
                        aria-activedescendant=move || active.get().map(|i| format!("member-option-{i}"))/>
                    <ul id="member-options" class="options" role="listbox" aria-label="Matching members">
                        {move || suggestions.get().into_iter().enumerate().map(|(i, m)| {
                            let (id, name) = (m.id.clone(), m.name.clone());
                            let is_active = move || active.get() == Some(i);
                            view! {
                                <li role="option" id=format!("member-option-{i}") aria-selected=move || is_active().to_string()>
                                    <button type="button" class="option" class:active=is_active tabindex="-1"
                                        on:click=move |_| pick(id.clone(), name.clone())>
                                        <strong>{m.name.clone()}</strong>" "<span class="muted">{m.email.clone()}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <ul class="picked" aria-label="Picked members">
                        {move || picked.get().into_iter().map(|(id, name)| view! {
                            <li class="chip">{name.clone()}
                                <button type="button" class="chip-remove" aria-label=format!("Remove {name}")
                                    on:click=move |_| picked.update(|p| { p.remove(&id); })>"×"</button>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
                <div class="field">
                    <label for="new-people">"New people"</label>
                    <textarea id="new-people" rows="4" placeholder="Ada Lovelace <ada@example.com>, one per line or separated by commas"
                        prop:value=move || new_people.get() on:input=move |ev| new_people.set(event_target_value(&ev))
                        aria-describedby="new-people-help new-people-errors"
                        aria-invalid=move || (!entry_errors().is_empty()).to_string()></textarea>
                    <p id="new-people-help" class="help">"They get an invitation email with a link that works for 7 days."</p>
                    <ul id="new-people-errors" class="field-error-list" data-testid="entry-errors">
                        {move || entry_errors().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                    </ul>
                </div>
                {cost.map(|cost| {
                    // Only the entries that parse, written out the same way, so typing a
                    // half-finished address asks the server nothing new (the memo keeps the
                    // last change until it differs).
                    let change = Memo::new(move |_| {
                        let ids: Vec<String> = picked.read().keys().cloned().collect();
                        let typed: Vec<String> = parse_entries(&new_people.get())
                            .into_iter()
                            .filter_map(|e| e.result.ok().map(|i| format!("{} <{}>", i.name.as_str(), i.email.as_str())))
                            .collect();
                        (!ids.is_empty() || !typed.is_empty()).then(|| cost.run((ids, typed.join("\n"))))
                    });
                    view! { <crate::components::cost::CostPreview team=team_s.get_value() change/> }
                })}
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="modal-actions">
                    <button type="button" class="button" on:click=move |_| on_close()>"Cancel"</button>
                    <button type="button" class="button primary" data-testid="save-assign" disabled=move || !can_save() on:click=submit>
                        {move || if pending.get() { busy } else { answer }}
                    </button>
                </div>
        </Modal>
    }
}
