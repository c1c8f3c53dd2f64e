//! Moving what is left of a Flex purchase to another team (R-TOK1). The admin must run both
//! teams; the move and both teams' audit entries commit together, and the purchase's team,
//! expiry and what is left are checked under both teams' locks
//! (`store::tokens::move_purchase`), so a Flex charge racing the move cannot spend the same
//! tokens.
use crate::domain::ledger::balance;
use crate::domain::ledger::MoveRefusal;
use crate::domain::usage::day_key;
use crate::domain::TeamId;
use crate::domain::UserId;
use crate::error::AppError;
use crate::service::state::AppState;
use crate::service::Admin;
use crate::store::audit::Actor;
use crate::store::teams::Membership;
use crate::store::tokens::{move_purchase, purchase_figures, MoveRefused, PurchaseFigures};
use crate::store::Db;
use chrono::{DateTime, Utc};

/// One purchase as the Flex tokens page shows it: its ledger figures, what is left of it now
/// and what lapsed unused.
pub struct PurchaseState {
    pub figures: PurchaseFigures,
    /// Usable now (0 once it has expired).
    pub left: i64,
    /// Expired unused: written off by the ledger, or lapsed and not yet written off.
    pub lapsed: i64,
    pub expired: bool,
}

/// The team's balance and its purchases in the order a charge draws on them
/// (`domain::ledger::plan_charge`: earliest expiry first).
pub async fn purchases(
    db: &Db,
    team: &TeamId,
    now: DateTime<Utc>,
) -> Result<(i64, Vec<PurchaseState>), AppError> {
    let figures = purchase_figures(&db.pool, team).await?;
    let lots: Vec<_> = figures.iter().map(PurchaseFigures::lot).collect();
    let mut out: Vec<PurchaseState> = figures
        .into_iter()
        .map(|f| {
            let remaining = f.remaining;
            let expired = now >= f.expires_at;
            let (left, lapsed) =
                if expired { (0, f.expired + remaining.max(0)) } else { (remaining.max(0), f.expired) };
            PurchaseState { figures: f, left, lapsed, expired }
        })
        .collect();
    out.sort_by(|a, b| {
        a.figures
            .expires_at
            .cmp(&b.figures.expires_at)
            .then(a.left.cmp(&b.left))
            .then(a.figures.purchase_id.cmp(&b.figures.purchase_id))
    });
    Ok((balance(&lots, now), out))
}

/// The other teams `account` is an active admin of: where a purchase of `from` could move.
pub async fn move_targets(db: &Db, account: &UserId, from: &TeamId) -> Result<Vec<Membership>, AppError> {
    Ok(db
        .memberships_of(account)
        .await?
        .into_iter()
        .filter(|t| t.active && t.role.runs_team() && &t.team_id != from)
        .collect())
}

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
