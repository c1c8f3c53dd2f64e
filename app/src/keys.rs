//! RSA keys: generating them (SSA keys, our signing keys) and the rotating set that signs
//! access tokens, id tokens and licence leases, published at `/authentication/v2/keys`.
//!
//! The newest key signs for `ROTATE_AFTER`; every key stays published for `PUBLISH_FOR` so
//! that a 30-day offline lease signed on a key's last day still verifies. Several
//! instances share the table: whichever first finds no current key makes one (two racing
//! instances may both make one; both are published, the newest signs).
use crate::store::identity::SigningKeyRow;
use crate::store::{Db, StoreError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::{Arc, RwLock};

pub const ROTATE_AFTER: Duration = Duration::days(30);
pub const PUBLISH_FOR: Duration = Duration::days(90);
/// An unknown `kid` makes us look in the database at most this often (another instance may
/// have rotated), so tokens with invented kids cannot turn into a query each.
const RELOAD_AT_MOST_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("key material: {0}")]
    Crypto(String),
}

/// Why a token we signed was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is not a JWT")]
    Malformed,
    #[error("the token was not signed by a key of this service")]
    UnknownKey,
    #[error("the token's signature is not valid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token could not be checked")]
    Unavailable,
}

/// A freshly generated RSA key pair: the private half as PKCS#1 PEM (what the seed's Go
/// snippet parses; PyJWT, jsonwebtoken and .NET read it too), the public half as JWK parts.
pub struct GeneratedKey {
    pub private_pem: String,
    pub n: String,
    pub e: String,
}

