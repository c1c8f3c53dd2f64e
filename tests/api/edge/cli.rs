// Unit tests of src/cli.rs, moved out of its #[cfg(test)] module (see mod.rs).
use clap::Parser;
use tessera::cli::{redact, Cli, Command};

#[test]
fn database_url_defaults_under_data_dir() {
    let cli = Cli::parse_from(["tessera", "--data-dir", "/tmp/x", "migrate"]);
    assert_eq!(cli.database_url(), "sqlite:///tmp/x/tessera.db");
}

#[test]
fn a_client_secret_starting_with_a_dash_is_a_value() {
    for secret in ["-V3xq", "--x", "-"] {
        let cli = Cli::try_parse_from([
            "tessera",
            "client",
            "sign-in",
            "--server",
            "http://127.0.0.1:3000",
            "--client-id",
            "abc",
            "--client-secret",
            secret,
            "--timeout",
            "5",
        ])
        .unwrap_or_else(|e| panic!("{secret:?}: {e}"));
        let Command::Client(args) = cli.command else { panic!("not the client command") };
        let tessera::client::ClientCommand::SignIn { client_secret, timeout, .. } = args.command else {
            panic!("not sign-in")
        };
        assert_eq!((client_secret.as_str(), timeout), (secret, 5));
    }
}

#[test]
fn redacts_passwords() {
    assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
    assert_eq!(redact("sqlite://./data/t.db"), "sqlite://./data/t.db");
}
