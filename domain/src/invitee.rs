//! R-UM3: the Assign dialog's free-text box for new people.
//!
//! Each person is written as `Full Name <email@example.com>`. People are separated by commas
//! or new lines; blank entries are skipped and whitespace around each entry is ignored.
//!
//! Because a comma always separates people, a name cannot contain one: the text
//! `Lovelace, Ada <ada@example.com>` is read as two entries, `Lovelace` (which has no email,
//! and says so, mentioning commas) and `Ada <ada@example.com>`. Names are not quoted.
use super::email::{Email, EmailError};
use super::names::{NameError, PersonName};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A new person to invite, as typed into the Assign dialog.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Invitee {
    pub name: PersonName,
    pub email: Email,
}

/// What is wrong with one entry. Every message quotes the entry (trimmed) as typed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InviteeError {
    /// Neither brackets nor an `@`: usually a piece of a name that held a comma.
    #[error(
        "“{entry}” has no email address; write each person as Full Name <email@example.com> \
         (a comma starts a new person, so names cannot contain commas)"
    )]
    NoEmail { entry: String },
    /// An address was typed without the angle brackets around it.
    #[error("“{entry}” needs the email in angle brackets, like {suggestion}")]
    MissingBrackets { entry: String, suggestion: String },
    #[error("“{entry}” is missing the < before the email address")]
    MissingOpenBracket { entry: String },
    #[error("“{entry}” is missing the > after the email address")]
    MissingCloseBracket { entry: String },
    #[error("“{entry}” has no name before <{email}>; write it as Full Name <{email}>")]
    NoName { entry: String, email: String },
    #[error("“{entry}” has “{trailing}” after the >; put a comma or a new line between people")]
    TextAfterEmail { entry: String, trailing: String },
    #[error("“{entry}”: {source}")]
    BadEmail { entry: String, source: EmailError },
    #[error("“{entry}”: {source}")]
    BadName { entry: String, source: NameError },
    /// The second (and any later) entry with an address already listed in the same input.
    #[error("{email} is listed twice")]
    Duplicate { entry: String, email: Email },
}

impl InviteeError {
    /// The trimmed entry the error is about.
    pub fn entry(&self) -> &str {
        match self {
            InviteeError::NoEmail { entry }
            | InviteeError::MissingBrackets { entry, .. }
            | InviteeError::MissingOpenBracket { entry }
            | InviteeError::MissingCloseBracket { entry }
            | InviteeError::NoName { entry, .. }
            | InviteeError::TextAfterEmail { entry, .. }
            | InviteeError::BadEmail { entry, .. }
            | InviteeError::BadName { entry, .. }
            | InviteeError::Duplicate { entry, .. } => entry,
        }
    }
}

/// One non-blank entry of the input with its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedEntry {
    /// The entry as typed, trimmed.
    pub raw: String,
    pub result: Result<Invitee, InviteeError>,
}

/// Parses one entry (already split off, any surrounding whitespace allowed).
/// Duplicates cannot be detected here; see [`parse_entries`].
pub fn parse_invitee(entry: &str) -> Result<Invitee, InviteeError> {
    let entry = entry.trim();
    let owned = || entry.to_string();
    let Some(open) = entry.find('<') else {
        return Err(if entry.contains('>') {
            InviteeError::MissingOpenBracket { entry: owned() }
        } else if entry.contains('@') {
            InviteeError::MissingBrackets { entry: owned(), suggestion: suggest(entry) }
        } else {
            InviteeError::NoEmail { entry: owned() }
        });
    };
    let Some(close) = entry[open..].find('>').map(|i| open + i) else {
        return Err(InviteeError::MissingCloseBracket { entry: owned() });
    };
    let name = entry[..open].trim();
    let address = entry[open + 1..close].trim();
    let trailing = entry[close + 1..].trim();
    if name.is_empty() {
        return Err(InviteeError::NoName { entry: owned(), email: address.to_string() });
    }
    if !trailing.is_empty() {
        return Err(InviteeError::TextAfterEmail { entry: owned(), trailing: trailing.to_string() });
    }
    let email = Email::parse(address).map_err(|source| InviteeError::BadEmail { entry: owned(), source })?;
    let name = PersonName::parse(name).map_err(|source| InviteeError::BadName { entry: owned(), source })?;
    Ok(Invitee { name, email })
}

