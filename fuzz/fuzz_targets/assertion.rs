//! R-SSA2 JWT-bearer assertion checks, run the way `identity::check_assertion` runs them:
//! `assertion::parse`, then the RS256 signature against the key named by `kid`, then
//! `assertion::check_claims`. The key set is one fixed test key (`keys/test_rsa.pem`).
//!
//! The first input byte picks the mode:
//! - even: the rest is the token string as a client would send it. Whatever is accepted must
//!   carry a signature our private key makes for exactly the bytes the claims came from.
//! - odd: the rest drives a structured assertion (header fields, claims of every JSON type,
//!   an optional tampering step) that is signed with the test key, so the claim rules are
//!   reached; the outcome is compared with a plain restatement of the rules.
#![no_main]

use app::domain::assertion::{self, AssertionError, Grant, Unverified};
use arbitrary::{Arbitrary, Unstructured};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::OnceLock;

const CLIENT: &str = "client-1";
const ENDPOINT: &str = "https://tessera.example/authentication/v2/token";
const KID: &str = "k1";
const ALLOWED: [&str; 2] = ["data:read", "user-profile:read"];

struct Fixed {
    signing: EncodingKey,
    n: String,
    e: String,
    allowed: BTreeSet<String>,
    now: DateTime<Utc>,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| Fixed {
        signing: EncodingKey::from_rsa_pem(include_bytes!("../keys/test_rsa.pem")).expect("test key"),
        n: include_str!("../keys/n.txt").trim().to_string(),
        e: "AQAB".to_string(),
        allowed: ALLOWED.iter().map(|s| s.to_string()).collect(),
        // 2026-11-25T12:00:00Z, the time the seed assertions were made for.
        now: Utc.timestamp_opt(1_795_608_000, 0).unwrap(),
    })
}

/// As `app::service::keys::verify_rs256` (behind `ssr`, so not linked here).
fn verify_rs256(signing_input: &str, signature: &[u8], n: &str, e: &str) -> bool {
    let Ok(key) = DecodingKey::from_rsa_components(n, e) else { return false };
    let sig = URL_SAFE_NO_PAD.encode(signature);
    jsonwebtoken::crypto::verify(&sig, signing_input.as_bytes(), &key, Algorithm::RS256).unwrap_or(false)
}

fn sign(signing_input: &str) -> String {
    jsonwebtoken::crypto::sign(signing_input.as_bytes(), &fixed().signing, Algorithm::RS256).unwrap()
}

/// The pure part of `identity::check_assertion`, with the key set `{k1: test key}`.
fn validate(jwt: &str) -> Result<(Unverified, Grant), AssertionError> {
    let f = fixed();
    let u = assertion::parse(jwt)?;
    if u.kid != KID {
        return Err(AssertionError::UnknownKid);
    }
    if !verify_rs256(&u.signing_input, &u.signature, &f.n, &f.e) {
        return Err(AssertionError::BadSignature(u.kid));
    }
    let g = assertion::check_claims(&u.claims, CLIENT, ENDPOINT, &f.allowed, f.now)?;
    Ok((u, g))
}

/// What holds for anything accepted, however it was made.
fn check_accepted(jwt: &str, u: &Unverified, g: &Grant) {
    assert!(jwt.len() <= assertion::MAX_BYTES);
    let (input, sig) = jwt.trim().rsplit_once('.').expect("three parts");
    assert_eq!(u.signing_input, input, "the signature was checked over other bytes");
    assert_eq!(URL_SAFE_NO_PAD.encode(&u.signature), sig, "the signature part decodes ambiguously");
    assert_eq!(sign(input), sig, "accepted a signature the test key did not make");
    let payload = input.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims, u.claims, "claims are not the signed payload");
    assert_eq!(claims["sub"].as_str(), Some(g.sub.as_str()));
}

