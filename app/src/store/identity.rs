//! Clients, Secure Service Accounts and their keys, signing keys, authorization codes,
//! refresh tokens, revocations, profiles and team SSO settings.
use super::{changed_a_row, get_flag, get_opt_ts, get_ts, ts, Db, Result, StoreError};
use crate::domain::oauth::Scopes;
use crate::domain::{TeamId, UserId};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

#[derive(Clone, Debug)]
pub struct ClientRow {
    pub id: String,
    pub team_id: TeamId,
    pub name: String,
    pub secret_hash: String,
    pub scopes: Scopes,
    pub redirect_uris: Vec<String>,
    pub created_at: DateTime<Utc>,
}

fn client_from(r: &AnyRow) -> Result<ClientRow> {
    let scopes: String = r.try_get("scopes")?;
    let uris: String = r.try_get("redirect_uris")?;
    Ok(ClientRow {
        id: r.try_get("id")?,
        team_id: super::get_team_id(r, "team_id")?,
        name: r.try_get("name")?,
        secret_hash: r.try_get("secret_hash")?,
        scopes: Scopes::parse(&scopes).map_err(corrupt)?,
        redirect_uris: uris.lines().filter(|l| !l.is_empty()).map(str::to_string).collect(),
        created_at: get_ts(r, "created_at")?,
    })
}

const CLIENT_COLS: &str = "id, team_id, name, secret_hash, scopes, redirect_uris, created_at";

