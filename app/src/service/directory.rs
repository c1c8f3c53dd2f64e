//! Directory sync (R-DIR1): the team's directory (Okta, Entra ID) provisions people and
//! groups over SCIM 2.0. Protocol shapes (filters, PATCH, rendering) are `domain::scim`'s;
//! this module turns each request into the team's own changes, in one transaction under
//! the team's lock, audited with the directory as the actor:
//!
//! - an active directory user is a member of the team (active at once, or invited when the
//!   team asks for invitation emails); deactivating or deleting one ends the membership at
//!   once (seats freed, Flex access gone, the next licensing check refused);
//! - a directory group is a team group marked synced; its members get its products
//!   (R-GRP1), within the seat limits.
//!
//! The directory's names and address for a person are kept on its own record: the account
//! may belong to other teams, and one team's directory must never rewrite it (issue 16's
//! lesson about single sign-on).
use crate::domain::scim::{self, Filter, GroupView, ScimError, ScimUserIn, UserView};
use crate::domain::{Email, GroupName, PersonName, TeamId, UserId};
use crate::error::AppError;
use crate::service::state::AppState;
use crate::store::audit::{self, Actor};
use crate::store::directory::{self as store, ScimGroupRow, ScimUserFields, ScimUserRow, UserKey};
use crate::store::groups as groups_store;
use crate::store::teams::{self, MemberStatus, Role};
use crate::store::{accounts, StoreError};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::{Any, Transaction};
use std::collections::BTreeSet;

/// The audit entries' actor.
const DIRECTORY: Actor<'static> = Actor { id: None, label: "Directory sync (SCIM)" };

/// A failure on our side, logged once with a reference the directory's log shows.
fn internal(e: impl std::fmt::Display) -> ScimError {
    match AppError::internal(e) {
        AppError::Internal { reference } => ScimError::new(
            500,
            None,
            format!("Tessera could not complete this request (reference {reference})."),
        ),
        other => ScimError::new(500, None, other.to_string()),
    }
}

fn from_store(e: StoreError) -> ScimError {
    match e {
        StoreError::Duplicate(what) => ScimError::uniqueness(format!("There is already {what}.")),
        StoreError::NotFound => ScimError::not_found("The resource was not found."),
        other => internal(other),
    }
}

fn from_app(e: AppError) -> ScimError {
    match e {
        AppError::Conflict { message } => ScimError::new(409, None, message),
        AppError::Invalid { message, .. } => ScimError::invalid_value(message),
        AppError::NotFound { what } => ScimError::not_found(format!("{what} was not found.")),
        other => internal(other),
    }
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        from_store(e)
    }
}

/// A directory token as stored (its SHA-256, as for every other token).
pub fn token_hash(token: &str) -> String {
    crate::service::secrets::hash_token(token)
}

/// The team a bearer token belongs to: 401 for a missing, unknown or revoked one.
pub async fn team_of(st: &AppState, bearer: Option<&str>) -> Result<TeamId, ScimError> {
    let unauthorized = || ScimError::new(401, None, "A valid directory token of the team is required.");
    let token = bearer.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(unauthorized)?;
    st.db.scim_token_team(&token_hash(token), st.now()).await?.ok_or_else(unauthorized)
}

