//! R-SSA2: the checks on a JWT-bearer assertion (RFC 7523) that need no key material.
//! The signature itself is verified by the caller with the SSA key named by `kid`; every
//! other rule of the seed is here, so each refusal has one place and one wording:
//! `The 'assertion' is invalid: <reason>`.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::collections::BTreeSet;

/// Assertions above this size are refused before any parsing (RFC 8725: bound the work).
pub const MAX_BYTES: usize = 8 * 1024;
/// `exp` may be at most this far ahead.
///
/// No clock skew is added on either side (R-SSA2 says 0–5 minutes, and the seed says longer
/// lifetimes are rejected): the client chooses `exp`, so a client whose clock lags ours
/// already sends a later `exp`, and one that follows the seed's example (`now + 300 s`) is
/// accepted unless its clock runs ahead of ours by more than the request takes. A tolerance
/// would only lengthen the time a captured assertion can be replayed.
pub const MAX_LIFETIME: Duration = Duration::minutes(5);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("no assertion was sent (the form parameter 'assertion' is missing or empty)")]
    NotGiven,
    #[error("it is longer than 8 KB")]
    TooLarge,
    #[error("it is not a JWT (expected three base64url parts separated by dots)")]
    NotAJwt,
    #[error("its {0} is not base64url-encoded JSON")]
    BadPart(&'static str),
    #[error("alg must be RS256, not {0}")]
    Alg(String),
    #[error("the header has no kid")]
    MissingKid,
    #[error("claim {0} is missing")]
    Missing(&'static str),
    #[error("claim {0} must be a string")]
    NotString(&'static str),
    #[error("iss must be the client id of the authenticated client")]
    Issuer,
    #[error("aud must be this token endpoint's URL ({0})")]
    Audience(String),
    #[error("exp must be a number of seconds since 1970")]
    ExpNotNumber,
    #[error("exp is not in the future")]
    Expired,
    #[error("exp more than 5 minutes in the future")]
    TooFar,
    #[error("scope must be an array of strings")]
    ScopeNotArray,
    #[error("scope \"{0}\" is not allowed for this client")]
    ScopeNotAllowed(String),
    #[error("unknown kid")]
    UnknownKid,
    #[error("the key {0} has been deleted")]
    DeletedKey(String),
    #[error("the signature does not verify with key {0}")]
    BadSignature(String),
    #[error("kid {0} is not a key of service account {1}")]
    KeyOfAnotherAccount(String, String),
    #[error("sub {0} is not a service account of this client")]
    NotClientsAccount(String),
    #[error("the service account {0} is disabled")]
    Disabled(String),
}

impl AssertionError {
    /// The OAuth `error_description` (error code `invalid_grant`).
    pub fn description(&self) -> String {
        format!("The 'assertion' is invalid: {self}")
    }
}

/// A structurally sound assertion whose signature is still to be checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Unverified {
    pub kid: String,
    pub claims: Value,
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

fn decode_json(part: &str, what: &'static str) -> Result<Value, AssertionError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| AssertionError::BadPart(what))?;
    serde_json::from_slice(&bytes).map_err(|_| AssertionError::BadPart(what))
}

/// Size, shape, `alg` and `kid`: what must hold before a key is even looked up.
pub fn parse(jwt: &str) -> Result<Unverified, AssertionError> {
    if jwt.len() > MAX_BYTES {
        return Err(AssertionError::TooLarge);
    }
    let parts: Vec<&str> = jwt.trim().split('.').collect();
    let [h, p, s] = parts.as_slice() else { return Err(AssertionError::NotAJwt) };
    let header = decode_json(h, "header")?;
    let claims = decode_json(p, "payload")?;
    if !header.is_object() || !claims.is_object() {
        return Err(AssertionError::NotAJwt);
    }
    // Only RS256: `none` and HMAC algorithms (where a public key could be misused as the
    // secret) are refused by name, before any key is touched.
    match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => {}
        Some(other) => return Err(AssertionError::Alg(other.to_string())),
        None => return Err(AssertionError::Alg("(none given)".to_string())),
    }
    let kid = match header.get("kid").and_then(Value::as_str) {
        Some(k) if !k.is_empty() => k.to_string(),
        _ => return Err(AssertionError::MissingKid),
    };
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| AssertionError::BadPart("signature"))?;
    Ok(Unverified { kid, claims, signing_input: format!("{h}.{p}"), signature })
}

/// The claims of a verified assertion that the token will carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub sub: String,
    pub scopes: Vec<String>,
}

fn string_claim<'a>(claims: &'a Value, name: &'static str) -> Result<&'a str, AssertionError> {
    match claims.get(name) {
        None | Some(Value::Null) => Err(AssertionError::Missing(name)),
        Some(v) => v.as_str().ok_or(AssertionError::NotString(name)),
    }
}

