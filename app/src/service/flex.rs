//! Flex access per person (R-FX1) and the team's default assignments (R-FX2): each save is
//! one transaction, under the team's lock, that reads what it changes through itself and
//! writes its audit entry (and, for a person's access, the email telling them what they
//! can now run). The lock comes first: on SQLite it takes the write lock before the reads
//! (a read snapshot cannot be upgraded later); on PostgreSQL it orders the team's changes.
use crate::domain::access::Individual;
use crate::domain::Email;
use crate::domain::UserId;
use crate::error::AppError;
use crate::service::state::AppState;
use crate::service::Admin;
use crate::store::flex::{self, FlexProduct};
use crate::store::outbox::{enqueue, NewMessage};
use crate::store::people;
use crate::store::teams::lock_team;
use serde_json::{json, Value};
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
    let before = flex::individual(&mut tx, team, member).await?.ok_or_else(|| AppError::Conflict {
        message: format!("{} is not a Flex user of this team.", row.name),
    })?;
    let catalogue = flex::catalogue(&mut *tx).await?;
    let all_ids = catalogue.iter().map(|p| p.id.clone()).collect();
    let individual = if all {
        Individual::All
    } else {
        Individual::from_selection(&ids_for_codes(&catalogue, codes)?, &all_ids)
    };
    let names: Option<Vec<String>> = match &individual {
        Individual::All => None,
        Individual::Products(s) => {
            Some(catalogue.iter().filter(|p| s.contains(&p.id)).map(|p| p.name.clone()).collect())
        }
    };
    let describe = |i: &Individual| match i {
        Individual::All => json!({"products": "all"}),
        Individual::Products(s) => json!({ "products": codes_of(&catalogue, s) }),
    };
    let email = Email::parse(&row.email).map_err(|e| AppError::invalid("email", e))?;
    flex::set_individual(&mut tx, team, member, &individual).await?;
    let link = format!("{}/t/{}", st.public_url, team);
    let mail = crate::service::mail::flex_access(&admin.team.team_name, &row.name, names.as_deref(), &link);
    let message = NewMessage {
        kind: "flex_access",
        to: &email,
        subject: &mail.subject,
        text: &mail.text,
        html: &mail.html,
    };
    enqueue(&mut tx, &message, now).await?;
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
