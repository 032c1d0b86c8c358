//! The real relay binary keeps what it creates private: its data directory
//! 0700, its SQLite files 0600; an existing directory open to others is left
//! as it is, with a warning.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use attune_proto::*;
use common::process::{login, post, spawn_relay};
use common::{genesis, journal, Device};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn a_fresh_data_directory_is_0700_and_the_database_files_0600() {
    let root = tempfile::tempdir().unwrap();
    // Loosen the parent so nothing private is inherited from the temp directory.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = root.path().join("relay-data");
    let relay = spawn_relay(&["--data", data.to_str().unwrap()], "warn", Stdio::null());
    assert_eq!(mode(&data), 0o700, "data directory");

    let http = reqwest::Client::new();
    let (a, j) = (Device::new(1), journal(7));
    let token = login(&http, &relay.base, j, &a, Some(genesis(j, &[&a], &a))).await;
    let push = PushRequest {
        v: WIRE_VERSION,
        envelopes: a.chain(j, 1, None, 2),
    };
    let (status, _) = post(
        &http,
        format!("{}/v1/journals/{j}/envelopes", relay.base),
        Some(&token),
        push.encode(),
    )
    .await;
    assert_eq!(status, 200);

    for name in ["relay.sqlite3", "relay.sqlite3-wal", "relay.sqlite3-shm"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    // Whatever else SQLite keeps there is private too.
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    drop(relay);
}

#[tokio::test]
async fn an_existing_directory_open_to_others_is_kept_with_a_warning() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("shared");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let log_path = root.path().join("relay.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let relay = spawn_relay(
        &["--data", data.to_str().unwrap()],
        "warn",
        Stdio::from(log),
    );
    let ready = reqwest::get(format!("{}/readyz", relay.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    drop(relay);

    assert_eq!(mode(&data), 0o755, "an existing directory is not re-moded");
    assert_eq!(mode(&data.join("relay.sqlite3")), 0o600);
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logs.contains("data directory is accessible to other users"),
        "no warning in:\n{logs}"
    );
}
