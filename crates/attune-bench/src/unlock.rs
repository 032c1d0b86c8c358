//! The journal with a passphrase, through the real `attune` binary: what
//! `attune unlock` costs once (scrypt at age's default work, by design), and
//! what a whole `attune list` process costs after it, against the same
//! command without unlock (scrypt in every process).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::{median, print_figure};

/// Print `unlock_ms`, `list_30d_locked_*` and `list_30d_unlocked_*` for a copy
/// of the (unprotected) journal in `original`; `since` is the first day of the
/// last 30 (YYYY-MM-DD).
///
/// The copy is given a passphrase with age's default work factor (about a
/// second of scrypt here; `ATTUNE_SCRYPT_WORK_FACTOR` is not passed on); the
/// original is left as it was for the figures after these.
pub fn run(original: &Path, since: &str, reps: usize) -> Result<()> {
    let attune = attune_testkit::binary("attune");
    let tmp = tempfile::tempdir()?;
    let dir = &tmp.path().join("journal");
    copy_dir(original, dir)?;
    let runtime = tmp.path().join("run");
    std::fs::create_dir(&runtime)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700))?;
    }
    let pass = tmp.path().join("pass.txt");
    std::fs::write(&pass, "lantern orbit mossy caravan violet\n")?;
    let command = |args: &[&str], with_pass: bool| {
        let mut cmd = Command::new(&attune);
        cmd.arg("--dir")
            .arg(dir)
            .args(args)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env_remove("ATTUNE_SCRYPT_WORK_FACTOR")
            .env_remove("ATTUNE_PASSPHRASE_FILE")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if with_pass {
            cmd.env("ATTUNE_PASSPHRASE_FILE", &pass);
        }
        cmd
    };
    let new_pass = pass.to_string_lossy().into_owned();
    check(
        command(
            &["passphrase", "set", "--new-passphrase-file", &new_pass],
            false,
        )
        .status()?,
        "attune passphrase set",
    )?;
    let list = ["list", "--since", since];

    let (locked_ms, locked_kib) = measure(&attune, dir, &list, &runtime, Some(&pass))?;
    print_figure("list_30d_locked_ms", locked_ms, "ms");
    print_figure("list_30d_locked_peak_mib", locked_kib / 1024.0, "MiB");

    let t = Instant::now();
    check(
        command(&["unlock", "--for", "10m"], true).status()?,
        "attune unlock",
    )?;
    print_figure("unlock_ms", t.elapsed().as_secs_f64() * 1000.0, "ms");

    let (mut times, mut peaks) = (Vec::new(), Vec::new());
    for _ in 0..reps.max(1) {
        let (ms, kib) = measure(&attune, dir, &list, &runtime, None)?;
        times.push(ms);
        peaks.push(kib / 1024.0);
    }
    check(command(&["lock"], false).status()?, "attune lock")?;
    print_figure("list_30d_unlocked_ms", median(&mut times), "ms");
    print_figure("list_30d_unlocked_peak_mib", median(&mut peaks), "MiB");
    Ok(())
}

/// Runs `attune --dir DIR args` in a fresh `attune-bench peak-rss` process, so
/// that its peak RSS is the only child's: (wall ms, peak KiB).
pub(crate) fn measure(
    attune: &Path,
    dir: &Path,
    args: &[&str],
    runtime: &Path,
    pass: Option<&Path>,
) -> Result<(f64, f64)> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("peak-rss")
        .arg("--")
        .arg(attune)
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env("XDG_RUNTIME_DIR", runtime)
        .env_remove("ATTUNE_SCRYPT_WORK_FACTOR")
        .env_remove("ATTUNE_PASSPHRASE_FILE");
    if let Some(pass) = pass {
        cmd.env("ATTUNE_PASSPHRASE_FILE", pass);
    }
    let out = cmd.stdin(Stdio::null()).output()?;
    check(out.status, "attune-bench peak-rss")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let mut next = || -> Result<f64> {
        words
            .next()
            .and_then(|w| w.parse().ok())
            .context("attune-bench peak-rss printed no figures")
    };
    Ok((next()?, next()?))
}

/// `attune-bench peak-rss -- PROGRAM ARGS…`: runs it (output discarded) and
/// prints its wall time in ms and its peak RSS in KiB.
pub fn peak_rss(command: &[String]) -> Result<()> {
    let Some((program, args)) = command.split_first() else {
        bail!("peak-rss needs a program to run");
    };
    let t = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .status()?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    check(status, program)?;
    // This process waits for no other child: the largest child is this one.
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)?;
    println!("{ms} {}", usage.max_rss());
    Ok(())
}

pub(crate) fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn check(status: std::process::ExitStatus, what: &str) -> Result<()> {
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}
