//! R-VND1: the vendor's back office: the product catalogue, teams, their subscriptions and
//! trials, and Flex purchases. Used by the command line and the provisioning API alike, so
//! both refuse the same things with the same words. The operator acts as support, not as
//! an admin of the team, and the teams' audit logs name them that way.
use crate::domain::vendor::{may_hold, ProductCode, Term, TermRefusal};
use crate::domain::{TeamId, TeamName};
use crate::error::AppError;
use crate::store::audit::{self, Actor};
use crate::store::catalogue::{self, CatalogueEntry, NewProduct, Subscription};
use crate::store::idempotency::{self, Claim, Once};
use crate::store::teams::lock_team;
use crate::store::{Db, StoreError};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{Any, Transaction};

pub type Tx = Transaction<'static, Any>;

/// The change `run` carries out in its transaction. A boxed future rather than an async
/// closure: the handlers' futures must be `Send`, which the compiler cannot yet prove for
/// an async closure that borrows the transaction.
pub type Work<'t, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, AppError>> + Send + 't>>;

/// What a change asked once came to: done now, or answered before (the same
/// `Idempotency-Key` and request), with the answer given then.
#[derive(Clone, Debug)]
pub enum Done<T> {
    Now(T),
    Before {
        status: u16,
        body: String,
    },
    /// The key was used before for another request.
    KeyReused,
}

/// Runs `work` in one transaction, and the writes of this module always run so: the
/// vendor's changes commit whole or not at all. With `once`, the key is claimed first in
/// the same transaction and the answer (`status` and `work`'s result as JSON) recorded
/// with the change, so a retried request is answered again and never carried out twice,
/// and a crash loses the change and the claim together.
pub async fn run<T: serde::Serialize>(
    db: &Db,
    once: Option<&Once<'_>>,
    status: u16,
    now: DateTime<Utc>,
    work: impl for<'t> FnOnce(&'t mut Tx) -> Work<'t, T>,
) -> Result<Done<T>, AppError> {
    let mut tx = db.pool.begin().await?;
    if let Some(once) = once {
        match idempotency::claim(&mut tx, once, now).await? {
            Claim::New => {}
            Claim::Answered { status, body } => return Ok(Done::Before { status, body }),
            Claim::Mismatch => return Ok(Done::KeyReused),
        }
    }
    let out = work(&mut tx).await?;
    if let Some(once) = once {
        let body = serde_json::to_string(&out).map_err(AppError::internal)?;
        idempotency::answer(&mut tx, once, status, &body).await?;
    }
    tx.commit().await?;
    Ok(Done::Now(out))
}

/// `run` without a key (the command line): the result, or the refusal.
pub async fn once<T: serde::Serialize>(
    db: &Db,
    now: DateTime<Utc>,
    work: impl for<'t> FnOnce(&'t mut Tx) -> Work<'t, T>,
) -> Result<T, AppError> {
    match run(db, None, 200, now, work).await? {
        Done::Now(out) => Ok(out),
        // Only a key can be answered before or reused.
        Done::Before { .. } | Done::KeyReused => {
            Err(AppError::internal("a change without a key was replayed"))
        }
    }
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn no_team(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::not_found("The team"),
        other => other.into(),
    }
}

fn no_product(code: &ProductCode) -> AppError {
    AppError::NotFound { what: format!("The product {code}") }
}

/// A new catalogue entry; with a rate it is on Flex at once, and every Flex user with "all
/// products" may run it (R-FX1), while team defaults do not grow (R-FX2).
#[tracing::instrument(name = "vendor.add_product", skip_all, fields(code = %code))]
pub async fn add_product(
    tx: &mut Tx,
    code: &ProductCode,
    name: &str,
    flex_rate: Option<i64>,
    now: DateTime<Utc>,
) -> Result<CatalogueEntry, AppError> {
    let id = catalogue::add_product(
        &mut **tx,
        &NewProduct { code: code.as_str(), name, kind: "desktop", flex_daily_rate: flex_rate },
        now,
    )
    .await?;
    Ok(CatalogueEntry {
        id,
        code: code.to_string(),
        name: name.to_string(),
        flex_rate,
        seat_tokens: None,
        retired: false,
    })
}

/// Sets what a seat of the product costs in Flex tokens per year, which the licence advice
/// compares Flex use with (R-ADV2). A retired product keeps its price: its seats still run.
#[tracing::instrument(name = "vendor.set_seat_tokens", skip_all, fields(code = %code))]
pub async fn set_seat_tokens(
    tx: &mut Tx,
    code: &ProductCode,
    seat_tokens: i64,
) -> Result<CatalogueEntry, AppError> {
    let entry = catalogue::entry_by_code(&mut **tx, code.as_str()).await?.ok_or_else(|| no_product(code))?;
    catalogue::set_seat_tokens(&mut **tx, &entry.id, seat_tokens).await?;
    Ok(CatalogueEntry { seat_tokens: Some(seat_tokens), ..entry })
}

