//! Flex access per person (R-FX1) and the team's default assignments (R-FX2): each save is
//! one transaction, under the team's lock, that reads what it changes through itself and
//! writes its audit entry (and, for a person's access, the email telling them what they
//! can now run). The lock comes first: on SQLite it takes the write lock before the reads
//! (a read snapshot cannot be upgraded later); on PostgreSQL it orders the team's changes.
use crate::domain::access::{
    defaults_apply, defaults_effect, flex_products, DefaultsEffect, Individual, TeamFlexSettings,
};
use crate::domain::{Email, TeamId, UserId};
use crate::error::AppError;
use crate::service::state::AppState;
use crate::service::Admin;
use crate::store::flex::{self, FlexProduct};
use crate::store::outbox::{enqueue, NewMessage};
use crate::store::people::{self, MemberRow};
use crate::store::teams::lock_team;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::{Any, Transaction};
use std::collections::BTreeSet;

/// The catalogue ids of the Flex products `codes` names (case-insensitive); a code that is
/// not a Flex product is the caller's mistake, named.
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

/// The codes of the catalogue's products in `ids`, for audit entries.
fn codes_of(catalogue: &[FlexProduct], ids: &BTreeSet<String>) -> Value {
    json!(catalogue.iter().filter(|p| ids.contains(&p.id)).map(|p| p.code.clone()).collect::<Vec<_>>())
}

/// Saves which Flex products `member` may use (`all`, or those of `codes`) and emails them
/// the list.
pub async fn save_access(
    st: &AppState,
    admin: Admin<'_>,
    member: &UserId,
    all: bool,
    codes: &[String],
) -> Result<(), AppError> {
    let (team, now) = (admin.team_id(), st.now());
    let mut tx = st.db.pool.begin().await?;
    lock_team(&mut tx, team).await?;
    let row =
        people::member(&mut *tx, team, member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    if flex::individual(&mut tx, team, member).await?.is_none() {
        return Err(AppError::Conflict { message: format!("{} is not a Flex user of this team.", row.name) });
    }
    // The person's own selection changes; a group's stays with the group (R-GRP1).
    let before = crate::store::groups::own_flex(&mut tx, team, member)
        .await?
        .unwrap_or(Individual::Products(Default::default()));
    let catalogue = flex::catalogue(&mut *tx).await?;
    let all_ids = catalogue.iter().map(|p| p.id.clone()).collect();
    let individual = if all {
        Individual::All
    } else {
        Individual::from_selection(&ids_for_codes(&catalogue, codes)?, &all_ids)
    };
    let describe = |i: &Individual| match i {
        Individual::All => json!({"products": "all"}),
        Individual::Products(s) => json!({ "products": codes_of(&catalogue, s) }),
    };
    flex::set_individual(&mut tx, team, member, &individual, now).await?;
    // The email lists what they may run by every route.
    let runs = flex::individual(&mut tx, team, member).await?.unwrap_or(individual.clone());
    let mailer = FlexMailer::load(st, &mut tx, team, &admin.team.team_name).await?;
    mailer.send(&mut tx, &row, &runs, now).await?;
    let target = format!("{} <{}> → Flex products", row.name, row.email);
    let change = (Some(describe(&before)), Some(describe(&individual)));
    admin.audit(&mut tx, "flex_access", &target, change, now).await?;
    tx.commit().await?;
    st.db.wake_outbox();
    Ok(())
}

/// Replaces the team's default set (empty: defaults off); how many products it holds. No
/// email is sent (R-FX2).
pub async fn save_defaults(st: &AppState, admin: Admin<'_>, codes: &[String]) -> Result<usize, AppError> {
    let (team, now) = (admin.team_id(), st.now());
    let mut tx = st.db.pool.begin().await?;
    lock_team(&mut tx, team).await?;
    let catalogue = flex::catalogue(&mut *tx).await?;
    let ids = ids_for_codes(&catalogue, codes)?;
    let before = flex::team_settings(&mut tx, team).await?.defaults;
    flex::set_defaults(&mut tx, team, &ids).await?;
    let change = (Some(codes_of(&catalogue, &before)), Some(codes_of(&catalogue, &ids)));
    admin.audit(&mut tx, "defaults", "Default assignments", change, now).await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// What saving `codes` as the team's defaults would do to its Flex users (R-FX2), read in
/// one snapshot and changing nothing; the catalogue comes back with it so the caller can
/// name the products.
pub async fn preview_defaults(
    st: &AppState,
    team: &TeamId,
    codes: &[String],
) -> Result<(DefaultsEffect, Vec<FlexProduct>), AppError> {
    let mut tx = st.db.pool.begin().await?;
    let catalogue = flex::catalogue(&mut *tx).await?;
    let ids = ids_for_codes(&catalogue, codes)?;
    let current = flex::team_settings(&mut tx, team).await?;
    let users = flex::team_selections(&mut tx, team).await?;
    tx.commit().await?;
    let order: Vec<String> = catalogue.iter().map(|p| p.id.clone()).collect();
    Ok((defaults_effect(&users, &current, &ids, &order), catalogue))
}

/// Writes the email that tells a Flex user what they can run now in a team, after a change
/// that gave them Flex or changed their selection. It lists the products as the rules
/// resolve them (R-FX1, R-FX2), the team's defaults and the guest rule included, so it never
/// promises a product the licensing check would refuse, and always names them.
pub(crate) struct FlexMailer {
    catalogue: Vec<FlexProduct>,
    /// The catalogue's ids, as `flex_products` takes them.
    ids: BTreeSet<String>,
    settings: TeamFlexSettings,
    team_name: String,
    link: String,
}

impl FlexMailer {
    /// The catalogue and the team's settings as `tx` sees them: once for any number of people.
    pub async fn load(
        st: &AppState,
        tx: &mut Transaction<'_, Any>,
        team: &TeamId,
        team_name: &str,
    ) -> Result<Self, AppError> {
        let catalogue = flex::catalogue(&mut **tx).await?;
        Ok(FlexMailer {
            ids: catalogue.iter().map(|p| p.id.clone()).collect(),
            catalogue,
            settings: flex::team_settings(tx, team).await?,
            team_name: team_name.to_string(),
            link: format!("{}/t/{}", st.public_url, team),
        })
    }

    /// Queues the email to `person`, whose selection is now `individual`.
    pub async fn send(
        &self,
        tx: &mut Transaction<'_, Any>,
        person: &MemberRow,
        individual: &Individual,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        use crate::service::mail::{flex_access, FlexGrant};
        let effective = flex_products(individual, person.guest, &self.settings, &self.ids);
        let names: Vec<String> =
            self.catalogue.iter().filter(|p| effective.contains(&p.id)).map(|p| p.name.clone()).collect();
        let grant = if defaults_apply(person.guest, &self.settings) {
            FlexGrant::Defaults(&names)
        } else if individual.is_all() {
            FlexGrant::All(&names)
        } else {
            FlexGrant::Chosen(&names)
        };
        let mail = flex_access(&self.team_name, &person.name, grant, &self.link);
        let to = Email::parse(&person.email).map_err(|e| AppError::invalid("email", e))?;
        let message = NewMessage {
            kind: "flex_access",
            to: &to,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        };
        enqueue(tx, &message, now).await?;
        Ok(())
    }
}
