//! `attune unlock` and `attune lock` through the real binary: a passphrase-protected
//! journal opens without a passphrase source only while it is unlocked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASS: &str = "lantern orbit mossy caravan";
const REQUIRED: &str = "this journal is protected by a passphrase";

/// One test's world: a private runtime directory for agent sockets, journals beside it.
struct World {
    _tmp: tempfile::TempDir,
    runtime: PathBuf,
    root: PathBuf,
    pass_file: PathBuf,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let runtime = tmp.path().join("run");
        std::fs::create_dir(&runtime).unwrap();
        private(&runtime);
        let pass_file = tmp.path().join("pass.txt");
        std::fs::write(&pass_file, format!("{PASS}\n")).unwrap();
        World {
            root: tmp.path().to_path_buf(),
            _tmp: tmp,
            runtime,
            pass_file,
        }
    }

    /// `attune --dir DIR args…` with no passphrase source (no terminal, no file).
    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        Command::new(attune_e2e::binary("attune"))
            .arg("--dir")
            .arg(dir)
            .args(args)
            .env_remove("ATTUNE_PASSPHRASE_FILE")
            .env("ATTUNE_SCRYPT_WORK_FACTOR", "10")
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .stdin(Stdio::null())
            .output()
            .expect("run attune")
    }

    /// The same with the passphrase in ATTUNE_PASSPHRASE_FILE.
    fn run_with_pass(&self, dir: &Path, args: &[&str]) -> Output {
        Command::new(attune_e2e::binary("attune"))
            .arg("--dir")
            .arg(dir)
            .args(args)
            .env("ATTUNE_PASSPHRASE_FILE", &self.pass_file)
            .env("ATTUNE_SCRYPT_WORK_FACTOR", "10")
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .stdin(Stdio::null())
            .output()
            .expect("run attune")
    }

    fn journal(&self, name: &str) -> PathBuf {
        let dir = self.root.join(name);
        ok(self.run_with_pass(&dir, &["init", "--name", name]));
        dir
    }

    fn unlock(&self, dir: &Path, lifetime: &str) -> String {
        ok(self.run_with_pass(dir, &["unlock", "--for", lifetime]))
    }

    /// `list` works with no passphrase source.
    fn opens(&self, dir: &Path) -> bool {
        self.run(dir, &["list", "--json"]).status.success()
    }
}

