// Unit tests of src/api/html.rs, moved out of its #[cfg(test)] module (see mod.rs).
use tessera::api::html::{
    consent, consent_refusal, sso_email_form, sso_invitation_form, sso_link, sso_refusal, Consent, LinkView,
};

#[test]
fn every_value_is_escaped() {
    let evil = "<script>alert('x')</script>\"&";
    let pages = [
        consent_refusal(evil),
        consent(&Consent {
            app: evil,
            name: evil,
            email: evil,
            abilities: vec![evil],
            hidden: vec![(evil, evil)],
            csrf: evil,
        }),
        sso_refusal(evil),
        sso_email_form(evil, Some(evil)),
        sso_invitation_form(evil, evil, evil, evil),
        sso_link(
            &LinkView { provider: evil, email: evil, password: true, sent: true, minutes: 30 },
            Some(evil),
        ),
    ];
    for p in pages {
        assert!(!p.contains("<script>") && !p.contains("'x'"), "{p}");
    }
}