pub async fn products(db: &Db) -> Result<Vec<CatalogueEntry>, AppError> {
    Ok(catalogue::entries(&db.pool).await?)
}

/// Takes the product off Flex for good: "all products" shrinks with it, team defaults and
/// people's own selections lose it (audited in each team that had it). Subscriptions and
/// trials of it run to their end; the history keeps its name. Retiring twice is the same
/// as once.
#[tracing::instrument(name = "vendor.retire_product", skip_all, fields(code = %code))]
pub async fn retire_product(
    tx: &mut Tx,
    actor: &Actor<'_>,
    code: &ProductCode,
    now: DateTime<Utc>,
) -> Result<CatalogueEntry, AppError> {
    catalogue::lock_every_team(tx).await?;
    let entry = catalogue::entry_by_code(&mut **tx, code.as_str()).await?.ok_or_else(|| no_product(code))?;
    if !entry.retired {
        for (team, in_defaults, selections) in catalogue::retire(tx, &entry.id, now).await? {
            audit::record(
                tx,
                &team,
                actor,
                "product_retired",
                &entry.name,
                Some(&json!({"in_defaults": in_defaults, "own_selections": selections})),
                Some(&json!({"in_defaults": false, "own_selections": 0})),
                now,
            )
            .await?;
        }
    }
    Ok(CatalogueEntry { retired: true, ..entry })
}

pub async fn teams(db: &Db) -> Result<Vec<(TeamId, String)>, AppError> {
    Ok(catalogue::teams(&db.pool).await?)
}

pub async fn create_team(tx: &mut Tx, name: &TeamName, now: DateTime<Utc>) -> Result<TeamId, AppError> {
    Ok(crate::store::teams::create_team(&mut **tx, name, now).await?)
}

/// What the vendor sells a team.
#[derive(Clone, Debug)]
pub struct NewSubscription {
    pub team: TeamId,
    pub product: ProductCode,
    pub seats: i64,
    /// Default: now.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: DateTime<Utc>,
    pub trial: bool,
}

fn refusal(e: TermRefusal) -> AppError {
    match e {
        TermRefusal::Overlaps { .. } => AppError::Conflict { message: e.to_string() },
        TermRefusal::SeatsInUse { .. } => AppError::invalid("seats", e),
    }
}

fn audit_view(s: &Subscription) -> serde_json::Value {
    json!({
        "product": s.product,
        "seats": s.seats,
        "starts_on": day(s.starts_at),
        "ends_on": day(s.ends_at),
        "trial": s.trial,
    })
}

fn audit_target(s: &Subscription) -> String {
    format!("{} {}", s.product_name, if s.trial { "trial" } else { "subscription" })
}

/// Adds a subscription or trial under the team's lock (the order every change to a team's
/// seats takes), so an assignment racing it counts the same seats. A retired product
/// cannot be sold again.
#[tracing::instrument(name = "vendor.add_subscription", skip_all, fields(team = %new.team, product = %new.product))]
pub async fn add_subscription(
    tx: &mut Tx,
    actor: &Actor<'_>,
    new: &NewSubscription,
    now: DateTime<Utc>,
) -> Result<Subscription, AppError> {
    let term = Term::new(new.starts_at.unwrap_or(now), new.ends_at)?;
    lock_team(tx, &new.team).await.map_err(no_team)?;
    let product = catalogue::entry_by_code(&mut **tx, new.product.as_str())
        .await?
        .ok_or_else(|| no_product(&new.product))?;
    if product.retired {
        return Err(AppError::Conflict {
            message: format!("{} is retired and can no longer be sold.", product.name),
        });
    }
    let others: Vec<Term> = catalogue::subscriptions(&mut **tx, &new.team)
        .await?
        .iter()
        .filter(|s| s.product_id == product.id)
        .map(|s| Term { starts_at: s.starts_at, ends_at: s.ends_at })
        .collect();
    let assigned = crate::store::assignments::assigned_count(tx, &new.team, &product.id).await?;
    may_hold(&product.name, &term, new.seats, &others, assigned, now).map_err(refusal)?;
    let id = catalogue::insert_subscription(&mut **tx, &new.team, &product.id, new.trial, new.seats, &term)
        .await?;
    let added = Subscription {
        id,
        team: new.team.clone(),
        product_id: product.id,
        product: product.code,
        product_name: product.name,
        seats: new.seats,
        starts_at: term.starts_at,
        ends_at: term.ends_at,
        trial: new.trial,
    };
    audit::record(
        tx,
        &new.team,
        actor,
        "subscription_add",
        &audit_target(&added),
        None,
        Some(&audit_view(&added)),
        now,
    )
    .await?;
    Ok(added)
}

