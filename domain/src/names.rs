use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{what} is empty")]
    Empty { what: &'static str },
    #[error("{what} is longer than {max} characters")]
    TooLong { what: &'static str, max: usize },
    #[error("{what} contains the character '{ch}', which is not allowed")]
    BadChar { what: &'static str, ch: char },
}

fn clean(raw: &str, what: &'static str, max: usize, forbidden: &[char]) -> Result<String, NameError> {
    // Collapse inner runs of whitespace so "Ada   Lovelace" and "Ada Lovelace" are one person.
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return Err(NameError::Empty { what });
    }
    if s.chars().count() > max {
        return Err(NameError::TooLong { what, max });
    }
    if let Some(ch) = s.chars().find(|c| c.is_control() || forbidden.contains(c)) {
        return Err(NameError::BadChar { what, ch });
    }
    Ok(s)
}

/// A person's display name. `<` and `>` are refused because they delimit the email in
/// `Full Name <email>` invitee entries.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub const MAX: usize = 100;
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        clean(raw, "name", Self::MAX, &['<', '>']).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TeamName(String);

impl TeamName {
    pub const MAX: usize = 80;
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        clean(raw, "team name", Self::MAX, &[]).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A group's name within a team (R-GRP1). Unique per team regardless of case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupName(String);

impl GroupName {
    pub const MAX: usize = 80;
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        // `;` separates groups in the import's `groups` column (and its export).
        clean(raw, "group name", Self::MAX, &[';']).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// What uniqueness within a team compares: "Design" and "design" are one group.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

macro_rules! string_conversions {
    ($t:ident) => {
        impl TryFrom<String> for $t {
            type Error = NameError;
            fn try_from(s: String) -> Result<Self, NameError> {
                Self::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
string_conversions!(PersonName);
string_conversions!(TeamName);
string_conversions!(GroupName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_whitespace() {
        assert_eq!(PersonName::parse("  Ada   Lovelace ").unwrap().as_str(), "Ada Lovelace");
    }

    #[test]
    fn names_the_problem() {
        assert_eq!(PersonName::parse("   "), Err(NameError::Empty { what: "name" }));
        assert_eq!(
            PersonName::parse("Ada <x").unwrap_err().to_string(),
            "name contains the character '<', which is not allowed"
        );
        assert_eq!(
            TeamName::parse(&"x".repeat(81)).unwrap_err().to_string(),
            "team name is longer than 80 characters"
        );
        assert!(PersonName::parse("Zoë Ångström-Øster").is_ok());
    }

    #[test]
    fn a_group_name_has_no_semicolon_so_the_import_can_list_several() {
        assert_eq!(
            GroupName::parse("Design; Build").unwrap_err().to_string(),
            "group name contains the character ';', which is not allowed"
        );
        assert_eq!(GroupName::parse("Design  team").unwrap().key(), "design team");
    }
}