/// "Ada Lovelace ada@example.com" → "Ada Lovelace <ada@example.com>": the last word holding
/// an `@` becomes the address; with no other words the name is a placeholder.
fn suggest(entry: &str) -> String {
    let words: Vec<&str> = entry.split_whitespace().collect();
    let at = words.iter().rposition(|w| w.contains('@')).unwrap_or(words.len().saturating_sub(1));
    let name: Vec<&str> = words.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, w)| *w).collect();
    let name = if name.is_empty() { "Full Name".to_string() } else { name.join(" ") };
    format!("{name} <{}>", words.get(at).copied().unwrap_or("email@example.com"))
}

/// Splits the text box into entries (commas and new lines separate; blank entries skipped)
/// and parses each. An address already given by an earlier valid entry makes the later
/// entry a [`InviteeError::Duplicate`] (addresses compare case-insensitively).
pub fn parse_entries(input: &str) -> Vec<ParsedEntry> {
    let mut seen: HashSet<Email> = HashSet::new();
    input
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|raw| {
            let result = parse_invitee(raw).and_then(|inv| {
                if seen.insert(inv.email.clone()) {
                    Ok(inv)
                } else {
                    Err(InviteeError::Duplicate { entry: raw.to_string(), email: inv.email })
                }
            });
            ParsedEntry { raw: raw.to_string(), result }
        })
        .collect()
}

