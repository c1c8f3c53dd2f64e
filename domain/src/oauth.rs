//! OAuth 2.0 rules without I/O: scopes, PKCE (RFC 7636, S256 only), redirect URIs
//! (RFC 8252 loopback), and the id formats of clients and Secure Service Accounts.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::BTreeSet;
use std::fmt;

/// The scopes an app may hold (docs/CONTRACT.md, `app create`: the default is all of them).
pub const API_SCOPES: [&str; 7] = [
    "user-profile:read",
    "user:read",
    "user:write",
    "data:read",
    "data:write",
    "account:read",
    "account:write",
];
/// OpenID Connect scopes: any client may ask for them in the three-legged flow.
pub const OIDC_SCOPES: [&str; 3] = ["openid", "profile", "email"];

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OAuthRuleError {
    #[error("unknown scope \"{0}\"")]
    UnknownScope(String),
    #[error("scope \"{0}\" is not allowed for this client")]
    ScopeNotAllowed(String),
    #[error("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")]
    BadVerifier,
    #[error("code_challenge must be a base64url SHA-256 (43 characters)")]
    BadChallenge,
    #[error("code_verifier does not match the code_challenge")]
    VerifierMismatch,
    #[error("redirect URI \"{0}\" must be an absolute https URL, or http on a loopback address")]
    BadRedirectUri(String),
}

/// A set of scopes, written space-separated on the wire (RFC 6749 3.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses a space-separated list; every item must be a scope Tessera knows.
    pub fn parse(raw: &str) -> Result<Scopes, OAuthRuleError> {
        let mut set = BTreeSet::new();
        for s in raw.split_whitespace() {
            if !API_SCOPES.contains(&s) && !OIDC_SCOPES.contains(&s) {
                return Err(OAuthRuleError::UnknownScope(s.to_string()));
            }
            set.insert(s.to_string());
        }
        Ok(Scopes(set))
    }
    pub fn all_api() -> Scopes {
        Scopes(API_SCOPES.iter().map(|s| s.to_string()).collect())
    }
    pub fn from_set(set: BTreeSet<String>) -> Scopes {
        Scopes(set)
    }
    pub fn contains(&self, s: &str) -> bool {
        self.0.contains(s)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
    pub fn as_set(&self) -> &BTreeSet<String> {
        &self.0
    }
    /// Checks a request against what the client holds; OIDC scopes are always allowed.
    pub fn granted_by(&self, client: &Scopes) -> Result<(), OAuthRuleError> {
        for s in &self.0 {
            if !client.contains(s) && !OIDC_SCOPES.contains(&s.as_str()) {
                return Err(OAuthRuleError::ScopeNotAllowed(s.clone()));
            }
        }
        Ok(())
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v: Vec<&str> = self.iter().collect();
        f.write_str(&v.join(" "))
    }
}

/// What a person reads on the consent page for each scope.
pub fn scope_label(scope: &str) -> &'static str {
    match scope {
        "openid" => "Confirm who you are",
        "profile" => "See your name, company and profile details",
        "email" => "See your email address",
        "user-profile:read" => "See your profile",
        "user:read" => "See your account",
        "user:write" => "Change your account",
        "data:read" => "Read your data",
        "data:write" => "Change your data",
        "account:read" => "See your team's products and settings",
        "account:write" => "Change your team's products and settings",
        _ => "Unknown permission",
    }
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// RFC 7636 4.2: challenge = BASE64URL(SHA256(ASCII(verifier))). `sha256` is passed in so
/// this module stays free of a hashing dependency in the browser build.
pub fn check_pkce(
    verifier: &str,
    challenge: &str,
    sha256: impl Fn(&[u8]) -> [u8; 32],
) -> Result<(), OAuthRuleError> {
    if !(43..=128).contains(&verifier.len()) || !verifier.chars().all(is_unreserved) {
        return Err(OAuthRuleError::BadVerifier);
    }
    let computed = URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()));
    // Both values are public-ish (the challenge travelled through the browser); a plain
    // comparison leaks nothing an attacker does not already hold.
    if computed == challenge {
        Ok(())
    } else {
        Err(OAuthRuleError::VerifierMismatch)
    }
}

/// The shape of an S256 challenge: 43 base64url characters (a 32-byte digest).
pub fn check_challenge(challenge: &str) -> Result<(), OAuthRuleError> {
    if challenge.len() == 43 && challenge.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(())
    } else {
        Err(OAuthRuleError::BadChallenge)
    }
}

/// A registered redirect URI, parsed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectUri {
    raw: String,
    scheme: String,
    host: String,
    port: Option<u16>,
    /// Path, query and everything after the authority.
    rest: String,
}

fn is_loopback(host: &str) -> bool {
    host == "127.0.0.1" || host == "[::1]" || host == "localhost"
}

