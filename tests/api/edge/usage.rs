// Unit tests of src/api/usage.rs, moved out of its #[cfg(test)] module (see mod.rs).
use tessera::api::usage::{csv_line, pseudonym, slug};

#[test]
fn cells_are_quoted_and_defused() {
    assert_eq!(csv_line(["a", "b,c", "say \"hi\""]), "a,\"b,c\",\"say \"\"hi\"\"\"\r\n");
    assert_eq!(csv_line(["=1+1", "@x", "Ada"]), "'=1+1,'@x,Ada\r\n");
}

#[test]
fn pseudonyms_are_stable_per_key_and_distinct_per_person() {
    assert_eq!(pseudonym("k", "a"), pseudonym("k", "a"));
    assert_ne!(pseudonym("k", "a"), pseudonym("k", "b"));
    assert_ne!(pseudonym("k", "a"), pseudonym("other", "a"));
    assert_eq!(pseudonym("k", "a").len(), "user-".len() + 32);
}

#[test]
fn file_names_are_plain() {
    assert_eq!(slug("Northwind Studio"), "northwind-studio");
    assert_eq!(slug("  Ärger & Co. "), "rger-co");
}
