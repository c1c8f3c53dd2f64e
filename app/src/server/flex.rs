//! Flex product access per user (R-FX1) and the team's default assignments (R-FX2).
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlexChoice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlexAccessView {
    pub all: bool,
    pub choices: Vec<FlexChoice>,
    /// Names of the products the person can use right now (after defaults and guest rules).
    pub effective: Vec<String>,
    /// Team default assignments decide this person's access at the moment.
    pub defaults_apply: bool,
    /// R-GRP1: what the person's groups give, e.g. "Design team: all products"; the
    /// checklist above is their own selection only.
    #[serde(default)]
    pub through_groups: Vec<String>,
    /// Only a group makes them a Flex user: they have no selection of their own.
    #[serde(default)]
    pub group_only: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DefaultsView {
    pub choices: Vec<FlexChoice>,
    pub guest_defaults: bool,
    pub admin: bool,
}

/// One product's line in the preview of a defaults change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoldersLine {
    pub name: String,
    pub before: usize,
    pub after: usize,
    pub own_after: usize,
}

/// What saving a default set would do, shown before it is saved (R-FX2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DefaultsPreview {
    /// The sentence that sums it up.
    pub summary: String,
    pub by_defaults: usize,
    pub by_own_selection: usize,
    pub changed: usize,
    pub lines: Vec<HoldersLine>,
}

#[server(endpoint = "flex_access")]
pub async fn flex_access(team: String, member: String) -> Result<Option<FlexAccessView>, AppError> {
    use super::ssr::*;
    use crate::domain::access::{defaults_apply, flex_products, Individual};
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let member = member_id(&member)?;
    let Some(row) = st.db.member(&m.team_id, &member).await? else {
        return Err(AppError::not_found("This member"));
    };
    let Some(runs) = st.db.flex_individual(&m.team_id, &member).await? else { return Ok(None) };
    let catalogue = st.db.flex_catalogue().await?;
    // The checklist is the person's own selection; their groups' is said beside it.
    let mut conn = st.db.pool.acquire().await?;
    let own = crate::store::groups::own_flex(&mut conn, &m.team_id, &member).await?;
    let grants = crate::store::groups::grants_of(&mut conn, &m.team_id, &member).await?;
    drop(conn);
    let name_of = |id: &String| catalogue.iter().find(|p| &p.id == id).map(|p| p.name.clone());
    let through_groups = grants
        .iter()
        .filter_map(|g| {
            let what = match g.flex.as_ref()? {
                Individual::All => "all products".to_string(),
                Individual::Products(s) if s.is_empty() => "no product yet".to_string(),
                Individual::Products(s) => s.iter().filter_map(name_of).collect::<Vec<_>>().join(", "),
            };
            Some(format!("{}: {what}", g.name))
        })
        .collect();
    let group_only = own.is_none();
    let individual = own.unwrap_or(Individual::Products(Default::default()));
    let settings = st.db.team_flex_settings(&m.team_id).await?;
    let ids = catalogue.iter().map(|p| p.id.clone()).collect();
    let effective_ids = flex_products(&runs, row.guest, &settings, &ids);
    let choices = catalogue
        .iter()
        .map(|p| FlexChoice {
            code: p.code.clone(),
            name: p.name.clone(),
            selected: match &individual {
                Individual::All => true,
                Individual::Products(s) => s.contains(&p.id),
            },
        })
        .collect();
    Ok(Some(FlexAccessView {
        all: individual.is_all(),
        choices,
        effective: catalogue
            .iter()
            .filter(|p| effective_ids.contains(&p.id))
            .map(|p| p.name.clone())
            .collect(),
        defaults_apply: defaults_apply(row.guest, &settings),
        through_groups,
        group_only,
    }))
}

/// Saves one Flex user's products and emails them the list (R-FX1).
#[server(endpoint = "save_flex_access", input = Json)]
pub async fn save_flex_access(
    team: String,
    member: String,
    all: bool,
    codes: Vec<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    use crate::service::{flex, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    flex::save_access(&st, Admin { account: &account, team: &team }, &member_id(&member)?, all, &codes).await
}

#[server(endpoint = "flex_defaults")]
pub async fn flex_defaults(team: String) -> Result<DefaultsView, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let catalogue = st.db.flex_catalogue().await?;
    let settings = st.db.team_flex_settings(&m.team_id).await?;
    Ok(DefaultsView {
        choices: catalogue
            .iter()
            .map(|p| FlexChoice {
                code: p.code.clone(),
                name: p.name.clone(),
                selected: settings.defaults.contains(&p.id),
            })
            .collect(),
        guest_defaults: settings.guest_defaults,
        admin: m.role.runs_team(),
    })
}

/// Replaces the default set (empty = off). No email is sent (R-FX2).
#[server(endpoint = "save_flex_defaults", input = Json)]
pub async fn save_flex_defaults(team: String, codes: Vec<String>) -> Result<usize, AppError> {
    use super::ssr::*;
    use crate::service::{flex, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    flex::save_defaults(&st, Admin { account: &account, team: &team }, &codes).await
}

/// What saving `codes` as the default set would do, before it is saved; changes nothing.
#[server(endpoint = "preview_flex_defaults", input = Json)]
pub async fn preview_flex_defaults(team: String, codes: Vec<String>) -> Result<DefaultsPreview, AppError> {
    use super::ssr::*;
    use crate::service::flex;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let (effect, catalogue) = flex::preview_defaults(&st, &m.team_id, &codes).await?;
    let people = |n: usize| if n == 1 { "1 Flex user".to_string() } else { format!("{n} Flex users") };
    let changes = match effect.changed {
        0 => "Nobody's products change.".to_string(),
        1 => "1 person's products change.".to_string(),
        n => format!("{n} people's products change."),
    };
    let summary = if codes.is_empty() {
        format!(
            "Defaults will be off: {} will hold the products of their own selection. {changes}",
            people(effect.by_own_selection)
        )
    } else if effect.by_own_selection == 0 {
        format!("{} will get the default products. {changes}", people(effect.by_defaults))
    } else {
        let guests = match effect.by_own_selection {
            1 => "1 guest keeps".to_string(),
            n => format!("{n} guests keep"),
        };
        format!(
            "{} will get the default products; {guests} their own selection. {changes}",
            people(effect.by_defaults)
        )
    };
    let lines = effect
        .products
        .iter()
        .filter_map(|h| {
            let name = catalogue.iter().find(|p| p.id == h.product)?.name.clone();
            Some(HoldersLine { name, before: h.before, after: h.after, own_after: h.own_after })
        })
        .collect();
    Ok(DefaultsPreview {
        summary,
        by_defaults: effect.by_defaults,
        by_own_selection: effect.by_own_selection,
        changed: effect.changed,
        lines,
    })
}