/// Every invitee if all entries are valid; otherwise every error as
/// (1-based position among the non-blank entries, message).
pub fn all_valid(entries: &[ParsedEntry]) -> Result<Vec<Invitee>, Vec<(usize, String)>> {
    let errors: Vec<(usize, String)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.result.as_ref().err().map(|err| (i + 1, err.to_string())))
        .collect();
    if errors.is_empty() {
        Ok(entries.iter().filter_map(|e| e.result.clone().ok()).collect())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(entry: &str) -> Invitee {
        parse_invitee(entry).unwrap_or_else(|e| panic!("{entry:?}: {e}"))
    }

    fn msg(entry: &str) -> String {
        parse_invitee(entry).unwrap_err().to_string()
    }

    #[test]
    fn parses_name_and_email() {
        let inv = ok("  Ada   Lovelace  <Ada@Example.COM> ");
        assert_eq!(inv.name.as_str(), "Ada Lovelace");
        assert_eq!(inv.email.as_str(), "ada@example.com");
        let inv = ok("Zoë Ångström<zoe@example.se>");
        assert_eq!(inv.name.as_str(), "Zoë Ångström");
        assert_eq!(ok("Ada < ada@example.com >").email.as_str(), "ada@example.com");
    }

    #[test]
    fn missing_brackets_suggests_the_fix() {
        assert_eq!(
            msg("Ada Lovelace ada@example.com"),
            "“Ada Lovelace ada@example.com” needs the email in angle brackets, \
             like Ada Lovelace <ada@example.com>"
        );
        assert_eq!(
            msg("ada@example.com"),
            "“ada@example.com” needs the email in angle brackets, like Full Name <ada@example.com>"
        );
    }

    #[test]
    fn half_brackets_name_the_missing_one() {
        assert_eq!(
            parse_invitee("Ada <ada@example.com"),
            Err(InviteeError::MissingCloseBracket { entry: "Ada <ada@example.com".into() })
        );
        assert_eq!(
            msg("Ada <ada@example.com"),
            "“Ada <ada@example.com” is missing the > after the email address"
        );
        assert_eq!(
            msg("Ada ada@example.com>"),
            "“Ada ada@example.com>” is missing the < before the email address"
        );
    }

    #[test]
    fn no_name() {
        assert_eq!(
            msg("<ada@example.com>"),
            "“<ada@example.com>” has no name before <ada@example.com>; write it as Full Name <ada@example.com>"
        );
        assert!(matches!(parse_invitee("   <ada@example.com>"), Err(InviteeError::NoName { .. })));
    }

    #[test]
    fn text_after_the_email() {
        assert_eq!(
            msg("Ada <ada@example.com> (maths)"),
            "“Ada <ada@example.com> (maths)” has “(maths)” after the >; put a comma or a new line between people"
        );
        // Two people without a separator.
        assert!(matches!(
            parse_invitee("Ada <ada@example.com> Bob <bob@example.com>"),
            Err(InviteeError::TextAfterEmail { trailing, .. }) if trailing == "Bob <bob@example.com>"
        ));
    }

    #[test]
    fn bad_email_wraps_the_email_error() {
        assert_eq!(
            parse_invitee("Ada <ada@localhost>"),
            Err(InviteeError::BadEmail {
                entry: "Ada <ada@localhost>".into(),
                source: EmailError::DomainWithoutDot("localhost".into()),
            })
        );
        assert_eq!(
            msg("Ada <ada@localhost>"),
            "“Ada <ada@localhost>”: email domain \"localhost\" needs a dot, like example.com"
        );
        assert_eq!(msg("Ada <>"), "“Ada <>”: email address is empty");
        assert!(matches!(
            parse_invitee("Ada <a<b@example.com>"),
            Err(InviteeError::BadEmail { source: EmailError::BadChar { ch: '<', .. }, .. })
        ));
    }

    #[test]
    fn bad_name_wraps_the_name_error() {
        let long = format!("{} <ada@example.com>", "x".repeat(101));
        assert_eq!(
            parse_invitee(&long),
            Err(InviteeError::BadName {
                entry: long.clone(),
                source: NameError::TooLong { what: "name", max: 100 },
            })
        );
        assert_eq!(
            msg("Ada > B <ada@example.com>"),
            "“Ada > B <ada@example.com>”: name contains the character '>', which is not allowed"
        );
    }

    #[test]
    fn splits_on_commas_and_newlines_and_skips_blanks() {
        let input = "Ada Lovelace <ada@example.com>, Grace Hopper <grace@example.com>\r\n\n  ,\n\
                     Alan Turing <alan@example.com>,";
        let entries = parse_entries(input);
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].raw, "Grace Hopper <grace@example.com>");
        let all = all_valid(&entries).unwrap();
        let emails: Vec<&str> = all.iter().map(|i| i.email.as_str()).collect();
        assert_eq!(emails, ["ada@example.com", "grace@example.com", "alan@example.com"]);
        assert!(parse_entries("  \n , ,\n").is_empty());
        assert_eq!(all_valid(&[]), Ok(vec![]));
    }

    #[test]
    fn comma_inside_a_name_is_a_separator_with_a_helpful_message() {
        let entries = parse_entries("Lovelace, Ada <ada@example.com>");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].result, Err(InviteeError::NoEmail { entry: "Lovelace".into() }));
        assert_eq!(
            entries[0].result.as_ref().unwrap_err().to_string(),
            "“Lovelace” has no email address; write each person as Full Name <email@example.com> \
             (a comma starts a new person, so names cannot contain commas)"
        );
        assert_eq!(entries[1].result.as_ref().unwrap().name.as_str(), "Ada");
    }

    #[test]
    fn duplicate_is_an_error_on_the_second_occurrence() {
        let entries = parse_entries("Ada <ada@example.com>\nBob <bob@example.com>\nAda L. <ADA@example.com>");
        assert!(entries[0].result.is_ok());
        assert!(entries[1].result.is_ok());
        let err = entries[2].result.as_ref().unwrap_err();
        assert_eq!(err.to_string(), "ada@example.com is listed twice");
        assert_eq!(err.entry(), "Ada L. <ADA@example.com>");
    }

    #[test]
    fn invalid_entry_does_not_claim_an_address() {
        // The first entry is invalid (text after >), so the second is not a duplicate.
        let entries = parse_entries("Ada <ada@example.com> x\nAda <ada@example.com>");
        assert!(entries[0].result.is_err());
        assert!(entries[1].result.is_ok());
    }

    #[test]
    fn all_valid_reports_every_error_with_its_position() {
        let entries = parse_entries(
            "Ada <ada@example.com>\n\nbob@example.com, Carol <carol@example>\nDan <dan@example.com>\n\
             Ada <ada@example.com>",
        );
        let errs = all_valid(&entries).unwrap_err();
        let positions: Vec<usize> = errs.iter().map(|(i, _)| *i).collect();
        assert_eq!(positions, [2, 3, 5]);
        assert!(errs[0].1.contains("bob@example.com"));
        assert!(errs[1].1.contains("carol@example"));
        assert_eq!(errs[2].1, "ada@example.com is listed twice");
    }

    #[test]
    fn error_entry_accessor_and_serde() {
        assert_eq!(parse_invitee("  x ").unwrap_err().entry(), "x");
        let inv = ok("Ada <ada@example.com>");
        let json = serde_json::to_string(&inv).unwrap();
        assert_eq!(json, r#"{"name":"Ada","email":"ada@example.com"}"#);
        assert_eq!(serde_json::from_str::<Invitee>(&json).unwrap(), inv);
        assert!(serde_json::from_str::<Invitee>(r#"{"name":"","email":"ada@example.com"}"#).is_err());
    }
}
