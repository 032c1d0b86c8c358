//! The settings: layering, checks, help, the example file, backends and redaction.

use std::time::Duration;

use super::*;

const EXAMPLE: &str = include_str!("../../dist/relay.example.toml");

#[test]
fn the_example_file_sets_every_key_to_its_default() {
    let example = Overrides::from_toml(EXAMPLE).unwrap();
    // Every key but the storage ones (whose defaults are "unset") is present…
    assert_eq!(example, Overrides::of(&Settings::default()));
    // …and the storage keys are documented, commented out.
    assert!(EXAMPLE.contains("\n# data = "), "data is not documented");
    assert!(
        EXAMPLE.contains("\n# database = "),
        "database is not documented"
    );
    assert_eq!(example.resolve().unwrap(), Settings::default());
}

#[test]
fn unknown_keys_are_refused_by_name() {
    let err = Overrides::from_toml("max_body_byte = 10\n").unwrap_err();
    assert!(err.to_string().contains("max_body_byte"), "{err}");
}

#[test]
fn flags_win_over_the_file_which_wins_over_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("relay.toml");
    std::fs::write(
        &file,
        "max_body_bytes = 5000\nrequest_timeout_secs = 7\nlog_format = \"json\"\n",
    )
    .unwrap();
    let cli = Cli::try_parse_args([
        "attune-relay",
        "--config",
        file.to_str().unwrap(),
        "--max-body-bytes",
        "6000",
        "--trusted-proxies",
        "127.0.0.1,::1",
    ])
    .unwrap();
    let settings = cli.resolve().unwrap();
    assert_eq!(settings.config.max_body_bytes, 6000);
    assert_eq!(settings.config.request_timeout, Duration::from_secs(7));
    assert_eq!(settings.log_format, LogFormat::Json);
    assert_eq!(settings.config.trusted_proxies.len(), 2);
    assert_eq!(
        settings.config.max_envelope_bytes,
        Config::default().max_envelope_bytes
    );
}

#[test]
fn zero_where_zero_cannot_work_is_refused() {
    let err = Overrides::from_toml("ws_ping_interval_secs = 0")
        .unwrap()
        .resolve()
        .unwrap_err();
    assert!(err.to_string().contains("ws_ping_interval_secs"), "{err}");
    let err = Overrides::from_toml("rate_limit_burst = 0")
        .unwrap()
        .resolve()
        .unwrap_err();
    assert!(err.to_string().contains("rate_limit_burst"), "{err}");
}

#[test]
fn help_lists_every_setting_with_its_default_and_variable() {
    let help = Cli::command_with_defaults().render_long_help().to_string();
    // Help is wrapped to the terminal: compare with whitespace runs as single spaces.
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for (key, shown) in Overrides::of(&Settings::default()).shown() {
        let flag = format!("--{}", key.replace('_', "-"));
        assert!(help.contains(&flag), "{flag} missing from --help");
        assert!(
            help.contains(&format!("[default: {shown}]")),
            "default of {flag} missing"
        );
        assert!(
            help.contains(&format!("ATTUNE_RELAY_{}", key.to_uppercase())),
            "environment variable of {flag} missing"
        );
    }
    for flag in ["--data", "--database", "--config", "--print-config"] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn database_flag_selects_the_backend() {
    let pg = "postgres://u:secret@db.example:5432/attune";
    assert_eq!(
        backend(Some(pg), None).unwrap(),
        Backend::Postgres(pg.into())
    );
    assert!(backend(Some(pg), Some("/x".into())).is_err());
    assert_eq!(
        backend(None, Some("/x".into())).unwrap(),
        Backend::Sqlite("/x".into())
    );
    assert_eq!(
        backend(Some("sqlite:///srv/relay"), None).unwrap(),
        Backend::Sqlite("/srv/relay".into())
    );
    assert_eq!(
        backend(Some("sqlite://"), Some("/x".into())).unwrap(),
        Backend::Sqlite("/x".into())
    );
    assert!(backend(Some("sqlite:///a"), Some("/b".into())).is_err());
    let err = backend(Some("mysql://u:secret@h/d"), None).unwrap_err();
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[test]
fn redaction_hides_the_password_only() {
    assert_eq!(
        redact("postgres://u:secret@h:5432/d?x=1"),
        "postgres://u@h:5432/d?x=1"
    );
    assert_eq!(redact("postgres://h/d"), "postgres://h/d");
    assert_eq!(redact("nonsense"), "<unparsable URL>");
    let shown = Overrides {
        database: Some("postgres://u:secret@h/d".into()),
        ..Overrides::default()
    }
    .to_toml();
    assert!(!shown.contains("secret"), "{shown}");
}

#[test]
fn require_invite_is_a_switch_and_invites_are_hidden_when_shown() {
    let cli = Cli::try_parse_args([
        "attune-relay",
        "--require-invite",
        "--invite-tokens",
        "first-secret,second-secret",
        "--max-journals-per-hour",
        "3",
    ])
    .unwrap();
    let settings = cli.resolve().unwrap();
    assert!(settings.config.require_invite);
    assert_eq!(
        settings.config.invite_tokens,
        vec!["first-secret".to_owned(), "second-secret".to_owned()]
    );
    assert_eq!(settings.config.max_journals_per_hour, 3);
    let shown = Overrides::of(&settings).to_toml();
    assert!(!shown.contains("secret"), "{shown}");
    assert!(shown.contains("require_invite = true"), "{shown}");
    let off = Cli::try_parse_args(["attune-relay", "--require-invite", "false"]).unwrap();
    assert!(!off.resolve().unwrap().config.require_invite);
    let err = Overrides::from_toml("max_epochs_per_journal = 0")
        .unwrap()
        .resolve()
        .unwrap_err();
    assert!(err.to_string().contains("max_epochs_per_journal"), "{err}");
}