fn sockets(w: &World) -> Vec<PathBuf> {
    std::fs::read_dir(w.runtime.join("attune"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

fn only_socket(w: &World) -> PathBuf {
    let all = sockets(w);
    assert_eq!(all.len(), 1, "{all:?}");
    all[0].clone()
}

fn private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "attune failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn needs_passphrase(out: Output) {
    assert!(!out.status.success(), "it opened without a passphrase");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(REQUIRED), "{err}");
}

#[test]
fn unlock_opens_without_the_passphrase_until_lock() {
    let w = World::new();
    let dir = w.journal("laptop");
    needs_passphrase(w.run(&dir, &["list"]));
    needs_passphrase(w.run(&dir, &["write", "--kind", "note", "--body", "locked"]));

    let said = w.unlock(&dir, "1m");
    assert!(said.contains("Unlocked for 1 minute"), "{said}");
    let written: serde_json::Value = serde_json::from_str(&ok(w.run(
        &dir,
        &[
            "write",
            "--kind",
            "note",
            "--body",
            "unlocked once",
            "--json",
        ],
    )))
    .unwrap();
    assert!(written["id"].is_string());
    let listed = ok(w.run(&dir, &["list", "--json"]));
    assert!(listed.contains("unlocked once"), "{listed}");

    assert!(ok(w.run(&dir, &["lock"])).contains("Locked"));
    needs_passphrase(w.run(&dir, &["list"]));
    needs_passphrase(w.run(&dir, &["write", "--kind", "note", "--body", "locked again"]));
    assert!(ok(w.run(&dir, &["lock"])).contains("nothing to lock"));
}

#[test]
fn an_unlock_ends_at_its_time() {
    let w = World::new();
    let dir = w.journal("laptop");
    // Long enough that a loaded machine (tests and their scrypt run side by
    // side) still opens the journal before the unlock ends.
    w.unlock(&dir, "5s");
    // The five seconds started inside `attune unlock`, after its scrypt:
    // counting from its return is never early, however slow scrypt was.
    let started = Instant::now();
    assert!(w.opens(&dir), "unlocked");
    let socket_dir = w.runtime.join("attune");
    while started.elapsed() < Duration::from_millis(5_300) {
        std::thread::sleep(Duration::from_millis(100));
    }
    needs_passphrase(w.run(&dir, &["list"]));
    // The agent is gone too: its socket file goes with it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_dir(&socket_dir).unwrap().next().is_some() {
        assert!(Instant::now() < deadline, "the agent outlived its time");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_agent_of_another_journal_or_a_foreign_socket_is_not_used() {
    let w = World::new();
    let a = w.journal("a");
    let b = w.journal("b");
    w.unlock(&a, "1m");
    assert!(w.opens(&a));
    needs_passphrase(w.run(&b, &["list"]));

    // a's socket where b's agent would be: b asks, a's agent refuses (wrong journal).
    let a_socket = only_socket(&w);
    w.unlock(&b, "1m");
    let b_socket = sockets(&w)
        .into_iter()
        .find(|p| p != &a_socket)
        .expect("b's socket");
    assert!(w.opens(&b));
    ok(w.run(&b, &["lock"]));
    needs_passphrase(w.run(&b, &["list"]));
    std::os::unix::fs::symlink(&a_socket, &b_socket).unwrap();
    needs_passphrase(w.run(&b, &["list"]));
    assert!(w.opens(&a), "a's agent still serves a");

    // A socket directory others can enter is not trusted, even for a.
    std::fs::remove_file(&b_socket).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let socket_dir = w.runtime.join("attune");
    std::fs::set_permissions(&socket_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    needs_passphrase(w.run(&a, &["list"]));
    private(&socket_dir);
    assert!(w.opens(&a));
    // Nor is one owned by another user (only root can hand it over; CI runs as root).
    let me = std::fs::metadata(&socket_dir).unwrap();
    use std::os::unix::fs::MetadataExt;
    if std::os::unix::fs::chown(&socket_dir, Some(65534), None).is_ok() {
        needs_passphrase(w.run(&a, &["list"]));
        std::os::unix::fs::chown(&socket_dir, Some(me.uid()), None).unwrap();
        assert!(w.opens(&a));
    }
    ok(w.run(&a, &["lock"]));
}

#[test]
fn a_stale_socket_is_quiet_and_a_new_passphrase_locks() {
    let w = World::new();
    let dir = w.journal("laptop");
    w.unlock(&dir, "1m");
    let socket = only_socket(&w);
    ok(w.run(&dir, &["lock"]));
    // A socket file nobody listens on, as a killed agent leaves it.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    needs_passphrase(w.run(&dir, &["list"]));
    ok(w.run_with_pass(&dir, &["list"]));
    w.unlock(&dir, "1m");
    assert!(w.opens(&dir), "the stale socket was replaced");

    // Setting a new passphrase ends the unlock: the old identity file is gone.
    let new_pass = w.root.join("new-pass.txt");
    std::fs::write(&new_pass, "violet kettle jumps under seven bridges\n").unwrap();
    ok(w.run(
        &dir,
        &[
            "passphrase",
            "set",
            "--new-passphrase-file",
            new_pass.to_str().unwrap(),
        ],
    ));
    needs_passphrase(w.run(&dir, &["list"]));
}

#[test]
fn without_a_runtime_dir_the_socket_is_in_the_journal() {
    let w = World::new();
    let dir = w.journal("laptop");
    let run = |args: &[&str], pass: bool| {
        let mut cmd = Command::new(attune_e2e::binary("attune"));
        cmd.arg("--dir").arg(&dir).args(args);
        cmd.env_remove("XDG_RUNTIME_DIR")
            .env_remove("ATTUNE_PASSPHRASE_FILE")
            .stdin(Stdio::null());
        if pass {
            cmd.env("ATTUNE_PASSPHRASE_FILE", &w.pass_file);
        }
        cmd.output().unwrap()
    };
    needs_passphrase(run(&["list"], false));
    ok(run(&["unlock", "--for", "1m"], true));
    assert!(dir.join("agent.sock").exists());
    ok(run(&["list"], false));
    ok(run(&["lock"], false));
    needs_passphrase(run(&["list"], false));
    assert!(!dir.join("agent.sock").exists());
}
