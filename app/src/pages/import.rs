use crate::domain::csv_import::ImportReport;
use crate::server::import::ImportCsv;
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// R-IMP1 in the console: choose a file, see a preview with every bad row, then import
/// (all or nothing, or only the valid rows when asked). Imports never send email.
#[component]
pub fn Import() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let file: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    let read_error = RwSignal::new(None::<String>);
    let preview = ServerAction::<ImportCsv>::new();
    let run = ServerAction::<ImportCsv>::new();

    let on_file = move |ev: leptos::ev::Event| {
        read_error.set(None);
        file.set(None);
        run.clear();
        preview.clear();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
                return;
            };
            let Some(f) = input.files().and_then(|l| l.get(0)) else { return };
            if f.size() > crate::server::import::MAX_UPLOAD_BYTES as f64 {
                read_error.set(Some(format!(
                    "{} is larger than {} MB. Use the `tessera import` command for files this big.",
                    f.name(),
                    crate::server::import::MAX_UPLOAD_BYTES / 1024 / 1024
                )));
                return;
            }
            let name = f.name();
            leptos::task::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(f.text()).await {
                    Ok(text) => {
                        let content = text.as_string().unwrap_or_default();
                        file.set(Some((name.clone(), content.clone())));
                        preview.dispatch(ImportCsv {
                            team: team(),
                            file_name: name,
                            content,
                            dry_run: true,
                            valid_rows_only: false,
                        });
                    }
                    Err(_) => {
                        read_error.set(Some(format!("{name} could not be read. Is it a text (CSV) file?")))
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let start = move |valid_rows_only: bool| {
        if let Some((name, content)) = file.get_untracked() {
            run.dispatch(ImportCsv {
                team: team(),
                file_name: name,
                content,
                dry_run: false,
                valid_rows_only,
            });
        }
    };
    view! {
        <Title text="Import users"/>
        <header class="page-header">
            <div>
                <p class="crumbs"><a href=move || format!("/t/{}/users", team())>"Users by user"</a></p>
                <h1>"Import users"</h1>
                <p class="lede">
                    "Add people and their products from a CSV file with the columns name, email, products (codes separated by ;, or * for all Flex products) and guest. "
                    "Every row is checked first; nothing is imported while a row has an error. Imported people are not emailed."
                </p>
            </div>
        </header>
        <section class="panel">
            <div class="field">
                <label for="csv-file">"CSV file"</label>
                <input id="csv-file" type="file" accept=".csv,text/csv" on:change=on_file data-testid="csv-file"/>
            </div>
            {move || read_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {move || preview.pending().get().then(|| view! {
                <p class="loading" aria-busy="true">{move || format!("Checking {}…", file.get().map(|f| f.0).unwrap_or_default())}</p>
            })}
            {move || match preview.value().get() {
                Some(Ok(p)) => Some(EitherOf3::A(view! { <Preview summary=p run start/> })),
                Some(Err(e)) => Some(EitherOf3::B(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
                None => None::<EitherOf3<_, _, ()>>,
            }}
            {move || run.pending().get().then(|| view! {
                <p class="loading" aria-busy="true" data-testid="import-progress">{move || {
                    let rows = preview.value().get().and_then(Result::ok).map(|p| p.rows).unwrap_or(0);
                    format!("Importing {rows} rows in one transaction… This page can stay open; nothing is saved unless all of it succeeds.")
                }}</p>
            })}
            {move || run.value().get().map(|r| match r {
                Ok(s) if s.imported => Either::Left(view! {
                    <p class="toast" role="status" data-testid="import-result">
                        {format!("Imported {} rows: {} created, {} updated, {} unchanged. No email was sent.", s.rows, s.created, s.updated, s.unchanged)}
                    </p>
                }),
                Ok(s) => Either::Right(view! { <p class="form-error" role="alert">{format!("Nothing was imported: {} rows have errors.", s.errors.len())}</p> }),
                Err(e) => Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> }),
            })}
        </section>
    }
}

#[component]
fn Preview(
    summary: ImportReport,
    run: ServerAction<ImportCsv>,
    start: impl Fn(bool) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let bad = summary.errors.len();
    // A header error stops every row (the columns are unknown), so nothing is importable.
    let header_broken = summary.errors.iter().any(|e| e.line <= 1);
    let good = if header_broken { 0 } else { summary.rows.saturating_sub(bad) };
    let done = move || run.value().get().is_some_and(|r| r.is_ok_and(|s| s.imported));
    let busy = move || run.pending().get() || done();
    if bad == 0 {
        return Either::Left(view! {
            <div data-testid="import-preview">
                <p>{format!("{} rows are ready: {} new, {} updated, {} unchanged.", summary.rows, summary.created, summary.updated, summary.unchanged)}</p>
                <button type="button" class="button primary" data-testid="start-import" disabled=busy on:click=move |_| start(false)>
                    {format!("Import {} rows", summary.rows)}
                </button>
            </div>
        });
    }
    Either::Right(view! {
        <div data-testid="import-preview">
            <p class="form-error" role="alert" data-testid="import-errors-summary">
                {format!("{bad} of {} rows have errors. Fix them and choose the file again, or import only the {good} valid rows.", summary.rows)}
            </p>
            <table class="table" data-testid="import-errors">
                <thead><tr><th scope="col" class="num">"Line"</th><th scope="col">"Problem"</th></tr></thead>
                <tbody>
                    {summary.errors.into_iter().map(|e| view! { <tr><td class="num">{e.line}</td><td>{e.reason}</td></tr> }).collect_view()}
                </tbody>
            </table>
            <div class="form-actions">
                <button type="button" class="button" data-testid="import-valid-only" disabled=move || busy() || good == 0 on:click=move |_| start(true)>
                    {format!("Import only the {good} valid rows")}
                </button>
            </div>
        </div>
    })
}