#[derive(Clone, Debug)]
pub struct SsaRow {
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

fn ssa_from(r: &AnyRow) -> Result<SsaRow> {
    Ok(SsaRow {
        id: r.try_get("id")?,
        client_id: r.try_get("client_id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        created_at: get_ts(r, "created_at")?,
        disabled_at: get_opt_ts(r, "disabled_at")?,
    })
}

const SSA_COLS: &str = "id, client_id, name, email, created_at, disabled_at";

#[derive(Clone, Debug)]
pub struct SsaKeyRow {
    pub kid: String,
    pub ssa_id: String,
    pub public_n: String,
    pub public_e: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

fn key_from(r: &AnyRow) -> Result<SsaKeyRow> {
    Ok(SsaKeyRow {
        kid: r.try_get("kid")?,
        ssa_id: r.try_get("ssa_id")?,
        public_n: r.try_get("public_n")?,
        public_e: r.try_get("public_e")?,
        created_at: get_ts(r, "created_at")?,
        last_used_at: get_opt_ts(r, "last_used_at")?,
        deleted_at: get_opt_ts(r, "deleted_at")?,
    })
}

const KEY_COLS: &str = "kid, ssa_id, public_n, public_e, created_at, last_used_at, deleted_at";

#[derive(Clone, Debug)]
pub struct SigningKeyRow {
    pub kid: String,
    /// "ES256" or "RS256".
    pub alg: String,
    pub private_pem: String,
    /// The public JWK as published (JSON text).
    pub public_jwk: String,
    pub created_at: DateTime<Utc>,
}

/// What an authorization code stands for, once redeemed.
#[derive(Clone, Debug)]
pub struct CodeGrant {
    pub client_id: String,
    pub account_id: UserId,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewCode<'a> {
    pub code_hash: &'a str,
    pub client_id: &'a str,
    pub account_id: &'a UserId,
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    pub code_challenge: &'a str,
    pub nonce: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct RefreshGrant {
    pub family_id: String,
    pub client_id: String,
    pub account_id: UserId,
    pub scope: String,
}

/// Outcome of presenting a refresh token.
#[derive(Clone, Debug)]
pub enum RefreshUse {
    Rotated(RefreshGrant),
    /// Already used (or revoked): the family has now been revoked.
    Replayed,
    Unknown,
}

/// The profile fields /userinfo returns (R-OIDC1).
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub id: String,
    pub email: String,
    pub name: String,
    pub created_at: String,
    pub last_login_at: Option<String>,
    pub locale: String,
    pub country_code: String,
    pub street_address: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub phone_number: String,
    pub job_title: String,
    pub industry: String,
    pub industry_code: String,
    pub about_me: String,
    pub company: String,
    pub opt_in: bool,
    pub updated_at: Option<String>,
    pub sso_domain: Option<String>,
    /// As the person wrote them on their account page; empty: split `name`.
    pub given_name: String,
    pub family_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoConfig {
    pub team_id: TeamId,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub enabled: bool,
}

/// The editable profile fields a new profile row starts with.
pub struct ProfileFields<'a> {
    pub locale: &'a str,
    pub country_code: &'a str,
    pub locality: &'a str,
    pub company: &'a str,
    pub job_title: &'a str,
    pub industry: &'a str,
    pub industry_code: &'a str,
}

pub async fn insert_profile<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    account: &UserId,
    p: &ProfileFields<'_>,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_profiles (account_id, locale, country_code, locality, company, job_title, industry, industry_code, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(account.as_str())
    .bind(p.locale)
    .bind(p.country_code)
    .bind(p.locality)
    .bind(p.company)
    .bind(p.job_title)
    .bind(p.industry)
    .bind(p.industry_code)
    .bind(ts(at))
    .execute(ex)
    .await?;
    Ok(())
}

/// Saves what the person edited on their account page (R-ACC1): the name on the account and
/// the profile row (made if there is none yet). Fields the page does not edit keep their
/// values.
pub async fn save_profile(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    account: &UserId,
    p: &crate::domain::profile::Profile,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE accounts SET name = $1 WHERE id = $2")
        .bind(p.name.as_str())
        .bind(account.as_str())
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO account_profiles (account_id, updated_at) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account.as_str())
    .bind(ts(at))
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE account_profiles SET given_name = $1, family_name = $2, locale = $3, job_title = $4, company = $5, \
         phone_number = $6, street_address = $7, locality = $8, region = $9, postal_code = $10, country_code = $11, \
         updated_at = $12 WHERE account_id = $13",
    )
    .bind(&p.given_name)
    .bind(&p.family_name)
    .bind(&p.locale)
    .bind(&p.job_title)
    .bind(&p.company)
    .bind(&p.phone_number)
    .bind(&p.street_address)
    .bind(&p.locality)
    .bind(&p.region)
    .bind(&p.postal_code)
    .bind(&p.country_code)
    .bind(ts(at))
    .bind(account.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// The writes below take the caller's executor: the console and the command line run them in
// the transaction that also records the audit entry, so the change and its entry commit
// together.

pub async fn create_client<'e, E: Executor<'e, Database = Any>>(ex: E, client: &ClientRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO oauth_clients ({CLIENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(&client.id)
        .bind(client.team_id.as_str())
        .bind(&client.name)
        .bind(&client.secret_hash)
        .bind(client.scopes.to_string())
        .bind(client.redirect_uris.join("\n"))
        .bind(ts(client.created_at))
        .execute(ex)
        .await
        .map_err(|e| StoreError::from(e).on_unique("a client with this id"))?;
    Ok(())
}

pub async fn create_ssa<'e, E: Executor<'e, Database = Any>>(ex: E, ssa: &SsaRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO service_accounts ({SSA_COLS}) VALUES ($1, $2, $3, $4, $5, $6)"))
        .bind(&ssa.id)
        .bind(&ssa.client_id)
        .bind(&ssa.name)
        .bind(&ssa.email)
        .bind(ts(ssa.created_at))
        .bind(ssa.disabled_at.map(ts))
        .execute(ex)
        .await
        .map_err(|e| StoreError::from(e).on_unique("a service account with this id"))?;
    Ok(())
}

pub async fn set_ssa_disabled<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    at: Option<DateTime<Utc>>,
) -> Result<()> {
    let done = sqlx::query("UPDATE service_accounts SET disabled_at = $1 WHERE id = $2")
        .bind(at.map(ts))
        .bind(id)
        .execute(ex)
        .await?;
    changed_a_row(&done)
}

pub async fn create_ssa_key<'e, E: Executor<'e, Database = Any>>(ex: E, key: &SsaKeyRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO ssa_keys ({KEY_COLS}) VALUES ($1, $2, $3, $4, $5, NULL, NULL)"))
        .bind(&key.kid)
        .bind(&key.ssa_id)
        .bind(&key.public_n)
        .bind(&key.public_e)
        .bind(ts(key.created_at))
        .execute(ex)
        .await?;
    Ok(())
}

/// Marks a key deleted (kept so a later assertion naming it gets "deleted key").
pub async fn delete_ssa_key<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    ssa: &str,
    kid: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE ssa_keys SET deleted_at = $1 WHERE kid = $2 AND ssa_id = $3 AND deleted_at IS NULL",
    )
    .bind(ts(now))
    .bind(kid)
    .bind(ssa)
    .execute(ex)
    .await?;
    changed_a_row(&done)
}

pub async fn sso_config<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
) -> Result<Option<SsoConfig>> {
    let row = sqlx::query(
        "SELECT team_id, issuer, client_id, client_secret, enabled FROM team_sso WHERE team_id = $1",
    )
    .bind(team.as_str())
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(sso_from).transpose()
}

