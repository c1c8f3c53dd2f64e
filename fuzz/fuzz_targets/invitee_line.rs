//! R-UM3 invitee text box (`Full Name <email>` entries) on arbitrary text.
//!
//! Beyond "does not panic": entries are the trimmed, non-blank pieces between separators;
//! every accepted entry's name and email parse again to themselves; accepted addresses are
//! distinct; and writing the accepted people back as `Name <email>` lines reads back the same.
#![no_main]

use app::domain::invitee::{all_valid, parse_entries, parse_invitee, InviteeError};
use app::domain::{Email, PersonName};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let entries = parse_entries(input);

    let pieces: Vec<&str> = input.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).collect();
    assert_eq!(entries.iter().map(|e| e.raw.as_str()).collect::<Vec<_>>(), pieces);

    let mut emails = HashSet::new();
    for e in &entries {
        match &e.result {
            Ok(inv) => {
                assert_eq!(
                    Email::parse(inv.email.as_str()).as_ref(),
                    Ok(&inv.email),
                    "email does not re-parse"
                );
                assert_eq!(
                    PersonName::parse(inv.name.as_str()).as_ref(),
                    Ok(&inv.name),
                    "name does not re-parse"
                );
                assert!(emails.insert(inv.email.clone()), "{} accepted twice", inv.email);
                assert_eq!(parse_invitee(&e.raw).as_ref(), Ok(inv));
            }
            Err(err) => {
                assert_eq!(err.entry(), e.raw, "the error quotes another entry");
                assert!(!err.to_string().is_empty());
                match err {
                    // A duplicate is a valid entry whose address came earlier.
                    InviteeError::Duplicate { email, .. } => {
                        assert!(emails.contains(email), "duplicate of an address not accepted before");
                        assert_eq!(parse_invitee(&e.raw).map(|i| i.email).as_ref(), Ok(email));
                    }
                    other => assert_eq!(parse_invitee(&e.raw).as_ref(), Err(other)),
                }
            }
        }
    }

    match all_valid(&entries) {
        Ok(people) => {
            assert!(entries.iter().all(|e| e.result.is_ok()));
            let text: Vec<String> = people.iter().map(|p| format!("{} <{}>", p.name, p.email)).collect();
            let again = all_valid(&parse_entries(&text.join("\n")));
            assert_eq!(again.as_ref(), Ok(&people), "accepted people do not read back: {text:?}");
        }
        Err(errors) => {
            let failing = entries.iter().filter(|e| e.result.is_err()).count();
            assert_eq!(errors.len(), failing);
            assert!(errors.iter().all(|(i, _)| (1..=entries.len()).contains(i)));
        }
    }
});