impl RedirectUri {
    pub fn parse(raw: &str) -> Result<RedirectUri, OAuthRuleError> {
        let bad = || OAuthRuleError::BadRedirectUri(raw.to_string());
        let (scheme, after) = raw.split_once("://").ok_or_else(bad)?;
        if raw.contains('#') || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (authority, rest) = match after.find(['/', '?']) {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(bad());
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                if p.is_empty() {
                    (h, None)
                } else {
                    (h, Some(p.parse::<u16>().map_err(|_| bad())?))
                }
            }
            _ => (authority, None),
        };
        let scheme = scheme.to_ascii_lowercase();
        let host = host.to_ascii_lowercase();
        match scheme.as_str() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            _ => return Err(bad()),
        }
        Ok(RedirectUri { raw: raw.to_string(), scheme, host, port, rest: rest.to_string() })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Exact match, except that a loopback URI matches on any port (RFC 8252 7.3: native
    /// apps open an ephemeral port at sign-in time).
    pub fn accepts(&self, requested: &str) -> bool {
        if self.raw == requested {
            return true;
        }
        let Ok(req) = RedirectUri::parse(requested) else { return false };
        self.scheme == "http"
            && is_loopback(&self.host)
            && req.scheme == self.scheme
            && req.host == self.host
            && req.rest == self.rest
    }
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const CLIENT_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Turns random bytes into an id over an alphabet (the seed's formats: client ids are 32
/// letters and digits, SSA ids 16 upper-case letters and digits). Rejection sampling keeps
/// every character equally likely.
pub fn id_from_random(bytes: &[u8], len: usize, upper_only: bool) -> Option<String> {
    let alphabet = if upper_only { ID_ALPHABET } else { CLIENT_ALPHABET };
    let limit = 256 - (256 % alphabet.len());
    let out: String = bytes
        .iter()
        .filter(|&&b| (b as usize) < limit)
        .take(len)
        .map(|&b| alphabet[b as usize % alphabet.len()] as char)
        .collect();
    (out.len() == len).then_some(out)
}

/// Access tokens live one hour (R-LIC4 relies on it).
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;

/// How an access token was obtained. Users' and SSAs' tokens are three-legged (they act
/// for a person or a service account); a client's own token is two-legged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    User,
    ServiceAccount,
    Client,
}

/// The claims of our access tokens (a JWT signed with the published key set).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub client_id: String,
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub grant: GrantKind,
}

impl AccessClaims {
    pub fn three_legged(&self) -> bool {
        matches!(self.grant, GrantKind::User | GrantKind::ServiceAccount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_sha(_: &[u8]) -> [u8; 32] {
        [7u8; 32]
    }

    #[test]
    fn scopes_parse_and_check_against_the_client() {
        let client = Scopes::parse("data:read user:read").unwrap();
        assert!(Scopes::parse("data:read openid").unwrap().granted_by(&client).is_ok());
        assert_eq!(
            Scopes::parse("data:write").unwrap().granted_by(&client),
            Err(OAuthRuleError::ScopeNotAllowed("data:write".into()))
        );
        assert_eq!(Scopes::parse("data:read bogus"), Err(OAuthRuleError::UnknownScope("bogus".into())));
        assert_eq!(Scopes::parse("  user:read   data:read ").unwrap().to_string(), "data:read user:read");
        assert_eq!(Scopes::all_api().iter().count(), 7);
    }

    #[test]
    fn pkce_checks_shape_and_match() {
        let verifier = "a".repeat(43);
        let challenge = URL_SAFE_NO_PAD.encode([7u8; 32]);
        assert_eq!(check_pkce(&verifier, &challenge, fake_sha), Ok(()));
        assert_eq!(check_pkce(&"a".repeat(42), &challenge, fake_sha), Err(OAuthRuleError::BadVerifier));
        assert_eq!(check_pkce(&"a".repeat(129), &challenge, fake_sha), Err(OAuthRuleError::BadVerifier));
        assert_eq!(
            check_pkce(&format!("{}!", "a".repeat(43)), &challenge, fake_sha),
            Err(OAuthRuleError::BadVerifier)
        );
        let other = URL_SAFE_NO_PAD.encode([8u8; 32]);
        assert_eq!(check_pkce(&verifier, &other, fake_sha), Err(OAuthRuleError::VerifierMismatch));
        assert_eq!(check_challenge(&challenge), Ok(()));
        assert_eq!(check_challenge("plain-value"), Err(OAuthRuleError::BadChallenge));
    }

    #[test]
    fn pkce_matches_the_rfc_7636_example() {
        // Appendix B: verifier and challenge of the RFC; the digest is given in the RFC too.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let digest: [u8; 32] = [
            19, 211, 30, 150, 26, 26, 216, 236, 47, 22, 177, 12, 76, 152, 46, 8, 118, 168, 120, 173, 109,
            241, 68, 86, 110, 225, 137, 74, 203, 112, 249, 195,
        ];
        assert_eq!(check_pkce(verifier, challenge, |_| digest), Ok(()));
    }

    #[test]
    fn redirect_uris_https_or_loopback_with_any_port() {
        let loopback = RedirectUri::parse("http://127.0.0.1/callback").unwrap();
        assert!(loopback.accepts("http://127.0.0.1/callback"));
        assert!(loopback.accepts("http://127.0.0.1:51234/callback"));
        assert!(!loopback.accepts("http://127.0.0.1:51234/other"));
        assert!(!loopback.accepts("http://evil.example/callback"));
        let web = RedirectUri::parse("https://app.example/cb").unwrap();
        assert!(web.accepts("https://app.example/cb"));
        assert!(!web.accepts("https://app.example:444/cb"));
        assert!(!web.accepts("https://app.example/cb?x=1"));
        for bad in [
            "http://app.example/cb",
            "app.example/cb",
            "https://u@app.example/",
            "https://a.example/#f",
            "https://",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(RedirectUri::parse("http://[::1]:8080/cb").unwrap().accepts("http://[::1]:9/cb"));
        assert!(RedirectUri::parse("http://localhost/cb").is_ok());
    }

    #[test]
    fn ids_use_the_seed_formats() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        let ssa = id_from_random(&bytes, 16, true).unwrap();
        assert_eq!(ssa.len(), 16);
        assert!(ssa.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        let client = id_from_random(&bytes, 32, false).unwrap();
        assert_eq!(client.len(), 32);
        // Bytes above the rejection limit are skipped rather than biasing the alphabet.
        assert_eq!(id_from_random(&[255u8; 40], 16, true), None);
    }
}
