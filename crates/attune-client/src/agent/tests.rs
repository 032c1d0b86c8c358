//! An agent served from a thread, asked the way commands ask.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use secrecy::SecretString;

use super::*;
use crate::{InitOptions, Store};

const PASS: &str = "lantern orbit mossy caravan";

fn protected_journal(dir: &Path) {
    Store::init(
        dir,
        InitOptions {
            device_name: "laptop".into(),
            passphrase: Some(SecretString::from(PASS)),
            work_factor: Some(4),
        },
    )
    .unwrap();
}

fn pass() -> impl FnMut() -> Result<secrecy::SecretString, StoreError> {
    || Ok(SecretString::from(PASS))
}

/// Unlocks `dir` and serves it from a thread for `lifetime`.
fn start(dir: &Path, lifetime: Duration) -> (JoinHandle<Stopped>, Arc<AtomicBool>) {
    let unlocked = unlock_identity(dir, &mut pass()).unwrap();
    let text = Zeroizing::new(unlocked.identity.to_file_bytes(None, None).unwrap());
    let listening = bind(&unlocked.binding).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let until = Instant::now() + lifetime;
    let handle =
        std::thread::spawn(move || serve(&listening, &text, &unlocked.binding, until, &flag));
    (handle, stop)
}

#[test]
fn an_unlocked_journal_opens_without_its_passphrase_until_locked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    protected_journal(&dir);
    assert!(ask(&dir).is_none(), "nothing unlocked yet");
    let (agent, _) = start(&dir, Duration::from_secs(30));
    let identity = ask(&dir).expect("the agent answers");
    let mut store = Store::open_with_identity(&dir, identity).unwrap();
    assert!(store.list(&Default::default()).unwrap().is_empty());
    drop(store);
    assert!(lock(&dir).unwrap());
    assert_eq!(agent.join().unwrap(), Stopped::Locked);
    assert!(ask(&dir).is_none(), "locked");
    assert!(!lock(&dir).unwrap(), "nothing left to lock");
}

#[test]
fn an_agent_ends_at_its_time_and_answers_nothing_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    protected_journal(&dir);
    let (agent, _) = start(&dir, Duration::from_millis(300));
    std::thread::sleep(Duration::from_millis(400));
    assert!(ask(&dir).is_none());
    assert_eq!(agent.join().unwrap(), Stopped::Expired);
}

#[test]
fn an_agent_of_another_journal_is_not_used() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    protected_journal(&a);
    protected_journal(&b);
    let (agent, stop) = start(&a, Duration::from_secs(30));
    // Put a's socket where b's agent would listen: b's request names b, and a refuses it.
    let a_socket = JournalDir::of(&a).unwrap().socket_path(false).unwrap();
    let b_socket = JournalDir::of(&b).unwrap().socket_path(false).unwrap();
    std::os::unix::fs::symlink(&a_socket, &b_socket).unwrap();
    assert!(ask(&b).is_none());
    // Even with a's very identity file: the request names b's directory.
    let identity = crate::dir::layout::IDENTITY_FILE;
    std::fs::copy(a.join(identity), b.join(identity)).unwrap();
    assert!(ask(&b).is_none());
    assert!(ask(&a).is_some(), "a's agent still serves a");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(agent.join().unwrap(), Stopped::Asked);
}

#[test]
fn a_changed_identity_file_ends_the_agent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    protected_journal(&dir);
    let (agent, _) = start(&dir, Duration::from_secs(30));
    let mut store = Store::open(&dir, &mut pass()).unwrap();
    store
        .change_passphrase(
            Some(SecretString::from("violet kettle jumps under")),
            Some(4),
        )
        .unwrap();
    drop(store);
    assert!(ask(&dir).is_none());
    assert_eq!(agent.join().unwrap(), Stopped::IdentityChanged);
}

#[test]
fn a_removed_socket_ends_the_agent_and_a_stale_one_is_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    protected_journal(&dir);
    let (agent, _) = start(&dir, Duration::from_secs(30));
    let socket = JournalDir::of(&dir).unwrap().socket_path(false).unwrap();
    std::fs::remove_file(&socket).unwrap();
    assert_eq!(agent.join().unwrap(), Stopped::SocketRemoved);
    // A socket file nobody listens on: asked quietly, replaced by the next agent.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(socket.exists());
    assert!(ask(&dir).is_none());
    let (agent, _) = start(&dir, Duration::from_secs(30));
    assert!(ask(&dir).is_some());
    assert!(lock(&dir).unwrap());
    assert_eq!(agent.join().unwrap(), Stopped::Locked);
}

#[test]
fn a_journal_without_passphrase_never_asks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("j");
    Store::init(&dir, InitOptions::default()).unwrap();
    assert!(ask(&dir).is_none());
}
