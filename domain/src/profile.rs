//! R-ACC1: the profile a person edits on their own account page, parsed whole: every field
//! is trimmed and bounded, and a bad one is named. These are the fields `/userinfo` returns.
use super::names::PersonName;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One field the person got wrong, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileError {
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProfileError {}

/// What the account page sends, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileForm {
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub locale: String,
    pub job_title: String,
    pub company: String,
    pub phone_number: String,
    pub street_address: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country_code: String,
}

/// A profile that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub name: PersonName,
    pub given_name: String,
    pub family_name: String,
    /// A BCP 47 tag such as `en-US` or `de`.
    pub locale: String,
    pub job_title: String,
    pub company: String,
    pub phone_number: String,
    pub street_address: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case, or empty.
    pub country_code: String,
}

fn err(field: &'static str, message: impl Into<String>) -> ProfileError {
    ProfileError { field, message: message.into() }
}

/// Trimmed text of at most `max` characters, without control characters.
fn text(field: &'static str, label: &str, raw: &str, max: usize) -> Result<String, ProfileError> {
    let t = raw.trim();
    if t.chars().count() > max {
        return Err(err(field, format!("{label} is longer than {max} characters.")));
    }
    if t.chars().any(char::is_control) {
        return Err(err(field, format!("{label} contains a control character.")));
    }
    Ok(t.to_string())
}

fn locale(raw: &str) -> Result<String, ProfileError> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok("en-US".into());
    }
    let parts: Vec<&str> = t.split(['-', '_']).collect();
    let ok = t.len() <= 35
        && parts
            .first()
            .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()))
        && parts
            .iter()
            .skip(1)
            .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !ok {
        return Err(err(
            "locale",
            format!(
                "\"{}\" is not a language tag such as en-US or de.",
                t.chars().take(40).collect::<String>()
            ),
        ));
    }
    // Canonical case: language lower, a two-letter region upper.
    let mut out = parts[0].to_ascii_lowercase();
    for p in &parts[1..] {
        out.push('-');
        out.push_str(&if p.len() == 2 { p.to_ascii_uppercase() } else { p.to_string() });
    }
    Ok(out)
}

fn phone(raw: &str) -> Result<String, ProfileError> {
    let t = raw.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let allowed = t.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if t.is_empty() || (allowed && (4..=20).contains(&digits) && t.len() <= 40) {
        Ok(t.to_string())
    } else {
        Err(err("phone_number", "A phone number has 4 to 20 digits and may use + - ( ) . and spaces."))
    }
}

fn country(raw: &str) -> Result<String, ProfileError> {
    let t = raw.trim();
    if t.is_empty() || (t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic())) {
        Ok(t.to_ascii_uppercase())
    } else {
        Err(err("country_code", "A country is its two-letter code, such as DE or US."))
    }
}

impl ProfileForm {
    pub fn parse(&self) -> Result<Profile, ProfileError> {
        Ok(Profile {
            name: PersonName::parse(&self.name).map_err(|e| err("name", e.to_string()))?,
            given_name: text("given_name", "The given name", &self.given_name, 100)?,
            family_name: text("family_name", "The family name", &self.family_name, 100)?,
            locale: locale(&self.locale)?,
            job_title: text("job_title", "The job title", &self.job_title, 100)?,
            company: text("company", "The company", &self.company, 100)?,
            phone_number: phone(&self.phone_number)?,
            street_address: text("street_address", "The street address", &self.street_address, 200)?,
            locality: text("locality", "The city", &self.locality, 100)?,
            region: text("region", "The region", &self.region, 100)?,
            postal_code: text("postal_code", "The postal code", &self.postal_code, 20)?,
            country_code: country(&self.country_code)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ProfileForm {
        ProfileForm { name: "Ada Lovelace".into(), ..ProfileForm::default() }
    }

    #[test]
    fn a_plain_profile_parses_with_defaults() {
        let p = ProfileForm {
            locale: " de_de ".into(),
            country_code: "gb".into(),
            phone_number: "+44 (20) 7946-0958".into(),
            ..form()
        }
        .parse()
        .unwrap();
        assert_eq!(
            (p.name.as_str(), p.locale.as_str(), p.country_code.as_str()),
            ("Ada Lovelace", "de-DE", "GB")
        );
        assert_eq!(form().parse().unwrap().locale, "en-US");
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (ProfileForm { name: "  ".into(), ..form() }, "name"),
            (ProfileForm { locale: "english please".into(), ..form() }, "locale"),
            (ProfileForm { phone_number: "call me".into(), ..form() }, "phone_number"),
            (ProfileForm { phone_number: "12".into(), ..form() }, "phone_number"),
            (ProfileForm { country_code: "Germany".into(), ..form() }, "country_code"),
            (ProfileForm { job_title: "x".repeat(101), ..form() }, "job_title"),
            (ProfileForm { company: "Evil\u{7}Corp".into(), ..form() }, "company"),
        ];
        for (f, field) in cases {
            assert_eq!(f.parse().unwrap_err().field, field, "{f:?}");
        }
    }
}
