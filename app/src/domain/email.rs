use serde::{Deserialize, Serialize};
use std::fmt;

/// An email address, trimmed and lower-cased, that passed the checks a person would expect
/// from a sign-up form. Deliberately stricter than RFC 5322 (no quoted local parts,
/// no IP-literal domains): these addresses receive invitations, so they must be deliverable.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("email address is empty")]
    Empty,
    #[error("email address is longer than 254 characters")]
    TooLong,
    #[error("email address \"{0}\" has no @")]
    MissingAt(String),
    #[error("email address \"{0}\" has more than one @")]
    SeveralAt(String),
    #[error("email address \"{0}\" has nothing before the @")]
    EmptyLocal(String),
    #[error("email address \"{0}\" has no domain after the @")]
    EmptyDomain(String),
    #[error("email address \"{0}\" contains a space")]
    Whitespace(String),
    #[error("email domain \"{0}\" needs a dot, like example.com")]
    DomainWithoutDot(String),
    #[error("email address \"{addr}\" contains the character '{ch}', which is not allowed")]
    BadChar { addr: String, ch: char },
    #[error("email domain \"{0}\" is not a valid host name")]
    BadDomain(String),
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let s = raw.trim();
        check(s)?;
        // Lower-casing can change a character's length or class ('İ' becomes "i\u{307}", a
        // letter and a combining mark), so the form we keep is checked too: a stored address
        // must parse again to itself, as serde does when reading one back.
        let lower = s.to_lowercase();
        check(&lower)?;
        Ok(Email(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every rule of [`Email::parse`] on an already trimmed address; errors quote it as given.
fn check(s: &str) -> Result<(), EmailError> {
    if s.is_empty() {
        return Err(EmailError::Empty);
    }
    if s.chars().count() > 254 {
        return Err(EmailError::TooLong);
    }
    if s.chars().any(char::is_whitespace) {
        return Err(EmailError::Whitespace(s.to_string()));
    }
    let mut parts = s.split('@');
    let local = parts.next().unwrap_or_default();
    let Some(domain) = parts.next() else {
        return Err(EmailError::MissingAt(s.to_string()));
    };
    if parts.next().is_some() {
        return Err(EmailError::SeveralAt(s.to_string()));
    }
    if local.is_empty() {
        return Err(EmailError::EmptyLocal(s.to_string()));
    }
    if domain.is_empty() {
        return Err(EmailError::EmptyDomain(s.to_string()));
    }
    if let Some(ch) = local.chars().find(|c| {
        c.is_control() || matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | ':' | '"' | '[' | ']' | '\\')
    }) {
        return Err(EmailError::BadChar { addr: s.to_string(), ch });
    }
    if !domain.contains('.') {
        return Err(EmailError::DomainWithoutDot(domain.to_string()));
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if !domain.split('.').all(label_ok) {
        return Err(EmailError::BadDomain(domain.to_string()));
    }
    Ok(())
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises() {
        let e = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ada.lovelace@example.com");
        assert!(Email::parse("first+tag@sub.example.co.uk").is_ok());
    }

    #[test]
    fn names_each_problem() {
        let cases = [
            ("", EmailError::Empty),
            ("ada.example.com", EmailError::MissingAt("ada.example.com".into())),
            ("a@b@c.com", EmailError::SeveralAt("a@b@c.com".into())),
            ("@example.com", EmailError::EmptyLocal("@example.com".into())),
            ("ada@", EmailError::EmptyDomain("ada@".into())),
            ("ada love@example.com", EmailError::Whitespace("ada love@example.com".into())),
            ("ada@localhost", EmailError::DomainWithoutDot("localhost".into())),
            ("ada@exa_mple.com", EmailError::BadDomain("exa_mple.com".into())),
            ("ada@example..com", EmailError::BadDomain("example..com".into())),
            ("a<b@example.com", EmailError::BadChar { addr: "a<b@example.com".into(), ch: '<' }),
        ];
        for (input, want) in cases {
            assert_eq!(Email::parse(input), Err(want), "input {input:?}");
        }
    }

    #[test]
    fn message_is_readable() {
        let err = Email::parse("ada@localhost").unwrap_err();
        assert_eq!(err.to_string(), "email domain \"localhost\" needs a dot, like example.com");
    }

    #[test]
    fn too_long_is_refused() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn the_kept_lower_case_form_parses_again_to_itself() {
        // 'İ' lower-cases to 'i' + U+0307 (a combining mark, not allowed in a host name):
        // once accepted and stored as "ada@i\u{307}.com", it could no longer be read back.
        assert_eq!(Email::parse("ada@İ.com"), Err(EmailError::BadDomain("i\u{307}.com".into())));
        // 242 × 'İ' + 12 = 254 characters as typed, 496 once lower-cased.
        let grows = format!("{}@example.com", "İ".repeat(242));
        assert_eq!(Email::parse(&grows), Err(EmailError::TooLong));
        for raw in ["Ada.Lovelace@Example.COM", "ÅSA@EXÄMPLE.SE", "İ@example.com", "ΟΔΥΣΣΕΥΣ@example.gr"]
        {
            let e = Email::parse(raw).unwrap();
            assert_eq!(Email::parse(e.as_str()), Ok(e.clone()), "{raw}");
            assert_eq!(serde_json::from_str::<Email>(&serde_json::to_string(&e).unwrap()).unwrap(), e);
        }
    }

    #[test]
    fn serde_parses_on_the_way_in() {
        let ok: Email = serde_json::from_str("\"Bob@Example.com\"").unwrap();
        assert_eq!(ok.as_str(), "bob@example.com");
        assert!(serde_json::from_str::<Email>("\"bob\"").is_err());
    }
}