/// A new token for `team`: (id, the token, shown this once).
pub async fn create_token(
    db: &crate::store::Db,
    team: &TeamId,
    label: &str,
    by: Option<(&UserId, &str)>,
    now: DateTime<Utc>,
) -> Result<(String, String), AppError> {
    let label = label.trim();
    let label = if label.is_empty() { "Directory" } else { label };
    if label.chars().count() > 80 {
        return Err(AppError::invalid("label", "A token's label is at most 80 characters."));
    }
    let (token, _) = crate::service::secrets::new_token();
    let token = format!("scim_{token}");
    let mut tx = db.pool.begin().await?;
    teams::lock_team(&mut tx, team).await?;
    if let Some((account, _)) = by {
        super::role_under_lock(&mut tx, (team, account), Role::runs_sign_in).await?;
    }
    let id = store::create_token(&mut tx, team, label, &token_hash(&token), by.map(|b| b.0), now).await?;
    let actor = by.map_or(Actor { id: None, label: "command line" }, |(id, label)| Actor {
        id: Some(id.as_str()),
        label,
    });
    audit::record(
        &mut tx,
        team,
        &actor,
        "directory",
        &format!("Token {label}"),
        None,
        Some(&json!({"created": label})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// Revokes a token of `team`: the directory's next request with it is refused.
pub async fn revoke_token(
    st: &AppState,
    team: &TeamId,
    id: &str,
    by: (&UserId, &str),
) -> Result<String, AppError> {
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    teams::lock_team(&mut tx, team).await?;
    let label = store::revoke_token(&mut tx, team, id, now)
        .await?
        .ok_or_else(|| AppError::not_found("This token"))?;
    let actor = Actor { id: Some(by.0.as_str()), label: by.1 };
    audit::record(
        &mut tx,
        team,
        &actor,
        "directory",
        &format!("Token {label}"),
        Some(&json!({"revoked": label})),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(label)
}

/// Whether people the directory adds are invited by email (else active at once).
pub async fn set_invites(
    st: &AppState,
    team: &TeamId,
    invites: bool,
    by: (&UserId, &str),
) -> Result<(), AppError> {
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    teams::lock_team(&mut tx, team).await?;
    super::role_under_lock(&mut tx, (team, by.0), Role::runs_sign_in).await?;
    let was = store::scim_invites(&mut tx, team).await?;
    if was != invites {
        store::set_scim_invites(&mut tx, team, invites).await?;
        let actor = Actor { id: Some(by.0.as_str()), label: by.1 };
        let (b, a) = (json!({"invitation_emails": was}), json!({"invitation_emails": invites}));
        audit::record(&mut tx, team, &actor, "directory", "Directory settings", Some(&b), Some(&a), now)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One request of the team's directory: the team, where its resources live, the clock.
pub struct Directory<'a> {
    pub st: &'a AppState,
    pub team: TeamId,
    /// `https://…/scim/v2`
    pub base: String,
}

fn user_view(u: &ScimUserRow, base: &str) -> UserView {
    UserView {
        id: u.id.clone(),
        user_name: u.user_name.clone(),
        external_id: u.external_id.clone(),
        given_name: u.given_name.clone(),
        family_name: u.family_name.clone(),
        display_name: shown_name(u),
        email: u.email.clone(),
        active: u.active,
        created: u.created_at,
        last_modified: u.updated_at,
        version: u.version.to_string(),
        location_base: base.to_string(),
    }
}

fn group_view(g: &ScimGroupRow, base: &str) -> GroupView {
    GroupView {
        id: g.id.clone(),
        display_name: g.name.clone(),
        external_id: g.external_id.clone(),
        members: g.members.clone(),
        created: g.created_at,
        last_modified: g.updated_at,
        version: g.version.to_string(),
        location_base: base.to_string(),
    }
}

/// The name the team knows a synced person by.
fn shown_name(u: &ScimUserRow) -> String {
    if let Some(d) = u.display_name.as_deref().filter(|d| !d.trim().is_empty()) {
        return d.trim().to_string();
    }
    let parts: Vec<&str> = [&u.given_name, &u.family_name]
        .into_iter()
        .filter_map(|p| p.as_deref().map(str::trim).filter(|s| !s.is_empty()))
        .collect();
    if parts.is_empty() {
        u.user_name.split('@').next().unwrap_or(&u.user_name).to_string()
    } else {
        parts.join(" ")
    }
}

/// The name to give a new account or show in the team: the directory's, else the
/// address's local part.
fn person_name(raw: &str, email: &Email) -> Result<PersonName, ScimError> {
    PersonName::parse(raw)
        .or_else(|_| PersonName::parse(email.as_str().split('@').next().unwrap_or_default()))
        .map_err(|e| ScimError::invalid_value(format!("The user's name: {e}")))
}

fn fields_of(u: &ScimUserIn) -> Result<(ScimUserFields, Email), ScimError> {
    let raw = u.email().ok_or_else(|| {
        ScimError::invalid_value("A user needs an email address (emails, or a userName that is one).")
    })?;
    let email = Email::parse(raw).map_err(|e| ScimError::invalid_value(format!("{raw}: {e}")))?;
    let fields = ScimUserFields {
        user_name: u.user_name.trim().to_string(),
        external_id: u.external_id.clone(),
        given_name: u.given_name.clone(),
        family_name: u.family_name.clone(),
        display_name: u.display_name.clone().or_else(|| u.formatted_name.clone()),
        email: email.as_str().to_string(),
        active: u.active,
    };
    if fields.user_name.is_empty() {
        return Err(ScimError::invalid_value("userName is required."));
    }
    Ok((fields, email))
}

async fn locked(st: &AppState, team: &TeamId) -> Result<Transaction<'static, Any>, ScimError> {
    let mut tx = st.db.pool.begin().await.map_err(StoreError::from)?;
    teams::lock_team(&mut tx, team).await?;
    Ok(tx)
}

async fn record(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    target: &str,
    change: (Option<Value>, Option<Value>),
    now: DateTime<Utc>,
) -> Result<(), ScimError> {
    audit::record(tx, team, &DIRECTORY, "directory", target, change.0.as_ref(), change.1.as_ref(), now)
        .await?;
    Ok(())
}

impl Directory<'_> {
    fn now(&self) -> DateTime<Utc> {
        self.st.now()
    }

    // ---- users ---------------------------------------------------------------------------

    pub async fn create_user(&self, body: &Value) -> Result<Value, ScimError> {
        let input = scim::parse_user(body)?;
        let (fields, email) = fields_of(&input)?;
        let now = self.now();
        let mut tx = locked(self.st, &self.team).await?;
        let (rows, _) =
            store::users(&mut tx, &self.team, Some((UserKey::UserName, &fields.user_name)), 0, 1).await?;
        if !rows.is_empty() {
            return Err(ScimError::uniqueness(format!("A user with userName {} exists.", fields.user_name)));
        }
        let name = person_name(&input.full_name(), &email)?;
        let account = match accounts::by_email(&mut *tx, &email).await? {
            Some(a) => a.id,
            None => accounts::create(&mut *tx, &email, &name, None, now).await?,
        };
        if store::user_by_account(&mut tx, &self.team, &account).await?.is_some() {
            return Err(ScimError::uniqueness(format!(
                "The address {email} is already synced as another user."
            )));
        }
        let id = store::insert_user(&mut tx, &self.team, &account, &fields, now).await?;
        let mut mail = false;
        if fields.active {
            mail = self.provision(&mut tx, &id, &account, &name, now).await?;
        }
        record(
            &mut tx,
            &self.team,
            &format!("{name} <{email}>"),
            (None, Some(json!({"synced": true, "active": fields.active}))),
            now,
        )
        .await?;
        let row = store::user(&mut tx, &self.team, &id).await?.ok_or_else(|| internal("user vanished"))?;
        tx.commit().await.map_err(StoreError::from)?;
        if mail {
            self.st.db.wake_outbox();
        }
        Ok(scim::user_json(&user_view(&row, &self.base)))
    }

    /// Makes an active directory user a member of the team (or adopts the membership the
    /// person already has) and puts them back in their synced groups. Whether an
    /// invitation was queued.
    async fn provision(
        &self,
        tx: &mut Transaction<'_, Any>,
        user: &str,
        account: &UserId,
        name: &PersonName,
        now: DateTime<Utc>,
    ) -> Result<bool, ScimError> {
        let mut mailed = false;
        if teams::membership(&mut **tx, &self.team, account).await?.is_none() {
            let invites = store::scim_invites(tx, &self.team).await?;
            let status = if invites { MemberStatus::Invited } else { MemberStatus::Active };
            teams::add_member(
                tx,
                &self.team,
                account,
                (Role::Member, false),
                status,
                Some(name.as_str()),
                now,
            )
            .await?;
            if invites {
                self.invite(tx, account, name, now).await?;
                mailed = true;
            }
        }
        let mut touched = BTreeSet::new();
        let groups = store::groups_of_user(tx, user).await?;
        for g in &groups {
            groups_store::add_member(tx, &self.team, g, account, now).await?;
        }
        if !groups.is_empty() {
            let (added, _) = crate::service::groups::refresh_person(tx, &self.team, account, None, now)
                .await
                .map_err(from_app)?;
            touched.extend(added);
        }
        crate::service::groups::seats_hold(tx, &self.team, &touched, now).await.map_err(from_app)?;
        Ok(mailed)
    }

    /// Mails the invitation to the address the *account* signs in with, never to one the
    /// directory sent: a link that sets an account's first password must reach its owner
    /// (a directory that could point it elsewhere could take over the account of anyone
    /// who signs in with single sign-on only).
    async fn invite(
        &self,
        tx: &mut Transaction<'_, Any>,
        account: &UserId,
        name: &PersonName,
        now: DateTime<Utc>,
    ) -> Result<(), ScimError> {
        let owner = accounts::by_id(&mut **tx, account).await?.ok_or_else(|| internal("account vanished"))?;
        let email = Email::parse(&owner.email).map_err(internal)?;
        let email = &email;
        let (token, hash) = crate::service::secrets::new_token();
        let expires = crate::domain::invitation::expires_at(now);
        crate::store::invitations::create(tx, &self.team, account, &hash, now, expires, true, None).await?;
        let team_name =
            teams::membership(&mut **tx, &self.team, account).await?.map(|m| m.team_name).unwrap_or_default();
        let url = format!("{}/invite/{}", self.st.public_url, token);
        let expiry = expires.format("%Y-%m-%d %H:%M UTC").to_string();
        let mail = crate::service::mail::invitation(
            &team_name,
            "Your company's directory",
            name.as_str(),
            &url,
            &expiry,
        );
        let message = crate::store::outbox::NewMessage {
            kind: "invitation",
            to: email,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        };
        crate::store::outbox::enqueue(tx, &message, now).await?;
        Ok(())
    }

    /// Ends the person's membership (R-DIR1: at once): seats, Flex access and invitations
    /// go with it, and the next licensing check is refused. The primary admin is refused:
    /// the team would be left without the one who gives roles.
    async fn deprovision(&self, tx: &mut Transaction<'_, Any>, account: &UserId) -> Result<bool, ScimError> {
        if let Some(m) = teams::membership(&mut **tx, &self.team, account).await? {
            // R-UM5: only the primary admin takes an admin role away; a directory token
            // (which an SSO admin may make) must not remove an admin by deactivating them.
            match m.role {
                Role::PrimaryAdmin => {
                    return Err(ScimError::new(
                        409,
                        None,
                        "This person is the team's primary admin in Tessera: they must hand the role to someone else before the directory can remove them.",
                    ))
                }
                Role::Admin | Role::SsoAdmin => {
                    return Err(ScimError::new(
                        409,
                        None,
                        "This person is an admin in Tessera: the team's primary admin must make them a member before the directory can remove them.",
                    ))
                }
                Role::Member => {}
            }
            return Ok(teams::remove_member(tx, &self.team, account).await?);
        }
        Ok(false)
    }

    async fn user_row(&self, tx: &mut Transaction<'_, Any>, id: &str) -> Result<ScimUserRow, ScimError> {
        store::user(tx, &self.team, id)
            .await?
            .ok_or_else(|| ScimError::not_found(format!("User {id} not found.")))
    }

    pub async fn get_user(&self, id: &str) -> Result<Value, ScimError> {
        let mut conn = self.st.db.pool.acquire().await.map_err(StoreError::from)?;
        let row = store::user(&mut conn, &self.team, id)
            .await?
            .ok_or_else(|| ScimError::not_found(format!("User {id} not found.")))?;
        Ok(scim::user_json(&user_view(&row, &self.base)))
    }

    /// A page of users matching `filter`. The common `userName eq`, `externalId eq` and
    /// `emails.value eq` are answered by the database; any other filter is evaluated on
    /// each of the team's users.
    pub async fn list_users(&self, filter: Option<&str>, paging: scim::Paging) -> Result<Value, ScimError> {
        let filter = filter.map(str::trim).filter(|f| !f.is_empty()).map(scim::parse_filter).transpose()?;
        let key = filter.as_ref().and_then(scim::simple_eq).and_then(|(attr, v)| {
            let key = match attr.as_str() {
                "username" => UserKey::UserName,
                "externalid" => UserKey::ExternalId,
                "emails.value" | "emails" => UserKey::Email,
                _ => return None,
            };
            Some((key, v))
        });
        let (offset, count) = (paging.offset() as i64, paging.count as i64);
        let mut conn = self.st.db.pool.acquire().await.map_err(StoreError::from)?;
        let (resources, total) = match (&filter, &key) {
            (None, _) => {
                let (rows, total) = store::users(&mut conn, &self.team, None, offset, count).await?;
                (rows.iter().map(|u| scim::user_json(&user_view(u, &self.base))).collect(), total as usize)
            }
            (Some(_), Some((k, v))) => {
                let (rows, total) = store::users(&mut conn, &self.team, Some((*k, v)), offset, count).await?;
                (rows.iter().map(|u| scim::user_json(&user_view(u, &self.base))).collect(), total as usize)
            }
            (Some(f), None) => {
                let (rows, _) = store::users(&mut conn, &self.team, None, 0, i64::MAX).await?;
                page_of(rows.iter().map(|u| scim::user_json(&user_view(u, &self.base))), f, paging)
            }
        };
        Ok(scim::list_response(resources, total, paging.start_index))
    }

    pub async fn replace_user(&self, id: &str, body: &Value) -> Result<Value, ScimError> {
        let input = scim::parse_user(body)?;
        let (fields, _) = fields_of(&input)?;
        self.change_user(id, |_| Ok(fields)).await
    }

    pub async fn patch_user(&self, id: &str, body: &Value) -> Result<Value, ScimError> {
        let patch = scim::user_patch(&scim::parse_patch(body)?)?;
        self.change_user(id, move |cur| {
            let text = |new: &Option<String>, old: &Option<String>| match new {
                Some(v) if v.is_empty() => None,
                Some(v) => Some(v.clone()),
                None => old.clone(),
            };
            let mut f = ScimUserFields {
                user_name: patch.user_name.clone().unwrap_or_else(|| cur.user_name.clone()),
                external_id: text(&patch.external_id, &cur.external_id),
                given_name: text(&patch.given_name, &cur.given_name),
                family_name: text(&patch.family_name, &cur.family_name),
                display_name: text(
                    &patch.display_name.clone().or(patch.formatted_name.clone()),
                    &cur.display_name,
                ),
                email: cur.email.clone(),
                active: patch.active.unwrap_or(cur.active),
            };
            if let Some(e) = &patch.email {
                let email = Email::parse(e).map_err(|err| ScimError::invalid_value(format!("{e}: {err}")))?;
                f.email = email.as_str().to_string();
            }
            if f.user_name.trim().is_empty() {
                return Err(ScimError::invalid_value("userName is required."));
            }
            Ok(f)
        })
        .await
    }

    /// Applies new attributes to a user: a change of `active` provisions or deprovisions
    /// them; a new name shows in the team. The sign-in address stays the account's: a
    /// directory that changes a person's address is answered with the new address on the
    /// resource, but the person keeps signing in with theirs (see the module's note).
    async fn change_user(
        &self,
        id: &str,
        new: impl FnOnce(&ScimUserRow) -> Result<ScimUserFields, ScimError>,
    ) -> Result<Value, ScimError> {
        let now = self.now();
        let mut tx = locked(self.st, &self.team).await?;
        let cur = self.user_row(&mut tx, id).await?;
        let fields = new(&cur)?;
        if fields.user_name.to_lowercase() != cur.user_name.to_lowercase() {
            let (rows, _) =
                store::users(&mut tx, &self.team, Some((UserKey::UserName, &fields.user_name)), 0, 1).await?;
            if rows.iter().any(|r| r.id != cur.id) {
                return Err(ScimError::uniqueness(format!(
                    "A user with userName {} exists.",
                    fields.user_name
                )));
            }
        }
        store::update_user(&mut tx, &self.team, id, &fields, now).await?;
        let updated = self.user_row(&mut tx, id).await?;
        let email = Email::parse(&cur.email).map_err(internal)?;
        let name = person_name(&shown_name(&updated), &email)?;
        let target = format!("{name} <{}>", cur.email);
        let mut mail = false;
        match (cur.active, fields.active) {
            (true, false) => {
                self.deprovision(&mut tx, &cur.account_id).await?;
                record(
                    &mut tx,
                    &self.team,
                    &target,
                    (Some(json!({"active": true})), Some(json!({"active": false}))),
                    now,
                )
                .await?;
            }
            (false, true) => {
                mail = self.provision(&mut tx, id, &cur.account_id, &name, now).await?;
                record(
                    &mut tx,
                    &self.team,
                    &target,
                    (Some(json!({"active": false})), Some(json!({"active": true}))),
                    now,
                )
                .await?;
            }
            _ => {
                if shown_name(&cur) != shown_name(&updated) {
                    teams::set_invited_name(&mut *tx, &self.team, &cur.account_id, name.as_str()).await?;
                    let change =
                        (Some(json!({"name": shown_name(&cur)})), Some(json!({"name": name.as_str()})));
                    record(&mut tx, &self.team, &target, change, now).await?;
                }
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        if mail {
            self.st.db.wake_outbox();
        }
        Ok(scim::user_json(&user_view(&updated, &self.base)))
    }

    pub async fn delete_user(&self, id: &str) -> Result<(), ScimError> {
        let now = self.now();
        let mut tx = locked(self.st, &self.team).await?;
        let cur = self.user_row(&mut tx, id).await?;
        // A deactivated user has no membership of the directory's any more: one the
        // console made since is not the directory's to end.
        if cur.active {
            self.deprovision(&mut tx, &cur.account_id).await?;
        }
        store::delete_user(&mut tx, &self.team, id).await?;
        let target = format!("{} <{}>", shown_name(&cur), cur.email);
        record(
            &mut tx,
            &self.team,
            &target,
            (Some(json!({"synced": true, "active": cur.active})), None),
            now,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    // ---- groups --------------------------------------------------------------------------

    async fn group_row(&self, tx: &mut Transaction<'_, Any>, id: &str) -> Result<ScimGroupRow, ScimError> {
        store::group(tx, &self.team, id)
            .await?
            .ok_or_else(|| ScimError::not_found(format!("Group {id} not found.")))
    }

    pub async fn create_group(&self, body: &Value) -> Result<Value, ScimError> {
        let input = scim::parse_group(body)?;
        let name = GroupName::parse(&input.display_name)
            .map_err(|e| ScimError::invalid_value(format!("displayName: {e}")))?;
        let now = self.now();
        let mut tx = locked(self.st, &self.team).await?;
        let id = groups_store::create(&mut tx, &self.team, &name, now).await.map_err(|e| match e {
            StoreError::Duplicate(_) => {
                ScimError::uniqueness(format!("The team already has a group called {name}."))
            }
            other => from_store(other),
        })?;
        store::mark_synced(&mut tx, &id, input.external_id.as_deref(), now).await?;
        record(
            &mut tx,
            &self.team,
            &format!("Group {name}"),
            (None, Some(json!({"created": name.as_str(), "synced": true}))),
            now,
        )
        .await?;
        self.set_members(&mut tx, &id, &input.members.iter().cloned().collect(), now).await?;
        let row = self.group_row(&mut tx, &id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(scim::group_json(&group_view(&row, &self.base)))
    }

    pub async fn get_group(&self, id: &str, members: bool) -> Result<Value, ScimError> {
        let mut conn = self.st.db.pool.acquire().await.map_err(StoreError::from)?;
        let mut row = store::group(&mut conn, &self.team, id)
            .await?
            .ok_or_else(|| ScimError::not_found(format!("Group {id} not found.")))?;
        if !members {
            row.members.clear();
        }
        Ok(scim::group_json(&group_view(&row, &self.base)))
    }

    /// A page of synced groups matching `filter`; `members` false leaves members out (a
    /// directory asking `excludedAttributes=members` gets its answer without reading them).
    pub async fn list_groups(
        &self,
        filter: Option<&str>,
        paging: scim::Paging,
        members: bool,
    ) -> Result<Value, ScimError> {
        let filter = filter.map(str::trim).filter(|f| !f.is_empty()).map(scim::parse_filter).transpose()?;
        let key = filter.as_ref().and_then(scim::simple_eq).and_then(|(attr, v)| match attr.as_str() {
            // As the group was named: whitespace collapsed (GroupName), then by its key.
            "displayname" => Some((true, GroupName::parse(&v).map_or(v, |n| n.as_str().to_string()))),
            "externalid" => Some((false, v)),
            _ => None,
        });
        let (offset, count) = (paging.offset() as i64, paging.count as i64);
        let render = |g: &ScimGroupRow| scim::group_json(&group_view(g, &self.base));
        let mut conn = self.st.db.pool.acquire().await.map_err(StoreError::from)?;
        let (resources, total) = match (&filter, &key) {
            (None, _) => {
                let (rows, total) =
                    store::groups(&mut conn, &self.team, None, (offset, count), !members).await?;
                (rows.iter().map(render).collect(), total as usize)
            }
            (Some(_), Some((by_name, v))) => {
                let (rows, total) =
                    store::groups(&mut conn, &self.team, Some((*by_name, v)), (offset, count), !members)
                        .await?;
                (rows.iter().map(render).collect(), total as usize)
            }
            (Some(f), None) => {
                let (rows, _) = store::groups(&mut conn, &self.team, None, (0, i64::MAX), false).await?;
                let (page, total) = page_of(rows.iter().map(render), f, paging);
                let page = if members {
                    page
                } else {
                    page.into_iter()
                        .map(|mut g| {
                            if let Some(o) = g.as_object_mut() {
                                o.remove("members");
                            }
                            g
                        })
                        .collect()
                };
                (page, total)
            }
        };
        Ok(scim::list_response(resources, total, paging.start_index))
    }

    pub async fn replace_group(&self, id: &str, body: &Value) -> Result<Value, ScimError> {
        let input = scim::parse_group(body)?;
        let now = self.now();
        let mut tx = locked(self.st, &self.team).await?;
        let cur = self.group_row(&mut tx, id).await?;
        self.rename_group(&mut tx, &cur, &input.display_name, now).await?;
        store::touch_group(&mut tx, id, Some(input.external_id.as_deref()), now).await?;
        self.set_members(&mut tx, id, &input.members.iter().cloned().collect(), now).await?;
        let row = self.group_row(&mut tx, id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(scim::group_json(&group_view(&row, &self.base)))
    }

    /// PATCH of a group; the group as it is afterwards, or `None` when the directory asked
    /// for no body (RFC 7644 allows 204 for a PATCH).
    pub async fn patch_group(&self, id: &str, body: &Value) -> Result<Value, ScimError> {
        let patch = scim::group_patch(&scim::parse_patch(body)?)?;
        let now = self.now();
        let mut tx = locked(self.st, &self.team).await?;
        let cur = self.group_row(&mut tx, id).await?;
        if let Some(name) = &patch.display_name {
            self.rename_group(&mut tx, &cur, name, now).await?;
        }
        store::touch_group(&mut tx, id, patch.external_id.as_deref().map(Some), now).await?;
        let mut wanted: BTreeSet<String> = match &patch.replace_members {
            Some(list) => list.iter().cloned().collect(),
            None => cur.members.iter().map(|(m, _)| m.clone()).collect(),
        };
        for m in &patch.add_members {
            wanted.insert(m.clone());
        }
        for m in &patch.remove_members {
            wanted.remove(m);
        }
        self.set_members(&mut tx, id, &wanted, now).await?;
        let row = self.group_row(&mut tx, id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(scim::group_json(&group_view(&row, &self.base)))
    }

    async fn rename_group(
        &self,
        tx: &mut Transaction<'_, Any>,
        cur: &ScimGroupRow,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ScimError> {
        if name == cur.name {
            return Ok(());
        }
        let new =
            GroupName::parse(name).map_err(|e| ScimError::invalid_value(format!("displayName: {e}")))?;
        groups_store::rename(tx, &self.team, &cur.id, &new).await.map_err(|e| match e {
            StoreError::Duplicate(_) => {
                ScimError::uniqueness(format!("The team already has a group called {new}."))
            }
            other => from_store(other),
        })?;
        let change = (Some(json!({"name": cur.name})), Some(json!({"name": new.as_str()})));
        record(tx, &self.team, &format!("Group {}", cur.name), change, now).await?;
        Ok(())
    }

    /// Makes the group's directory members exactly `wanted` (SCIM user ids of this team);
    /// the active ones among them are the group's members in the team, with its seats.
    async fn set_members(
        &self,
        tx: &mut Transaction<'_, Any>,
        group: &str,
        wanted: &BTreeSet<String>,
        now: DateTime<Utc>,
    ) -> Result<(), ScimError> {
        let cur = store::group(tx, &self.team, group).await?.ok_or_else(|| internal("group vanished"))?;
        let have: BTreeSet<String> = cur.members.iter().map(|(m, _)| m.clone()).collect();
        let mut touched = BTreeSet::new();
        let mut changed = false;
        for id in wanted.difference(&have) {
            let user = store::user(tx, &self.team, id)
                .await?
                .ok_or_else(|| ScimError::invalid_value(format!("No user of this team has the id {id}.")))?;
            store::add_group_member(tx, group, id).await?;
            changed = true;
            if user.active && teams::membership(&mut **tx, &self.team, &user.account_id).await?.is_some() {
                groups_store::add_member(tx, &self.team, group, &user.account_id, now).await?;
                let (added, _) =
                    crate::service::groups::refresh_person(tx, &self.team, &user.account_id, None, now)
                        .await
                        .map_err(from_app)?;
                touched.extend(added);
            }
            let target = format!("{} <{}> → group {}", shown_name(&user), user.email, cur.name);
            record(tx, &self.team, &target, (None, Some(json!({"member_of": cur.name}))), now).await?;
        }
        for id in have.difference(wanted) {
            let Some(user) = store::user(tx, &self.team, id).await? else { continue };
            store::remove_group_member(tx, group, id).await?;
            changed = true;
            if groups_store::remove_member(tx, group, &user.account_id).await? {
                crate::service::groups::refresh_person(tx, &self.team, &user.account_id, None, now)
                    .await
                    .map_err(from_app)?;
            }
            let target = format!("{} <{}> → group {}", shown_name(&user), user.email, cur.name);
            record(tx, &self.team, &target, (Some(json!({"member_of": cur.name})), None), now).await?;
        }
        crate::service::groups::seats_hold(tx, &self.team, &touched, now).await.map_err(from_app)?;
        if changed {
            store::touch_group(tx, group, None, now).await?;
        }
        Ok(())
    }

    pub async fn delete_group(&self, id: &str) -> Result<(), ScimError> {
        let now = self.now();
        let mut tx = locked(self.st, &self.team).await?;
        let cur = self.group_row(&mut tx, id).await?;
        let members = groups_store::members(&mut tx, id).await?;
        groups_store::delete(&mut tx, &self.team, id).await?;
        for m in members.iter().filter_map(|m| UserId::parse(m).ok()) {
            crate::service::groups::refresh_person(&mut tx, &self.team, &m, None, now)
                .await
                .map_err(from_app)?;
        }
        let before = json!({"name": cur.name, "members": cur.members.len(), "synced": true});
        record(&mut tx, &self.team, &format!("Group {}", cur.name), (Some(before), None), now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

/// The page `paging` asks for among the resources `filter` matches, and how many match.
fn page_of(all: impl Iterator<Item = Value>, filter: &Filter, paging: scim::Paging) -> (Vec<Value>, usize) {
    let matching: Vec<Value> = all.filter(|r| scim::matches(filter, r)).collect();
    let total = matching.len();
    (matching.into_iter().skip(paging.offset()).take(paging.count).collect(), total)
}
