// Unit tests of src/mail_worker.rs, moved out of its #[cfg(test)] module (see mod.rs).
use app::store::outbox::OutboxMessage;
use chrono::Utc;
use lettre::message::Mailbox;
use std::path::Path;
use tessera::mail_worker::{build_message, Transport, DEFAULT_FROM};

fn msg(text: &str) -> OutboxMessage {
    let now = Utc::now();
    OutboxMessage {
        id: "0192-abc".into(),
        kind: "test".into(),
        to_addr: "bo@example.com".into(),
        subject: "Hello".into(),
        text_body: text.into(),
        html_body: format!("<p>{text}</p>"),
        created_at: now,
        attempts: 0,
        next_attempt_at: now,
        claimed_until: None,
        sent_at: None,
        last_error: None,
        failed_at: None,
    }
}

fn formatted(text: &str, eight_bit: bool) -> String {
    let from: Mailbox = DEFAULT_FROM.parse().unwrap();
    String::from_utf8(build_message(&msg(text), &from, eight_bit).unwrap().formatted()).unwrap()
}

const LONG_URL: &str =
    "https://tessera.example.com/invitations/accept?token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGh";

#[test]
fn long_ascii_links_stay_intact() {
    let eml = formatted(&format!("Open this link:\n\n{LONG_URL}\n"), false);
    assert!(eml.contains(&format!("\r\n{LONG_URL}\r\n")), "{eml}");
    assert!(eml.contains("Content-Transfer-Encoding: 7bit"), "{eml}");
    assert!(eml.contains("Message-ID: <0192-abc@tessera.localhost>"), "{eml}");
}

#[test]
fn non_ascii_is_raw_in_files_and_encoded_for_smtp() {
    let text = format!("Hello Zoë,\n{LONG_URL}\n");
    let file = formatted(&text, true);
    assert!(file.contains("Content-Transfer-Encoding: 8bit") && file.contains("Hello Zoë,"), "{file}");
    let smtp = formatted(&text, false);
    assert!(!smtp.contains("Zoë") && !smtp.contains("8bit"), "{smtp}");
}

#[test]
fn over_long_lines_fall_back_to_lettre_encoding() {
    let eml = formatted(&"x".repeat(2000), true);
    assert!(!eml.contains(&"x".repeat(999)), "a line over 998 bytes was left as it is");
}

#[test]
fn smtp_urls_are_checked() {
    assert!(matches!(
        Transport::from_config(Some("smtp://127.0.0.1:2525"), Path::new("d")),
        Ok(Transport::Smtp(_))
    ));
    assert!(matches!(
        Transport::from_config(Some("smtps://u:p@mail.example"), Path::new("d")),
        Ok(Transport::Smtp(_))
    ));
    assert!(Transport::from_config(Some("http://x"), Path::new("d")).is_err());
    match Transport::from_config(Some("  "), Path::new("d")) {
        Ok(Transport::Files(dir)) => assert_eq!(dir, Path::new("d/outbox")),
        _ => panic!("a blank URL means files"),
    }
}
