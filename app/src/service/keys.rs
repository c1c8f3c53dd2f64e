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

/// A new EC P-256 key: PKCS#8 PEM and the public JWK.
fn generate_es256() -> Result<(String, serde_json::Value), KeyError> {
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let crypto = |e: &dyn std::fmt::Display| KeyError::Crypto(e.to_string());
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).map_err(|e| crypto(&e))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|e| crypto(&e))?;
    // Uncompressed point: 0x04 || X (32 bytes) || Y (32 bytes).
    let point = pair.public_key().as_ref();
    if point.len() != 65 {
        return Err(KeyError::Crypto("unexpected P-256 public key length".into()));
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
    let body: Vec<&str> =
        b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", body.join("\n"));
    let jwk = serde_json::json!({
        "kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..]),
    });
    Ok((pem, jwk))
}

struct Loaded {
    kid: String,
    alg: Algorithm,
    created_at: DateTime<Utc>,
    jwk: serde_json::Value,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Loaded {
    fn from_row(row: &SigningKeyRow) -> Result<Loaded, KeyError> {
        let crypto = |e: jsonwebtoken::errors::Error| KeyError::Crypto(e.to_string());
        let jwk: serde_json::Value = serde_json::from_str(&row.public_jwk)
            .map_err(|e| KeyError::Crypto(format!("public key of {}: {e}", row.kid)))?;
        let part = |k: &str| jwk.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let (alg, encoding, decoding) = match row.alg.as_str() {
            "ES256" => (
                Algorithm::ES256,
                EncodingKey::from_ec_pem(row.private_pem.as_bytes()).map_err(crypto)?,
                DecodingKey::from_ec_components(&part("x"), &part("y")).map_err(crypto)?,
            ),
            "RS256" => (
                Algorithm::RS256,
                EncodingKey::from_rsa_pem(row.private_pem.as_bytes()).map_err(crypto)?,
                DecodingKey::from_rsa_components(&part("n"), &part("e")).map_err(crypto)?,
            ),
            other => return Err(KeyError::Crypto(format!("unknown algorithm {other} for key {}", row.kid))),
        };
        Ok(Loaded { kid: row.kid.clone(), alg, created_at: row.created_at, jwk, encoding, decoding })
    }
}

#[derive(Default)]
struct Cache {
    /// Newest first.
    keys: Vec<Arc<Loaded>>,
    loaded_at: Option<std::time::Instant>,
}

/// Access tokens verified recently, by token text. A client presents the same token for up
/// to an hour; a hit skips the ECDSA verification (expiry is still checked on every use).
const VERIFIED_CAPACITY: usize = 50_000;

pub struct KeySet {
    db: Db,
    cache: RwLock<Cache>,
    verified: std::sync::Mutex<std::collections::HashMap<String, crate::domain::oauth::AccessClaims>>,
    /// One generator per process at a time.
    generating: tokio::sync::Mutex<()>,
}

fn alg_name(alg: Algorithm) -> &'static str {
    if alg == Algorithm::ES256 {
        "ES256"
    } else {
        "RS256"
    }
}