pub async fn save_sso_config<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    c: &SsoConfig,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO team_sso (team_id, issuer, client_id, client_secret, enabled, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (team_id) DO UPDATE SET issuer = $2, client_id = $3, client_secret = $4, enabled = $5, updated_at = $6",
    )
    .bind(c.team_id.as_str())
    .bind(&c.issuer)
    .bind(&c.client_id)
    .bind(&c.client_secret)
    .bind(i64::from(c.enabled))
    .bind(ts(now))
    .execute(ex)
    .await?;
    Ok(())
}

impl Db {
    // Outside a transaction, with no audit entry: for tests and tools only. The console and
    // the command line use the free functions above in the transaction of their audit entry.

    pub async fn set_ssa_disabled(&self, id: &str, at: Option<DateTime<Utc>>) -> Result<()> {
        set_ssa_disabled(&self.pool, id, at).await
    }

    pub async fn delete_ssa_key(&self, ssa: &str, kid: &str, now: DateTime<Utc>) -> Result<()> {
        delete_ssa_key(&self.pool, ssa, kid, now).await
    }

    pub async fn save_sso_config(&self, c: &SsoConfig, now: DateTime<Utc>) -> Result<()> {
        save_sso_config(&self.pool, c, now).await
    }
    pub async fn client(&self, id: &str) -> Result<Option<ClientRow>> {
        let row = sqlx::query(&format!("SELECT {CLIENT_COLS} FROM oauth_clients WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(client_from).transpose()
    }

    pub async fn clients_of_team(&self, team: &TeamId) -> Result<Vec<ClientRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {CLIENT_COLS} FROM oauth_clients WHERE team_id = $1 ORDER BY name, id"
        ))
        .bind(team.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(client_from).collect()
    }

