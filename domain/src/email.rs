use serde::{Deserialize, Serialize};
use std::fmt;

/// An email address, trimmed and lower-cased, that passed the checks a person would expect
/// from a sign-up form. Deliberately stricter than RFC 5322 (no quoted local parts,
/// no IP-literal domains): these addresses receive invitations, so they must be deliverable.
///
/// Every address accepted here is also accepted by the mailer's parser (lettre's `Address`,
/// which applies the `email_address` crate's rules): a dot-atom before the @ of at most 64
/// bytes, a domain of at most 254 bytes in labels of at most 63. An address the mailer
/// refuses could never be delivered, and the outbox would try it for ever. The rules are
/// restated by hand because this module also compiles to wasm for the browser, where the
/// mailer is not available; `tests/api/mail_outbox.rs` cross-checks them against lettre.
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
    #[error("email address \"{0}\" is too long before the @ (64 characters at most)")]
    LocalTooLong(String),
    #[error("email address \"{0}\" starts or ends with a dot before the @, or has two dots in a row")]
    BadDots(String),
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
    // RFC 5321 4.5.3.1.1 and lettre: at most 64 octets before the @ (UTF-8 bytes, so a
    // name in another script gets fewer characters).
    if local.len() > 64 {
        return Err(EmailError::LocalTooLong(s.to_string()));
    }
    if let Some(ch) = local.chars().find(|c| *c != '.' && !is_atext(*c)) {
        return Err(EmailError::BadChar { addr: s.to_string(), ch });
    }
    // A dot-atom (RFC 5322 3.2.3): dots only between non-empty runs; `ada.@`, `.ada@` and
    // `a..b@` are what mail servers and lettre refuse.
    if local.split('.').any(str::is_empty) {
        return Err(EmailError::BadDots(s.to_string()));
    }
    if domain.len() > 254 {
        return Err(EmailError::BadDomain(domain.to_string()));
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

/// RFC 5322 `atext`, plus any non-ASCII character that is neither a space nor a control
/// character (RFC 6531 allows UTF-8; lettre accepts every non-ASCII character, we refuse
/// the invisible ones).
fn is_atext(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
    } else {
        !c.is_whitespace() && !c.is_control()
    }
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
    fn dots_before_the_at_only_between_characters() {
        for bad in ["a..b@x.com", "ada.@x.com", ".ada@x.com", ".@x.com", "a...b@x.com"] {
            assert_eq!(Email::parse(bad), Err(EmailError::BadDots(bad.into())), "{bad}");
        }
        assert_eq!(
            Email::parse("ada.@x.com").unwrap_err().to_string(),
            "email address \"ada.@x.com\" starts or ends with a dot before the @, or has two dots in a row"
        );
        for ok in ["a.b@x.com", "a.b.c@x.com", "ada.lovelace+tag@x.com", "o'brien@x.ie", "x_y-z@x.com"] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn only_atext_before_the_at() {
        for (bad, ch) in [
            ("a<b@example.com", '<'),
            ("a\"b@example.com", '"'),
            ("a\\b@example.com", '\\'),
            ("a(b)@example.com", '('),
            ("a,b@example.com", ','),
            ("a;b@example.com", ';'),
            ("a:b@example.com", ':'),
            ("a[b@example.com", '['),
            ("a\u{7f}b@example.com", '\u{7f}'),
            ("a\u{9f}b@example.com", '\u{9f}'),
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::BadChar { addr: bad.into(), ch }), "{bad:?}");
        }
        for ok in ["!#$%&'*+-/=?^_`{|}~@example.com", "josé@example.com", "用户@example.com"] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn at_most_64_bytes_before_the_at() {
        let ok = format!("{}@example.com", "a".repeat(64));
        assert!(Email::parse(&ok).is_ok());
        let long = format!("{}@example.com", "a".repeat(65));
        assert_eq!(Email::parse(&long), Err(EmailError::LocalTooLong(long.clone())));
        // 33 × 'é' is 33 characters but 66 bytes: too long for the mailer.
        let wide = format!("{}@example.com", "é".repeat(33));
        assert_eq!(Email::parse(&wide), Err(EmailError::LocalTooLong(wide.clone())));
    }

    #[test]
    fn the_domain_fits_in_254_bytes() {
        // Labels of 31 × 'ä' (62 bytes each, within 63): 163 characters but 318 bytes.
        let domain = format!("{}.com", vec!["ä".repeat(31); 5].join("."));
        let addr = format!("a@{domain}");
        assert!(addr.chars().count() <= 254);
        assert_eq!(Email::parse(&addr), Err(EmailError::BadDomain(domain)));
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
        // 32 × 'İ' is 64 bytes before the @ as typed, 96 once lower-cased ('i' + U+0307).
        let grows = format!("{}@example.com", "İ".repeat(32));
        let kept = format!("{}@example.com", "i\u{307}".repeat(32));
        assert_eq!(Email::parse(&grows), Err(EmailError::LocalTooLong(kept)));
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
