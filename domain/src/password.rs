/// A password someone chooses. Sign-in never parses the typed password (any text may be
/// tried); only setting a password goes through this type.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be at least {min} characters long")]
    TooShort { min: usize },
    #[error("password must be at most {max} characters long")]
    TooLong { max: usize },
}

impl NewPassword {
    pub const MIN: usize = 10;
    pub const MAX: usize = 256;
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let n = raw.chars().count();
        if n < Self::MIN {
            return Err(PasswordError::TooShort { min: Self::MIN });
        }
        if n > Self::MAX {
            return Err(PasswordError::TooLong { max: Self::MAX });
        }
        Ok(Self(raw.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules() {
        assert_eq!(NewPassword::parse("short"), Err(PasswordError::TooShort { min: 10 }));
        assert!(NewPassword::parse("long enough pass").is_ok());
        assert_eq!(format!("{:?}", NewPassword::parse("long enough pass").unwrap()), "NewPassword(***)");
    }
}
