//! Moving what is left of a Flex purchase to another team (R-TOK1). The admin must run both
//! teams; the move and both teams' audit entries commit together, and the purchase's team,
//! expiry and what is left are checked under both teams' locks
//! (`store::tokens::move_purchase`), so a Flex charge racing the move cannot spend the same
//! tokens.
use crate::domain::ledger::MoveRefusal;
use crate::domain::usage::day_key;
use crate::domain::TeamId;
use crate::error::AppError;
use crate::service::state::AppState;
use crate::service::Admin;
use crate::store::audit::Actor;
use crate::store::teams::Membership;
use crate::store::tokens::{move_purchase, MoveRefused};
use chrono::{DateTime, Utc};

/// A move that happened: how many tokens, until when they last, and the team they went to.
pub struct Moved {
    pub tokens: i64,
    pub expires_at: DateTime<Utc>,
    pub to: Membership,
}

/// Moves what is left of `purchase` from the admin's team to `to_team`.
pub async fn move_to_team(
    st: &AppState,
    admin: Admin<'_>,
    purchase: &str,
    to_team: &str,
) -> Result<Moved, AppError> {
    let from = admin.team;
    if to_team.trim().is_empty() {
        return Err(AppError::invalid("to_team", "Pick the team to move the tokens to."));
    }
    // A malformed id cannot name a team the caller belongs to; answer as for any other team.
    let to_id = TeamId::parse(to_team.trim()).map_err(|_| AppError::NotAMember)?;
    let same_team = || {
        AppError::invalid(
            "to_team",
            format!("These tokens already belong to {}. Pick another team.", from.team_name),
        )
    };
    if to_id == from.team_id {
        return Err(same_team());
    }
    let to = crate::service::admin_membership(&st.db, &to_id, &admin.account.id).await?;
    let now = st.now();
    let actor = Actor { id: Some(admin.account.id.as_str()), label: &admin.account.label() };
    let mut tx = st.db.pool.begin().await?;
    let moved = match move_purchase(&mut tx, purchase, &from.team_id, &to.team_id, &actor, now).await? {
        Ok(moved) => moved,
        // Not this team's (never, or moved away meanwhile): the same answer as an unknown id.
        Err(MoveRefused::NotInTeam) => return Err(AppError::not_found("This purchase")),
        Err(MoveRefused::Rule(MoveRefusal::SameTeam)) => return Err(same_team()),
        Err(MoveRefused::Rule(MoveRefusal::Expired { expires_at })) => {
            return Err(AppError::Conflict {
                message: format!(
                    "This purchase expired on {}; expired tokens cannot be moved.",
                    day_key(expires_at.date_naive())
                ),
            })
        }
        Err(MoveRefused::Rule(MoveRefusal::NothingLeft)) => {
            return Err(AppError::Conflict { message: "Nothing is left of this purchase to move.".into() })
        }
    };
    tx.commit().await?;
    Ok(Moved { tokens: moved.tokens, expires_at: moved.expires_at, to })
}