/// New seats or a new end (renew: later; end now: now). Fewer seats than people assigned is
/// refused with how many to unassign first.
#[derive(Clone, Debug, Default)]
pub struct SubscriptionChange {
    pub seats: Option<i64>,
    pub ends_at: Option<DateTime<Utc>>,
}

#[tracing::instrument(name = "vendor.change_subscription", skip_all, fields(id))]
pub async fn change_subscription(
    tx: &mut Tx,
    actor: &Actor<'_>,
    id: &str,
    change: &SubscriptionChange,
    now: DateTime<Utc>,
) -> Result<Subscription, AppError> {
    let not_found = || AppError::NotFound { what: format!("The subscription {id}") };
    // Which team to lock comes from the row; it is read again under the lock, because a
    // subscription never changes team but its seats and end may have.
    let team = catalogue::subscription_by_id(&mut **tx, id).await?.ok_or_else(not_found)?.team;
    lock_team(tx, &team).await.map_err(no_team)?;
    let before = catalogue::subscription_by_id(&mut **tx, id).await?.ok_or_else(not_found)?;
    let seats = change.seats.unwrap_or(before.seats);
    let term = Term::new(before.starts_at, change.ends_at.unwrap_or(before.ends_at))?;
    let others: Vec<Term> = catalogue::subscriptions(&mut **tx, &team)
        .await?
        .iter()
        .filter(|s| s.product_id == before.product_id && s.id != before.id)
        .map(|s| Term { starts_at: s.starts_at, ends_at: s.ends_at })
        .collect();
    let assigned = crate::store::assignments::assigned_count(tx, &team, &before.product_id).await?;
    may_hold(&before.product_name, &term, seats, &others, assigned, now).map_err(refusal)?;
    let after = Subscription { seats, ends_at: term.ends_at, ..before.clone() };
    if after != before {
        catalogue::update_subscription(&mut **tx, id, seats, term.ends_at).await?;
        audit::record(
            tx,
            &team,
            actor,
            "subscription_change",
            &audit_target(&after),
            Some(&audit_view(&before)),
            Some(&audit_view(&after)),
            now,
        )
        .await?;
    }
    Ok(after)
}

pub async fn subscriptions(db: &Db, team: &TeamId) -> Result<Vec<Subscription>, AppError> {
    if db.team(team).await?.is_none() {
        return Err(AppError::not_found("The team"));
    }
    Ok(catalogue::subscriptions(&db.pool, team).await?)
}

/// A Flex purchase (R-TOK1): valid one year from `purchased_at`; recorded with its audit
/// entry in one transaction. Returns the purchase id and when it expires.
#[tracing::instrument(name = "vendor.add_purchase", skip_all, fields(team = %team, amount))]
pub async fn add_purchase(
    tx: &mut Tx,
    actor: &Actor<'_>,
    team: &TeamId,
    amount: i64,
    purchased_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), AppError> {
    let amount = crate::domain::vendor::token_amount(amount)?;
    lock_team(tx, team).await.map_err(no_team)?;
    let (id, expires_at) = crate::store::tokens::add_purchase(tx, team, amount, purchased_at).await?;
    audit::record(
        tx,
        team,
        actor,
        "add_tokens",
        &format!("{amount} tokens bought {}", day(purchased_at)),
        None,
        Some(&json!({
            "tokens": amount,
            "purchase": id,
            "purchased_on": day(purchased_at),
            "expires_on": day(expires_at),
        })),
        now,
    )
    .await?;
    Ok((id, expires_at))
}

/// A subscription as the contract prints it (`subscription add|change|list`, and the
/// provisioning API): `{"id","team","product","seats","starts_at","ends_at","trial"}`.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub team: String,
    pub product: String,
    pub seats: i64,
    pub starts_at: String,
    pub ends_at: String,
    pub trial: bool,
}

impl From<&Subscription> for SubscriptionView {
    fn from(s: &Subscription) -> Self {
        SubscriptionView {
            id: s.id.clone(),
            team: s.team.to_string(),
            product: s.product.clone(),
            seats: s.seats,
            starts_at: crate::store::ts(s.starts_at),
            ends_at: crate::store::ts(s.ends_at),
            trial: s.trial,
        }
    }
}

/// A catalogue entry as the contract prints it: `{"code","name","flex_rate","retired"}`.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProductView {
    pub code: String,
    pub name: String,
    pub flex_rate: Option<i64>,
    pub retired: bool,
    /// What a seat costs in Flex tokens per year (R-ADV2); null until the vendor sets it.
    pub seat_tokens: Option<i64>,
}

impl From<&CatalogueEntry> for ProductView {
    fn from(e: &CatalogueEntry) -> Self {
        ProductView {
            code: e.code.clone(),
            name: e.name.clone(),
            flex_rate: e.flex_rate,
            retired: e.retired,
            seat_tokens: e.seat_tokens,
        }
    }
}