impl KeySet {
    pub fn new(db: Db) -> KeySet {
        KeySet {
            db,
            cache: RwLock::new(Cache::default()),
            verified: std::sync::Mutex::new(std::collections::HashMap::new()),
            generating: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether the cache is older than `RELOAD_AT_MOST_EVERY` (or was never loaded).
    fn cache_is_stale(&self) -> bool {
        self.cache
            .read()
            .map(|c| c.loaded_at.is_none_or(|t| t.elapsed() > RELOAD_AT_MOST_EVERY))
            .unwrap_or(true)
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

    fn current_in_cache(&self, alg: Algorithm, now: DateTime<Utc>) -> Option<Arc<Loaded>> {
        self.cached().into_iter().find(|k| {
            k.alg == alg && k.created_at > now - ROTATE_AFTER && k.created_at <= now + Duration::minutes(5)
        })
    }

    async fn signing_key(&self, alg: Algorithm, now: DateTime<Utc>) -> Result<Arc<Loaded>, KeyError> {
        if let Some(k) = self.current_in_cache(alg, now) {
            return Ok(k);
        }
        let _one = self.generating.lock().await;
        self.reload(now).await?;
        if let Some(k) = self.current_in_cache(alg, now) {
            return Ok(k);
        }
        let kid = uuid::Uuid::new_v4().to_string();
        let (private_pem, mut jwk) = if alg == Algorithm::ES256 {
            generate_es256()?
        } else {
            let g = generate_rsa_2048_blocking().await?;
            (g.private_pem, serde_json::json!({ "kty": "RSA", "n": g.n, "e": g.e }))
        };
        jwk["kid"] = serde_json::json!(kid);
        jwk["alg"] = serde_json::json!(alg_name(alg));
        jwk["use"] = serde_json::json!("sig");
        let row = SigningKeyRow {
            kid,
            alg: alg_name(alg).to_string(),
            private_pem,
            public_jwk: jwk.to_string(),
            created_at: now,
        };
        self.db.insert_signing_key(&row).await?;
        tracing::info!(kid = %row.kid, alg = %row.alg, "new signing key");
        self.reload(now).await?;
        self.current_in_cache(alg, now)
            .ok_or_else(|| KeyError::Crypto("the new signing key did not load".into()))
    }

    /// Makes sure current keys exist (at start-up, so the first request does not wait).
    pub async fn ensure_current(&self, now: DateTime<Utc>) -> Result<(), KeyError> {
        self.signing_key(Algorithm::ES256, now).await?;
        self.signing_key(Algorithm::RS256, now).await.map(|_| ())
    }

    async fn sign_with<T: Serialize>(
        &self,
        alg: Algorithm,
        claims: &T,
        now: DateTime<Utc>,
    ) -> Result<String, KeyError> {
        let key = self.signing_key(alg, now).await?;
        let mut header = Header::new(alg);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding).map_err(|e| KeyError::Crypto(e.to_string()))
    }

    /// Signs access tokens and leases: ES256 (a P-256 signature costs a fraction of an
    /// RSA-2048 one, and the exchange is bound by it).
    pub async fn sign<T: Serialize>(&self, claims: &T, now: DateTime<Utc>) -> Result<String, KeyError> {
        self.sign_with(Algorithm::ES256, claims, now).await
    }

    /// Signs id tokens: RS256, the algorithm OpenID Connect requires every client to accept.
    pub async fn sign_id_token<T: Serialize>(
        &self,
        claims: &T,
        now: DateTime<Utc>,
    ) -> Result<String, KeyError> {
        self.sign_with(Algorithm::RS256, claims, now).await
    }

    async fn decoding_key(&self, kid: &str, now: DateTime<Utc>) -> Result<Arc<Loaded>, VerifyError> {
        if let Some(k) = self.cached().into_iter().find(|k| k.kid == kid) {
            return Ok(k);
        }
        // Our kids are UUIDs: anything else cannot be ours and costs no query.
        if uuid::Uuid::parse_str(kid).is_err() {
            return Err(VerifyError::UnknownKey);
        }
        let stale = self.cache_is_stale();
        if stale {
            self.reload(now).await.map_err(|_| VerifyError::Unavailable)?;
            return self.cached().into_iter().find(|k| k.kid == kid).ok_or(VerifyError::UnknownKey);
        }
        // Loaded moments ago, yet another instance may have made this key since (it signs
        // with it at once): one lookup by primary key settles it.
        let row = match self.db.signing_key(kid).await {
            Ok(row) => row,
            Err(StoreError::NotFound) => return Err(VerifyError::UnknownKey),
            Err(_) => return Err(VerifyError::Unavailable),
        };
        if row.created_at <= now - PUBLISH_FOR {
            return Err(VerifyError::UnknownKey);
        }
        let key = Arc::new(Loaded::from_row(&row).map_err(|_| VerifyError::Unavailable)?);
        if let Ok(mut c) = self.cache.write() {
            if !c.keys.iter().any(|k| k.kid == key.kid) {
                c.keys.push(key.clone());
                c.keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
            }
        }
        Ok(key)
    }

    /// Verifies a token we signed and returns its claims. The header's `alg` must be the
    /// key's own (no algorithm confusion); `exp` is checked against our clock (not the
    /// system's), so tests that move time see tokens expire.
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
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        let key = self.decoding_key(&kid, now).await?;
        if header.alg != key.alg {
            return Err(VerifyError::BadSignature);
        }
        let mut v = Validation::new(key.alg);
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

    /// `verify` for access tokens, remembering tokens that passed.
    pub async fn verify_access(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<crate::domain::oauth::AccessClaims, VerifyError> {
        let hit = self.verified.lock().ok().and_then(|m| m.get(token).cloned());
        if let Some(claims) = hit {
            if claims.exp <= now.timestamp() {
                return Err(VerifyError::Expired);
            }
            return Ok(claims);
        }
        let claims: crate::domain::oauth::AccessClaims = self.verify(token, now).await?;
        if let Ok(mut m) = self.verified.lock() {
            if m.len() >= VERIFIED_CAPACITY {
                let t = now.timestamp();
                m.retain(|_, c| c.exp > t);
                if m.len() >= VERIFIED_CAPACITY {
                    m.clear();
                }
            }
            m.insert(token.to_string(), claims.clone());
        }
        Ok(claims)
    }

    /// The published key set (RFC 7517): every key still published, newest first.
    pub async fn jwks(&self, now: DateTime<Utc>) -> Result<serde_json::Value, KeyError> {
        self.ensure_current(now).await?;
        // Another instance may have made a key this one has not loaded: publish what the
        // database holds, at most a few seconds old.
        let stale = self.cache_is_stale();
        if stale {
            self.reload(now).await?;
        }
        let keys: Vec<serde_json::Value> = self.cached().iter().map(|k| k.jwk.clone()).collect();
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
