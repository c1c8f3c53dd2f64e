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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DefaultsView {
    pub choices: Vec<FlexChoice>,
    pub guest_defaults: bool,
    pub admin: bool,
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::store::flex::FlexProduct;
    use std::collections::BTreeSet;

    pub fn ids_for_codes(catalogue: &[FlexProduct], codes: &[String]) -> Result<BTreeSet<String>, AppError> {
        codes
            .iter()
            .map(|c| {
                catalogue
                    .iter()
                    .find(|p| p.code.eq_ignore_ascii_case(c))
                    .map(|p| p.id.clone())
                    .ok_or_else(|| AppError::invalid("products", format!("{c} is not available with Flex.")))
            })
            .collect()
    }
}

#[server(endpoint = "flex_access")]
pub async fn flex_access(team: String, member: String) -> Result<Option<FlexAccessView>, AppError> {
    use super::ssr::*;
    use crate::domain::access::{defaults_apply, flex_products, Individual};
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let Some(row) = st.db.member(&m.team_id, &member).await? else {
        return Err(AppError::not_found("This member"));
    };
    let Some(individual) = st.db.flex_individual(&m.team_id, &member).await? else { return Ok(None) };
    let catalogue = st.db.flex_catalogue().await?;
    let settings = st.db.team_flex_settings(&m.team_id).await?;
    let ids = catalogue.iter().map(|p| p.id.clone()).collect();
    let effective_ids = flex_products(&individual, row.guest, &settings, &ids);
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
    use crate::domain::access::Individual;
    use crate::domain::Email;
    use crate::store::audit::{record, Actor};
    use crate::store::outbox::{enqueue, NewMessage};
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let row = st.db.member(&m.team_id, &member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    let before = st.db.flex_individual(&m.team_id, &member).await?.ok_or_else(|| AppError::Conflict {
        message: format!("{} is not a Flex user of this team.", row.name),
    })?;
    let catalogue = st.db.flex_catalogue().await?;
    let all_ids = catalogue.iter().map(|p| p.id.clone()).collect();
    let individual = if all {
        Individual::All
    } else {
        Individual::from_selection(&self::ssr::ids_for_codes(&catalogue, &codes)?, &all_ids)
    };
    let names: Option<Vec<String>> = match &individual {
        Individual::All => None,
        Individual::Products(s) => {
            Some(catalogue.iter().filter(|p| s.contains(&p.id)).map(|p| p.name.clone()).collect())
        }
    };
    let describe = |i: &Individual| match i {
        Individual::All => serde_json::json!({"products": "all"}),
        Individual::Products(s) => serde_json::json!({
            "products": catalogue.iter().filter(|p| s.contains(&p.id)).map(|p| p.code.clone()).collect::<Vec<_>>()
        }),
    };
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    crate::store::flex::set_individual(&mut tx, &m.team_id, &member, &individual).await?;
    let email = Email::parse(&row.email).map_err(|e| AppError::invalid("email", e))?;
    let mail = crate::service::mail::flex_access(
        &m.team_name,
        &row.name,
        names.as_deref(),
        &format!("{}/t/{}", st.public_url, m.team_id),
    );
    enqueue(
        &mut tx,
        &NewMessage {
            kind: "flex_access",
            to: &email,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        },
        now,
    )
    .await?;
    let label = format!("{} <{}>", acc.name, acc.email);
    let target = format!("{} <{}> → Flex products", row.name, row.email);
    record(
        &mut tx,
        &m.team_id,
        &Actor { id: Some(acc.id.as_str()), label: &label },
        "flex_access",
        &target,
        Some(&describe(&before)),
        Some(&describe(&individual)),
        now,
    )
    .await?;
    tx.commit().await?;
    st.db.wake_outbox();
    Ok(())
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
        admin: m.role == crate::store::teams::Role::Admin,
    })
}

/// Replaces the default set (empty = off). No email is sent (R-FX2).
#[server(endpoint = "save_flex_defaults", input = Json)]
pub async fn save_flex_defaults(team: String, codes: Vec<String>) -> Result<usize, AppError> {
    use super::ssr::*;
    use crate::store::audit::{record, Actor};
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let catalogue = st.db.flex_catalogue().await?;
    let ids = self::ssr::ids_for_codes(&catalogue, &codes)?;
    let before = st.db.team_flex_settings(&m.team_id).await?.defaults;
    let codes_of = |set: &std::collections::BTreeSet<String>| {
        serde_json::json!(catalogue
            .iter()
            .filter(|p| set.contains(&p.id))
            .map(|p| p.code.clone())
            .collect::<Vec<_>>())
    };
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    crate::store::flex::set_defaults(&mut tx, &m.team_id, &ids).await?;
    let label = format!("{} <{}>", acc.name, acc.email);
    record(
        &mut tx,
        &m.team_id,
        &Actor { id: Some(acc.id.as_str()), label: &label },
        "defaults",
        "Default assignments",
        Some(&codes_of(&before)),
        Some(&codes_of(&ids)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(ids.len())
}