pub fn generate_rsa_2048() -> Result<GeneratedKey, KeyError> {
    use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
    use rsa::traits::PublicKeyParts;
    let key =
        rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|e| KeyError::Crypto(e.to_string()))?;
    let pem = key.to_pkcs1_pem(LineEnding::LF).map_err(|e| KeyError::Crypto(e.to_string()))?;
    Ok(GeneratedKey {
        private_pem: pem.to_string(),
        n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

/// Key generation takes a noticeable moment; keep it off the async workers.
pub async fn generate_rsa_2048_blocking() -> Result<GeneratedKey, KeyError> {
    tokio::task::spawn_blocking(generate_rsa_2048).await.map_err(|e| KeyError::Crypto(e.to_string()))?
}

struct Loaded {
    kid: String,
    created_at: DateTime<Utc>,
    n: String,
    e: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Loaded {
    fn from_row(row: &SigningKeyRow) -> Result<Loaded, KeyError> {
        let crypto = |e: jsonwebtoken::errors::Error| KeyError::Crypto(e.to_string());
        Ok(Loaded {
            kid: row.kid.clone(),
            created_at: row.created_at,
            n: row.public_n.clone(),
            e: row.public_e.clone(),
            encoding: EncodingKey::from_rsa_pem(row.private_pem.as_bytes()).map_err(crypto)?,
            decoding: DecodingKey::from_rsa_components(&row.public_n, &row.public_e).map_err(crypto)?,
        })
    }
}

#[derive(Default)]
struct Cache {
    /// Newest first.
    keys: Vec<Arc<Loaded>>,
    loaded_at: Option<std::time::Instant>,
}

pub struct KeySet {
    db: Db,
    cache: RwLock<Cache>,
    /// One generator per process at a time.
    generating: tokio::sync::Mutex<()>,
}

impl KeySet {
    pub fn new(db: Db) -> KeySet {
        KeySet { db, cache: RwLock::new(Cache::default()), generating: tokio::sync::Mutex::new(()) }
    }

    fn cached(&self) -> Vec<Arc<Loaded>> {
        self.cache.read().map(|c| c.keys.clone()).unwrap_or_default()
    }

    async fn reload(&self, now: DateTime<Utc>) -> Result<(), KeyError> {
        let rows = self.db.signing_keys_since(now - PUBLISH_FOR).await?;
        let keys = rows.iter().map(|r| Loaded::from_row(r).map(Arc::new)).collect::<Result<Vec<_>, _>>()?;
        if let Ok(mut c) = self.cache.write() {
            c.keys = keys;
            c.loaded_at = Some(std::time::Instant::now());
        }
        Ok(())
    }

    fn current_in_cache(&self, now: DateTime<Utc>) -> Option<Arc<Loaded>> {
        self.cached()
            .into_iter()
            .find(|k| k.created_at > now - ROTATE_AFTER && k.created_at <= now + Duration::minutes(5))
    }

    async fn signing_key(&self, now: DateTime<Utc>) -> Result<Arc<Loaded>, KeyError> {
        if let Some(k) = self.current_in_cache(now) {
            return Ok(k);
        }
        let _one = self.generating.lock().await;
        self.reload(now).await?;
        if let Some(k) = self.current_in_cache(now) {
            return Ok(k);
        }
        let g = generate_rsa_2048_blocking().await?;
        let row = SigningKeyRow {
            kid: uuid::Uuid::new_v4().to_string(),
            private_pem: g.private_pem,
            public_n: g.n,
            public_e: g.e,
            created_at: now,
        };
        self.db.insert_signing_key(&row).await?;
        tracing::info!(kid = %row.kid, "new signing key");
        self.reload(now).await?;
        self.current_in_cache(now).ok_or_else(|| KeyError::Crypto("the new signing key did not load".into()))
    }

    /// Makes sure a current key exists (at start-up, so the first request does not wait).
    pub async fn ensure_current(&self, now: DateTime<Utc>) -> Result<(), KeyError> {
        self.signing_key(now).await.map(|_| ())
    }

    /// Signs claims with the current key (RS256, `kid` in the header).
    pub async fn sign<T: Serialize>(&self, claims: &T, now: DateTime<Utc>) -> Result<String, KeyError> {
        let key = self.signing_key(now).await?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding).map_err(|e| KeyError::Crypto(e.to_string()))
    }

    async fn decoding_key(&self, kid: &str, now: DateTime<Utc>) -> Result<Arc<Loaded>, VerifyError> {
        if let Some(k) = self.cached().into_iter().find(|k| k.kid == kid) {
            return Ok(k);
        }
        let stale = self
            .cache
            .read()
            .map(|c| c.loaded_at.is_none_or(|t| t.elapsed() > RELOAD_AT_MOST_EVERY))
            .unwrap_or(true);
        if stale {
            self.reload(now).await.map_err(|_| VerifyError::Unavailable)?;
        }
        self.cached().into_iter().find(|k| k.kid == kid).ok_or(VerifyError::UnknownKey)
    }

    /// Verifies a token we signed and returns its claims. `exp` is checked against our
    /// clock (not the system's), so tests that move time see tokens expire.
    pub async fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<T, VerifyError> {
        #[derive(serde::Deserialize)]
        struct Exp {
            exp: i64,
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(VerifyError::BadSignature);
        }
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        let key = self.decoding_key(&kid, now).await?;
        let mut v = Validation::new(Algorithm::RS256);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        let exp = jsonwebtoken::decode::<Exp>(token, &key.decoding, &v).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => VerifyError::BadSignature,
            _ => VerifyError::Malformed,
        })?;
        if exp.claims.exp <= now.timestamp() {
            return Err(VerifyError::Expired);
        }
        jsonwebtoken::decode::<T>(token, &key.decoding, &v)
            .map(|d| d.claims)
            .map_err(|_| VerifyError::Malformed)
    }

    /// The published key set (RFC 7517).
    pub async fn jwks(&self, now: DateTime<Utc>) -> Result<serde_json::Value, KeyError> {
        self.signing_key(now).await?;
        let keys: Vec<serde_json::Value> = self
            .cached()
            .iter()
            .map(|k| serde_json::json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": k.kid, "n": k.n, "e": k.e }))
            .collect();
        Ok(serde_json::json!({ "keys": keys }))
    }
}

/// Checks an RS256 signature over `signing_input` with a public key given as JWK parts.
pub fn verify_rs256(signing_input: &str, signature: &[u8], n: &str, e: &str) -> bool {
    let Ok(key) = DecodingKey::from_rsa_components(n, e) else { return false };
    let sig = URL_SAFE_NO_PAD.encode(signature);
    jsonwebtoken::crypto::verify(&sig, signing_input.as_bytes(), &key, Algorithm::RS256).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_what_its_public_half_verifies() {
        let g = generate_rsa_2048().unwrap();
        assert!(g.private_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        let enc = EncodingKey::from_rsa_pem(g.private_pem.as_bytes()).unwrap();
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some("k1".into());
        let jwt = jsonwebtoken::encode(&h, &serde_json::json!({"a": 1}), &enc).unwrap();
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        assert!(verify_rs256(input, &sig, &g.n, &g.e));
        let mut tampered = sig.clone();
        tampered[0] ^= 1;
        assert!(!verify_rs256(input, &tampered, &g.n, &g.e));
        assert_eq!(g.e, "AQAB");
    }
}