    pub async fn ssa(&self, id: &str) -> Result<Option<SsaRow>> {
        let row = sqlx::query(&format!("SELECT {SSA_COLS} FROM service_accounts WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ssa_from).transpose()
    }

    pub async fn ssas_of_client(&self, client: &str) -> Result<Vec<SsaRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {SSA_COLS} FROM service_accounts WHERE client_id = $1 ORDER BY created_at"
        ))
        .bind(client)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ssa_from).collect()
    }

    pub async fn ssa_key(&self, kid: &str) -> Result<Option<SsaKeyRow>> {
        let row = sqlx::query(&format!("SELECT {KEY_COLS} FROM ssa_keys WHERE kid = $1"))
            .bind(kid)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(key_from).transpose()
    }

    pub async fn keys_of_ssa(&self, ssa: &str) -> Result<Vec<SsaKeyRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {KEY_COLS} FROM ssa_keys WHERE ssa_id = $1 AND deleted_at IS NULL ORDER BY created_at"
        ))
        .bind(ssa)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_from).collect()
    }

    pub async fn touch_ssa_key(&self, kid: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE ssa_keys SET last_used_at = $1 WHERE kid = $2")
            .bind(ts(now))
            .bind(kid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn insert_signing_key(&self, key: &SigningKeyRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_pem, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.kid)
        .bind(&key.alg)
        .bind(&key.private_pem)
        .bind(&key.public_jwk)
        .bind(ts(key.created_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn signing_key(&self, kid: &str) -> Result<SigningKeyRow> {
        let r = sqlx::query(
            "SELECT kid, alg, private_pem, public_jwk, created_at FROM signing_keys WHERE kid = $1",
        )
        .bind(kid)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(SigningKeyRow {
            kid: r.try_get("kid")?,
            alg: r.try_get("alg")?,
            private_pem: r.try_get("private_pem")?,
            public_jwk: r.try_get("public_jwk")?,
            created_at: get_ts(&r, "created_at")?,
        })
    }

    /// When the newest signing key was made (none before the first token).
    pub async fn newest_signing_key_at(&self) -> Result<Option<DateTime<Utc>>> {
        let row = sqlx::query("SELECT MAX(created_at) AS at FROM signing_keys").fetch_one(&self.pool).await?;
        super::get_opt_ts(&row, "at")
    }

    /// Keys created after `since`, newest first.
    pub async fn signing_keys_since(&self, since: DateTime<Utc>) -> Result<Vec<SigningKeyRow>> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_pem, public_jwk, created_at FROM signing_keys WHERE created_at > $1 ORDER BY created_at DESC",
        )
        .bind(ts(since))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SigningKeyRow {
                    kid: r.try_get("kid")?,
                    alg: r.try_get("alg")?,
                    private_pem: r.try_get("private_pem")?,
                    public_jwk: r.try_get("public_jwk")?,
                    created_at: get_ts(r, "created_at")?,
                })
            })
            .collect()
    }

    pub async fn insert_code(&self, c: &NewCode<'_>, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO auth_codes (code_hash, client_id, account_id, redirect_uri, scope, code_challenge, nonce, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(c.code_hash)
        .bind(c.client_id)
        .bind(c.account_id.as_str())
        .bind(c.redirect_uri)
        .bind(c.scope)
        .bind(c.code_challenge)
        .bind(c.nonce)
        .bind(ts(now))
        .bind(ts(c.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Redeems a code once: the UPDATE is the claim, so two racing redemptions cannot both win.
    pub async fn take_code(&self, code_hash: &str, now: DateTime<Utc>) -> Result<Option<CodeGrant>> {
        let row = sqlx::query(
            "UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING client_id, account_id, redirect_uri, scope, code_challenge, nonce",
        )
        .bind(ts(now))
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(CodeGrant {
            client_id: r.try_get("client_id")?,
            account_id: super::get_user_id(&r, "account_id")?,
            redirect_uri: r.try_get("redirect_uri")?,
            scope: r.try_get("scope")?,
            code_challenge: r.try_get("code_challenge")?,
            nonce: r.try_get("nonce")?,
        }))
    }

    pub async fn insert_refresh(
        &self,
        token_hash: &str,
        grant: &RefreshGrant,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, client_id, account_id, scope, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash)
        .bind(&grant.family_id)
        .bind(&grant.client_id)
        .bind(grant.account_id.as_str())
        .bind(&grant.scope)
        .bind(ts(now))
        .bind(ts(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Uses a refresh token once. Presenting one that was already used revokes its family:
    /// either the client or a thief holds a copy, and we cannot tell which.
    pub async fn use_refresh(&self, token_hash: &str, now: DateTime<Utc>) -> Result<RefreshUse> {
        let row = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $1
             WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1
             RETURNING family_id, client_id, account_id, scope",
        )
        .bind(ts(now))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(r) = row {
            return Ok(RefreshUse::Rotated(RefreshGrant {
                family_id: r.try_get("family_id")?,
                client_id: r.try_get("client_id")?,
                account_id: super::get_user_id(&r, "account_id")?,
                scope: r.try_get("scope")?,
            }));
        }
        let family: Option<(String, Option<String>)> =
            sqlx::query("SELECT family_id, used_at FROM refresh_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("family_id")?, r.try_get("used_at")?)))
                .transpose()?;
        match family {
            Some((family, Some(_))) => {
                self.revoke_refresh_family(&family, now).await?;
                Ok(RefreshUse::Replayed)
            }
            Some(_) => Ok(RefreshUse::Replayed),
            None => Ok(RefreshUse::Unknown),
        }
    }

    pub async fn revoke_refresh_family(&self, family: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
            .bind(ts(now))
            .bind(family)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// RFC 7009 for a refresh token: revokes its family if `client` owns it. Unknown tokens
    /// are not an error (the RFC answers 200 either way).
    pub async fn revoke_refresh(&self, token_hash: &str, client: &str, now: DateTime<Utc>) -> Result<bool> {
        let family: Option<String> =
            sqlx::query("SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND client_id = $2")
                .bind(token_hash)
                .bind(client)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.try_get("family_id"))
                .transpose()?;
        match family {
            Some(f) => {
                self.revoke_refresh_family(&f, now).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Revoked access tokens that have not expired yet (the rest can no longer be used).
    pub async fn live_revocations(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT jti FROM revoked_access_tokens WHERE expires_at > $1")
            .bind(ts(now))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("jti")?)).collect()
    }

    pub async fn revoke_access_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<()> {
        let sql = "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING";
        sqlx::query(sql).bind(jti).bind(ts(expires_at)).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn touch_last_login(&self, account: &UserId, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE accounts SET last_login_at = $1 WHERE id = $2")
            .bind(ts(now))
            .bind(account.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The userinfo profile of an account; profile fields default when no row exists yet.
    pub async fn profile(&self, account: &UserId) -> Result<Option<Profile>> {
        let row = sqlx::query(
            "SELECT a.id, a.email, a.name, a.created_at, a.last_login_at,
                    p.locale, p.country_code, p.street_address, p.locality, p.region, p.postal_code,
                    p.phone_number, p.job_title, p.industry, p.industry_code, p.about_me, p.company,
                    p.opt_in, p.updated_at, p.given_name, p.family_name,
                    (SELECT MIN(s.issuer) FROM team_sso s JOIN memberships m ON m.team_id = s.team_id
                      WHERE m.account_id = a.id AND m.status = 'active' AND s.enabled = 1) AS sso_issuer
             FROM accounts a LEFT JOIN account_profiles p ON p.account_id = a.id
             WHERE a.id = $1",
        )
        .bind(account.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let text = |c: &str| -> Result<String> { Ok(r.try_get::<Option<String>, _>(c)?.unwrap_or_default()) };
        let opt_in: Option<i64> = r.try_get("opt_in")?;
        let issuer: Option<String> = r.try_get("sso_issuer")?;
        Ok(Some(Profile {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            name: r.try_get("name")?,
            created_at: r.try_get("created_at")?,
            last_login_at: r.try_get("last_login_at")?,
            locale: Some(text("locale")?).filter(|s| !s.is_empty()).unwrap_or_else(|| "en-US".into()),
            country_code: text("country_code")?,
            street_address: text("street_address")?,
            locality: text("locality")?,
            region: text("region")?,
            postal_code: text("postal_code")?,
            phone_number: text("phone_number")?,
            job_title: text("job_title")?,
            industry: text("industry")?,
            industry_code: text("industry_code")?,
            about_me: text("about_me")?,
            company: text("company")?,
            opt_in: opt_in.unwrap_or(0) != 0,
            updated_at: r.try_get("updated_at")?,
            sso_domain: issuer.map(|i| host_of(&i)),
            given_name: text("given_name")?,
            family_name: text("family_name")?,
        }))
    }

    pub async fn sso_config(&self, team: &TeamId) -> Result<Option<SsoConfig>> {
        sso_config(&self.pool, team).await
    }

    /// The enabled SSO configurations of the teams an account is an *active* member of: an
    /// invitation (which needs nobody's consent) must not route anyone to a provider.
    pub async fn sso_configs_of(&self, account: &UserId) -> Result<Vec<SsoConfig>> {
        let rows = sqlx::query(
            "SELECT s.team_id, s.issuer, s.client_id, s.client_secret, s.enabled
             FROM team_sso s JOIN memberships m ON m.team_id = s.team_id
             WHERE m.account_id = $1 AND m.status = 'active' AND s.enabled = 1 ORDER BY s.team_id",
        )
        .bind(account.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sso_from).collect()
    }
}

fn sso_from(r: &AnyRow) -> Result<SsoConfig> {
    Ok(SsoConfig {
        team_id: super::get_team_id(r, "team_id")?,
        issuer: r.try_get("issuer")?,
        client_id: r.try_get("client_id")?,
        client_secret: r.try_get("client_secret")?,
        enabled: get_flag(r, "enabled")?,
    })
}

fn host_of(url: &str) -> String {
    let after = url.split_once("://").map(|(_, a)| a).unwrap_or(url);
    after.split(['/', ':']).next().unwrap_or(after).to_string()
}

/// Whether the app may call the provisioning API (`app create --operator`).
pub async fn is_operator<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    client_id: &str,
) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 AS one FROM operator_clients WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(ex)
        .await?
        .is_some())
}

/// Makes the app an operator app, inside the transaction that creates it.
pub async fn make_operator<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO operator_clients (client_id, created_at) VALUES ($1, $2)")
        .bind(client_id)
        .bind(super::ts(now))
        .execute(ex)
        .await?;
    Ok(())
}
