use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("\"{value}\" is not a valid {kind} id")]
pub struct IdError {
    pub kind: &'static str,
    pub value: String,
}

/// Ids are UUIDs generated in Rust (v7, so they sort by creation time) and stored as text.
/// Parsing checks the canonical 36-character form without pulling a UUID crate into wasm.
fn is_uuid_text(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        })
}

macro_rules! text_id {
    ($name:ident, $kind:literal) => {
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let t = s.trim();
                if is_uuid_text(t) {
                    Ok(Self(t.to_string()))
                } else {
                    Err(IdError { kind: $kind, value: s.to_string() })
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_id!(TeamId, "team");
text_id!(UserId, "user");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_canonical_uuid() {
        let id = TeamId::parse("0193b1f2-7c3a-7def-8a12-3456789abcde").unwrap();
        assert_eq!(id.as_str(), "0193b1f2-7c3a-7def-8a12-3456789abcde");
    }

    #[test]
    fn rejects_other_text() {
        for bad in [
            "",
            "team-1",
            "0193b1f2-7c3a-7def-8a12-3456789abcdeX",
            "0193B1F2-7C3A-7DEF-8A12-3456789ABCDE",
            "0193b1f2x7c3a-7def-8a12-3456789abcde",
        ] {
            let err = TeamId::parse(bad).unwrap_err();
            assert_eq!(err.kind, "team");
        }
        assert_eq!(UserId::parse("x").unwrap_err().to_string(), "\"x\" is not a valid user id");
    }
}