/// The claim rules of the seed: `iss` = the authenticated client, `aud` = our token
/// endpoint, `exp` after now and at most 5 minutes ahead (no skew, see `MAX_LIFETIME`),
/// `scope` an array of allowed strings.
pub fn check_claims(
    claims: &Value,
    client_id: &str,
    token_endpoint: &str,
    allowed_scopes: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Result<Grant, AssertionError> {
    if string_claim(claims, "iss")? != client_id {
        return Err(AssertionError::Issuer);
    }
    let sub = string_claim(claims, "sub")?.to_string();
    let aud_ok = match claims.get("aud") {
        None | Some(Value::Null) => return Err(AssertionError::Missing("aud")),
        Some(Value::String(a)) => a == token_endpoint,
        // RFC 7519 allows an array; ours must be among its values.
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(token_endpoint)),
        Some(_) => false,
    };
    if !aud_ok {
        return Err(AssertionError::Audience(token_endpoint.to_string()));
    }
    let exp = match claims.get("exp") {
        None | Some(Value::Null) => return Err(AssertionError::Missing("exp")),
        Some(v) => v.as_i64().ok_or(AssertionError::ExpNotNumber)?,
    };
    let exp = DateTime::<Utc>::from_timestamp(exp, 0).ok_or(AssertionError::ExpNotNumber)?;
    // A JWT is valid only before its `exp` (RFC 7519 4.1.4), so `exp == now` is expired.
    // The arithmetic is on `now`, never on the client's `exp`: that may be the last second
    // chrono can represent, and adding to it would overflow (a panic).
    if exp <= now {
        return Err(AssertionError::Expired);
    }
    if exp > now + MAX_LIFETIME {
        return Err(AssertionError::TooFar);
    }
    let Some(Value::Array(items)) = claims.get("scope") else { return Err(AssertionError::ScopeNotArray) };
    let mut scopes = Vec::with_capacity(items.len());
    for item in items {
        let s = item.as_str().ok_or(AssertionError::ScopeNotArray)?;
        if !allowed_scopes.contains(s) {
            return Err(AssertionError::ScopeNotAllowed(s.to_string()));
        }
        scopes.push(s.to_string());
    }
    Ok(Grant { sub, scopes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    const ENDPOINT: &str = "https://tessera.example/authentication/v2/token";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    fn jwt(header: Value, claims: Value) -> String {
        format!("{}.{}.{}", b64(&header), b64(&claims), URL_SAFE_NO_PAD.encode(b"sig"))
    }

    fn good_claims() -> Value {
        json!({"iss": "client-1", "sub": "ssa-1", "aud": ENDPOINT, "exp": now().timestamp() + 120,
               "scope": ["data:read", "user-profile:read"]})
    }

    fn allowed() -> BTreeSet<String> {
        ["data:read", "user-profile:read"].iter().map(|s| s.to_string()).collect()
    }

    fn claims_with(key: &str, value: Value) -> Value {
        let mut c = good_claims();
        c[key] = value;
        c
    }

    fn without(key: &str) -> Value {
        let mut c = good_claims();
        c.as_object_mut().unwrap().remove(key);
        c
    }

    #[test]
    fn a_good_assertion_passes_both_stages() {
        let u = parse(&jwt(json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}), good_claims())).unwrap();
        assert_eq!(u.kid, "k1");
        assert_eq!(u.signature, b"sig");
        let g = check_claims(&u.claims, "client-1", ENDPOINT, &allowed(), now()).unwrap();
        assert_eq!(
            g,
            Grant { sub: "ssa-1".into(), scopes: vec!["data:read".into(), "user-profile:read".into()] }
        );
    }

    #[test]
    fn header_refusals() {
        let cases = [
            (json!({"alg": "none", "kid": "k1"}), AssertionError::Alg("none".into())),
            (json!({"alg": "HS256", "kid": "k1"}), AssertionError::Alg("HS256".into())),
            (json!({"alg": "RS512", "kid": "k1"}), AssertionError::Alg("RS512".into())),
            (json!({"kid": "k1"}), AssertionError::Alg("(none given)".into())),
            (json!({"alg": "RS256"}), AssertionError::MissingKid),
            (json!({"alg": "RS256", "kid": ""}), AssertionError::MissingKid),
        ];
        for (header, want) in cases {
            assert_eq!(parse(&jwt(header.clone(), good_claims())), Err(want), "{header}");
        }
    }

    #[test]
    fn shape_refusals() {
        assert_eq!(parse("abc"), Err(AssertionError::NotAJwt));
        assert_eq!(parse("a.b.c.d"), Err(AssertionError::NotAJwt));
        assert_eq!(parse("!!.e30.c2ln"), Err(AssertionError::BadPart("header")));
        let h = b64(&json!({"alg": "RS256", "kid": "k"}));
        assert_eq!(parse(&format!("{h}.bm90IGpzb24.c2ln")), Err(AssertionError::BadPart("payload")));
        assert_eq!(
            parse(&format!("{h}.{}.@@", b64(&good_claims()))),
            Err(AssertionError::BadPart("signature"))
        );
        let huge = jwt(json!({"alg": "RS256", "kid": "k"}), claims_with("pad", json!("x".repeat(9000))));
        assert_eq!(parse(&huge), Err(AssertionError::TooLarge));
    }

    #[test]
    fn claim_refusals_name_the_reason() {
        let t = now().timestamp();
        let cases = [
            (
                claims_with("iss", json!("someone-else")),
                "iss must be the client id of the authenticated client",
            ),
            (without("iss"), "claim iss is missing"),
            (without("sub"), "claim sub is missing"),
            (
                claims_with("aud", json!("https://other.example/token")),
                "aud must be this token endpoint's URL (https://tessera.example/authentication/v2/token)",
            ),
            (without("exp"), "claim exp is missing"),
            (claims_with("exp", json!("soon")), "exp must be a number of seconds since 1970"),
            (claims_with("exp", json!(t - 31)), "exp is not in the future"),
            (claims_with("exp", json!(t + 6 * 60)), "exp more than 5 minutes in the future"),
            (claims_with("scope", json!("data:read")), "scope must be an array of strings"),
            (claims_with("scope", json!(["data:read", 7])), "scope must be an array of strings"),
            (without("scope"), "scope must be an array of strings"),
            (
                claims_with("scope", json!(["account:write"])),
                "scope \"account:write\" is not allowed for this client",
            ),
        ];
        for (claims, reason) in cases {
            let err = check_claims(&claims, "client-1", ENDPOINT, &allowed(), now()).unwrap_err();
            assert_eq!(err.description(), format!("The 'assertion' is invalid: {reason}"), "{claims}");
        }
    }

    #[test]
    fn exp_at_the_ends_of_time_is_refused_not_a_panic() {
        let max = DateTime::<Utc>::MAX_UTC.timestamp();
        let min = DateTime::<Utc>::MIN_UTC.timestamp();
        for (exp, want) in [
            (max, AssertionError::TooFar),
            (max - 29, AssertionError::TooFar),
            (min, AssertionError::Expired),
            (max + 1, AssertionError::ExpNotNumber),
        ] {
            let got = check_claims(&claims_with("exp", json!(exp)), "client-1", ENDPOINT, &allowed(), now());
            assert_eq!(got, Err(want), "exp {exp}");
        }
    }

    #[test]
    fn exp_must_be_strictly_within_0_to_5_minutes_ahead() {
        let t = now().timestamp();
        let check =
            |exp: i64| check_claims(&claims_with("exp", json!(exp)), "client-1", ENDPOINT, &allowed(), now());
        for ok in [t + 1, t + 60, t + 5 * 60 - 1, t + 5 * 60] {
            assert!(check(ok).is_ok(), "exp now + {} s is accepted", ok - t);
        }
        // What the old 30-second skew let through is refused now, and `exp == now` is expired.
        for (exp, want) in [
            (t - 30, AssertionError::Expired),
            (t - 1, AssertionError::Expired),
            (t, AssertionError::Expired),
            (t + 5 * 60 + 1, AssertionError::TooFar),
            (t + 5 * 60 + 30, AssertionError::TooFar),
        ] {
            assert_eq!(check(exp), Err(want), "exp now {:+} s", exp - t);
        }
        // Sub-second: at 12:00:00.5 an exp of 12:00:00 has passed, 12:05:00 is within 5 min.
        let half = now() + Duration::milliseconds(500);
        let at =
            |exp: i64| check_claims(&claims_with("exp", json!(exp)), "client-1", ENDPOINT, &allowed(), half);
        assert_eq!(at(t), Err(AssertionError::Expired));
        assert!(at(t + 5 * 60).is_ok());
        assert_eq!(at(t + 5 * 60 + 1), Err(AssertionError::TooFar));
    }

    #[test]
    fn a_missing_assertion_has_the_seed_wording() {
        assert_eq!(
            AssertionError::NotGiven.description(),
            "The 'assertion' is invalid: no assertion was sent (the form parameter 'assertion' is missing or empty)"
        );
    }

    #[test]
    fn other_claim_forms_pass() {
        assert!(check_claims(
            &claims_with("aud", json!(["x", ENDPOINT])),
            "client-1",
            ENDPOINT,
            &allowed(),
            now()
        )
        .is_ok());
        assert!(
            check_claims(&claims_with("scope", json!([])), "client-1", ENDPOINT, &allowed(), now()).is_ok()
        );
    }
}