fn raw(data: &[u8]) {
    let Ok(jwt) = std::str::from_utf8(data) else { return };
    match validate(jwt) {
        Ok((u, g)) => check_accepted(jwt, &u, &g),
        Err(_) => {
            // check_claims runs only after the signature in production; running it on any
            // claims that parse lets the fuzzer explore the rules without forging signatures.
            if let Ok(u) = assertion::parse(jwt) {
                let f = fixed();
                let _ = assertion::check_claims(&u.claims, CLIENT, ENDPOINT, &f.allowed, f.now);
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Text {
    Expected,
    Other(String),
    Missing,
    Null,
    Number(i64),
}

impl Text {
    fn value(&self, expected: &str) -> Option<Value> {
        match self {
            Text::Expected => Some(json!(expected)),
            Text::Other(s) => Some(json!(s)),
            Text::Missing => None,
            Text::Null => Some(Value::Null),
            Text::Number(n) => Some(json!(n)),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Aud {
    Text(Text),
    /// `true` is our endpoint, `false` another URL.
    Array(Vec<bool>),
    Object,
}

#[derive(Arbitrary, Debug)]
enum Exp {
    /// Seconds from now: the window edges are a few hundred seconds away.
    FromNow(i16),
    Raw(i64),
    /// Boundary values of the timestamp range chrono represents.
    BelowMax(u16),
    AboveMin(u16),
    Float(f64),
    Text(String),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum ScopeItem {
    Allowed(bool),
    Other(String),
    Number(i32),
}

#[derive(Arbitrary, Debug)]
enum Scope {
    Array(Vec<ScopeItem>),
    Text(String),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Tamper {
    None,
    /// Replace one character of the token (index modulo its length).
    Replace(u16, char),
    /// Drop one character.
    Remove(u16),
    /// Insert whitespace around the token, which parse trims.
    Pad,
    /// Re-encode the payload with padding, same claims.
    PaddedPayload,
}

#[derive(Arbitrary, Debug)]
struct Structured {
    alg: Text,
    kid: Text,
    typ: Option<String>,
    iss: Text,
    sub: Text,
    aud: Aud,
    exp: Exp,
    scope: Scope,
    extra: Vec<(String, String)>,
    tamper: Tamper,
}

fn set(map: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    match v {
        Some(v) => {
            map.insert(key.to_string(), v);
        }
        None => {
            map.remove(key);
        }
    }
}

/// The claim rules of R-SSA2, restated: the grant a correct checker gives, or `None`.
fn expected_grant(claims: &Map<String, Value>, now: i64) -> Option<Grant> {
    if claims.get("iss")?.as_str()? != CLIENT {
        return None;
    }
    let sub = claims.get("sub")?.as_str()?.to_string();
    let aud_ok = match claims.get("aud")? {
        Value::String(a) => a == ENDPOINT,
        Value::Array(a) => a.contains(&json!(ENDPOINT)),
        _ => false,
    };
    let exp = claims.get("exp")?.as_i64()?;
    // No clock skew: exp after now and at most 5 minutes ahead.
    if !aud_ok || exp <= now || exp > now + 5 * 60 {
        return None;
    }
    let mut scopes = Vec::new();
    for s in claims.get("scope")?.as_array()? {
        let s = s.as_str()?;
        if !ALLOWED.contains(&s) {
            return None;
        }
        scopes.push(s.to_string());
    }
    Some(Grant { sub, scopes })
}

fn structured(s: Structured) {
    let f = fixed();
    let now = f.now.timestamp();

    let mut header = Map::new();
    set(&mut header, "alg", s.alg.value("RS256"));
    set(&mut header, "kid", s.kid.value(KID));
    if let Some(typ) = &s.typ {
        header.insert("typ".into(), json!(typ));
    }

    let mut claims = Map::new();
    for (k, v) in &s.extra {
        claims.insert(k.clone(), json!(v));
    }
    set(&mut claims, "iss", s.iss.value(CLIENT));
    set(&mut claims, "sub", s.sub.value("ssa-1"));
    let aud = match &s.aud {
        Aud::Text(t) => t.value(ENDPOINT),
        Aud::Array(a) => {
            Some(a.iter().map(|&ours| if ours { ENDPOINT } else { "https://other.example/token" }).collect())
        }
        Aud::Object => Some(json!({"url": ENDPOINT})),
    };
    set(&mut claims, "aud", aud);
    let exp = match &s.exp {
        Exp::FromNow(d) => Some(json!(now + i64::from(*d))),
        Exp::Raw(t) => Some(json!(t)),
        Exp::BelowMax(d) => Some(json!(DateTime::<Utc>::MAX_UTC.timestamp() - i64::from(*d))),
        Exp::AboveMin(d) => Some(json!(DateTime::<Utc>::MIN_UTC.timestamp() + i64::from(*d))),
        Exp::Float(x) => serde_json::Number::from_f64(*x).map(Value::Number),
        Exp::Text(t) => Some(json!(t)),
        Exp::Missing => None,
    };
    set(&mut claims, "exp", exp);
    let scope = match &s.scope {
        Scope::Array(items) => Some(Value::Array(
            items
                .iter()
                .map(|i| match i {
                    ScopeItem::Allowed(first) => json!(ALLOWED[usize::from(!*first)]),
                    ScopeItem::Other(o) => json!(o),
                    ScopeItem::Number(n) => json!(n),
                })
                .collect(),
        )),
        Scope::Text(t) => Some(json!(t)),
        Scope::Missing => None,
    };
    set(&mut claims, "scope", scope);

    let h = URL_SAFE_NO_PAD.encode(Value::Object(header.clone()).to_string());
    let p = URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string());
    let signing_input = format!("{h}.{p}");
    let signed = format!("{signing_input}.{}", sign(&signing_input));

    let token = match s.tamper {
        Tamper::None => signed.clone(),
        Tamper::Replace(i, c) => {
            let mut chars: Vec<char> = signed.chars().collect();
            let i = usize::from(i) % chars.len();
            chars[i] = c;
            chars.into_iter().collect()
        }
        Tamper::Remove(i) => {
            let mut chars: Vec<char> = signed.chars().collect();
            chars.remove(usize::from(i) % chars.len());
            chars.into_iter().collect()
        }
        Tamper::Pad => format!(" \n{signed}\t "),
        Tamper::PaddedPayload => {
            let padded =
                base64::engine::general_purpose::URL_SAFE.encode(Value::Object(claims.clone()).to_string());
            let input = format!("{h}.{padded}");
            format!("{input}.{}", sign(&input))
        }
    };

    let outcome = validate(&token);
    if let Ok((u, g)) = &outcome {
        check_accepted(&token, u, g);
    }
    let intact = token.trim() == signed;
    if !intact && !matches!(s.tamper, Tamper::PaddedPayload) {
        assert!(outcome.is_err(), "a changed token was accepted: {token}");
        return;
    }

    // What a correct validator does with this token, rule by rule.
    let want: Result<Grant, &str> = if token.len() > assertion::MAX_BYTES {
        Err("too large")
    } else if matches!(s.tamper, Tamper::PaddedPayload) && p.len() % 4 != 0 {
        Err("padded base64 is not base64url without padding")
    } else if header.get("alg") != Some(&json!("RS256")) {
        Err("alg")
    } else if header.get("kid") != Some(&json!(KID)) {
        Err("kid")
    } else {
        expected_grant(&claims, now).ok_or("claims")
    };
    match (&outcome, &want) {
        (Ok((_, got)), Ok(want)) => assert_eq!(got, want),
        (Err(_), Err(_)) => {}
        _ => {
            panic!("validator says {outcome:?}, the rules say {want:?}\nheader {header:?}\nclaims {claims:?}")
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        raw(rest);
    } else if let Ok(s) = Structured::arbitrary_take_rest(Unstructured::new(rest)) {
        structured(s);
    }
});
