//! The cost preview (R-ADV1) every dialog that changes Flex access shows before saving:
//! tokens a day more or fewer, how the run-out date moves, the people and products behind
//! it, and the assumption in words. It follows the change as the admin edits it.
use crate::server::advice::{preview_flex_cost, CostChange, CostPreviewView};
use leptos::prelude::*;

/// Previews `change` (nothing while it is `None`) for `team`; refetched whenever it changes.
#[component]
pub fn CostPreview(team: String, #[prop(into)] change: Signal<Option<CostChange>>) -> impl IntoView {
    let team = StoredValue::new(team);
    let preview = Resource::new(
        move || change.get(),
        move |c| async move {
            match c {
                Some(c) => Some(preview_flex_cost(team.get_value(), c).await),
                None => None,
            }
        },
    );
    // Every read of the preview stays inside a Transition of its own: read outside, it
    // would suspend the dialog's own Suspense around it, re-creating its buttons (and
    // their focus) each time the figure is worked out again.
    view! {
        <section class="cost-preview" data-testid="cost-preview" aria-labelledby="cost-preview-title">
            <h3 id="cost-preview-title">"Flex tokens"</h3>
            // A stable live region holding the headline only: screen readers hear the new
            // figure when it changes, not the whole table.
            <div role="status" aria-live="polite">
                <Transition fallback=|| view! { <p class="muted">"Working out what it may cost…"</p> }>
                    {move || Suspend::new(async move {
                        match preview.await {
                            None => None,
                            Some(Ok(p)) => Some(view! {
                                <p class="cost-summary" data-testid="cost-summary"><strong>{p.summary}</strong></p>
                            }.into_any()),
                            Some(Err(e)) => Some(view! {
                                <p class="form-error" data-testid="cost-error">{format!("No estimate: {e}")}</p>
                            }.into_any()),
                        }
                    })}
                </Transition>
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match preview.await {
                        Some(Ok(p)) => Some(view! { <CostFigures p/> }),
                        _ => None,
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CostFigures(p: CostPreviewView) -> impl IntoView {
    let table = (!p.lines.is_empty()).then(|| {
        let more = (p.more_lines > 0).then(|| {
            view! { <p class="muted">{format!("…and {} more, smaller lines.", crate::components::table::fmt_int(p.more_lines as i64))}</p> }
        });
        view! {
            <table class="table compact" data-testid="cost-lines">
                <caption class="visually-hidden">"The largest estimates behind the figure"</caption>
                <thead><tr>
                    <th scope="col">"Person"</th>
                    <th scope="col">"Product"</th>
                    <th scope="col" class="num">"Tokens a day"</th>
                    <th scope="col">"Based on"</th>
                </tr></thead>
                <tbody>
                    {p.lines.iter().map(|l| view! {
                        <tr>
                            <th scope="row">{l.person.clone()}</th>
                            <td>{l.product.clone()}</td>
                            <td class="num">{format!("{}{}", if l.gained { "+" } else { "−" }, l.per_day)}</td>
                            <td>{l.basis.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {more}
        }
    });
    view! {
        {table}
        {(!p.assumption.is_empty()).then(|| view! { <p class="help" data-testid="cost-assumption">{p.assumption.clone()}</p> })}
    }
}
