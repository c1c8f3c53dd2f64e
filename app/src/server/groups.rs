//! Groups (R-GRP1): the *Users by group* list, a group's page, and the changes an admin
//! makes to groups. Admins only.
use super::people::{MemberView, OfferView};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub members: i64,
    /// Names of the seat products the group gives.
    pub products: Vec<String>,
    /// R-DIR1: synced from the company's directory.
    #[serde(default)]
    pub synced: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupPage {
    pub rows: Vec<GroupView>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// One group: what it gives (among what the team holds) and one page of its members.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    pub id: String,
    pub name: String,
    /// The team's subscriptions and trials, each with whether the group gives it.
    pub products: Vec<(OfferView, bool)>,
    pub members: Vec<MemberView>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
    /// R-DIR1: synced from the company's directory: its name and members change there.
    #[serde(default)]
    pub synced: bool,
    /// R-GRP1 with R-FX1: the Flex products there are, each with whether the group gives
    /// it: (code, name, given).
    #[serde(default)]
    pub flex_choices: Vec<(String, String, bool)>,
    /// The group gives Flex access at all, and whether to all products.
    #[serde(default)]
    pub flex: Option<bool>,
}

/// What putting people in a group did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddedView {
    pub added: usize,
    pub already: usize,
    pub invited: usize,
}

#[server(endpoint = "team_groups")]
pub async fn team_groups(team: String, q: Option<String>, page: Option<i64>) -> Result<GroupPage, AppError> {
    use super::people::{page_offset, PAGE_SIZE};
    use super::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let offset = page_offset(page);
    let mut conn = st.db.pool.acquire().await?;
    let (rows, total) =
        crate::store::groups::list(&mut conn, &m.team_id, q.as_deref().unwrap_or(""), offset, PAGE_SIZE)
            .await?;
    let rows = rows
        .into_iter()
        .map(|g| GroupView {
            id: g.id,
            name: g.name,
            members: g.members,
            products: g.products,
            synced: g.synced,
        })
        .collect();
    Ok(GroupPage { rows, total, offset, limit: PAGE_SIZE })
}

#[server(endpoint = "group_detail")]
pub async fn group_detail(team: String, group: String, page: Option<i64>) -> Result<GroupInfo, AppError> {
    use super::people::{page_offset, PAGE_SIZE};
    use super::ssr::*;
    use crate::store::groups as store;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let now = st.now();
    let mut conn = st.db.pool.acquire().await?;
    let (id, name) =
        store::find(&mut conn, &m.team_id, &group).await?.ok_or_else(|| AppError::not_found("This group"))?;
    let gives = store::seats(&mut conn, &id).await?;
    let synced = crate::store::directory::is_synced(&mut conn, &m.team_id, &id).await?;
    let flex = store::flex_of(&mut conn, &id).await?;
    let offset = page_offset(page);
    let (rows, total) = store::member_rows(&mut conn, &m.team_id, &id, offset, PAGE_SIZE).await?;
    drop(conn);
    let products = st
        .db
        .team_offers(&m.team_id, now)
        .await?
        .iter()
        .filter(|o| o.product_id.is_some())
        .map(|o| {
            (super::people::ssr::offer_view(o), o.product_id.as_ref().is_some_and(|p| gives.contains(p)))
        })
        .collect();
    let members = super::people::ssr::with_delivery_state(
        &st.db,
        rows.into_iter().map(|r| super::people::ssr::member_view(r, now)).collect(),
    )
    .await?;
    use crate::domain::access::Individual;
    let flex_choices = st
        .db
        .flex_catalogue()
        .await?
        .into_iter()
        .map(|p| {
            let given = match &flex {
                Some(Individual::All) => true,
                Some(Individual::Products(s)) => s.contains(&p.id),
                None => false,
            };
            (p.code, p.name, given)
        })
        .collect();
    let flex = flex.map(|f| f.is_all());
    Ok(GroupInfo { id, name, products, members, total, offset, limit: PAGE_SIZE, synced, flex_choices, flex })
}

#[server(endpoint = "create_group")]
pub async fn create_group(team: String, name: String) -> Result<String, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    crate::service::groups::create(&st, crate::service::Admin { account: &account, team: &team }, &name).await
}

#[server(endpoint = "rename_group")]
pub async fn rename_group(team: String, group: String, name: String) -> Result<String, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    crate::service::groups::rename(
        &st,
        crate::service::Admin { account: &account, team: &team },
        &group,
        &name,
    )
    .await
}

/// Deletes a group; how many people lost a seat with it.
#[server(endpoint = "delete_group")]
pub async fn delete_group(team: String, group: String) -> Result<usize, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    crate::service::groups::delete(&st, crate::service::Admin { account: &account, team: &team }, &group)
        .await
}

#[server(endpoint = "add_to_group", input = Json)]
pub async fn add_to_group(
    team: String,
    group: String,
    member_ids: Vec<String>,
    new_people: String,
) -> Result<AddedView, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let admin = crate::service::Admin { account: &account, team: &team };
    let done = crate::service::groups::add_members(&st, admin, &group, &member_ids, &new_people).await?;
    Ok(AddedView { added: done.added, already: done.already, invited: done.invited })
}

#[server(endpoint = "remove_from_group", input = Json)]
pub async fn remove_from_group(
    team: String,
    group: String,
    member_ids: Vec<String>,
) -> Result<usize, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let admin = crate::service::Admin { account: &account, team: &team };
    crate::service::groups::remove_members(&st, admin, &group, &member_ids).await
}

/// Replaces the seat products the group gives (codes of the team's subscriptions and trials).
#[server(endpoint = "set_group_products", input = Json)]
pub async fn set_group_products(team: String, group: String, codes: Vec<String>) -> Result<(), AppError> {
    use super::ssr::*;
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let admin = crate::service::Admin { account: &account, team: &team };
    crate::service::groups::set_products(&st, admin, &group, &codes).await
}

/// Every group of the team by name, (id, name): what the bulk bar's "Add to group" offers.
#[server(endpoint = "group_choices")]
pub async fn group_choices(team: String) -> Result<Vec<(String, String)>, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let mut conn = st.db.pool.acquire().await?;
    // A team's groups are tens, not thousands; past this many the list is cut, and the
    // group's own page still adds anyone.
    let (rows, _) = crate::store::groups::list(&mut conn, &m.team_id, "", 0, 1_000).await?;
    Ok(rows.into_iter().map(|g| (g.id, g.name)).collect())
}

/// Sets the Flex access a group gives its members: none (`gives` false), all products, or
/// those of `codes` (R-GRP1 with R-FX1).
#[server(endpoint = "set_group_flex", input = Json)]
pub async fn set_group_flex(
    team: String,
    group: String,
    gives: bool,
    all: bool,
    codes: Vec<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    use crate::service::{groups, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    groups::set_flex(&st, Admin { account: &account, team: &team }, &group, gives, all, &codes).await
}
