//! `attune unlock` and `attune lock`: the passphrase once per sitting, not once per command.
//!
//! `unlock` opens the identity with the passphrase (scrypt, once), starts the
//! agent (`attune __agent`, see `cli/agent.rs`) and hands it the opened
//! identity through a pipe; `lock` ends it. Every other command asks the agent
//! first (`Ctx::open`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use attune_client::{agent, Store};
use zeroize::Zeroizing;

use crate::Ctx;

// The default (`--for 1h`, in args.rs) covers one sitting of writing and
// reading back, and is short enough that a computer left alone does not stay
// open all day.

/// The longest unlock: a day.
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// `attune unlock --for DURATION`.
pub(crate) fn unlock(ctx: &Ctx, duration: &str) -> Result<()> {
    let lifetime = parse_duration(duration)?;
    if !Store::exists(&ctx.dir) {
        return Err(attune_client::StoreError::NotInitialised(ctx.dir.clone()).into());
    }
    if !attune_client::store::identity_is_protected(&ctx.dir) {
        println!(
            "This journal has no passphrase, so there is nothing to unlock: every command opens it without asking."
        );
        return Ok(());
    }
    let mut source = ctx.passphrase_source();
    let unlocked = agent::unlock_identity(&ctx.dir, &mut source)?;
    // A new unlock replaces the old one (its time starts again).
    let _ = agent::lock(&ctx.dir);
    let text = Zeroizing::new(unlocked.identity.to_file_bytes(None, None)?);
    let exe = std::env::current_exe().context("finding the attune program to start the agent")?;
    let mut child = Command::new(exe)
        .arg("--dir")
        .arg(&unlocked.binding.journal.path)
        .args(["__agent", "--seconds", &lifetime.as_secs().to_string()])
        .env_remove("ATTUNE_PASSPHRASE_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the unlock agent")?;
    {
        let mut pipe = child.stdin.take().context("the agent's input")?;
        pipe.write_all(&unlocked.binding.identity_digest)?;
        pipe.write_all(&text)?;
    }
    drop(text);
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out).read_line(&mut line)?;
    }
    let line = line.trim();
    if line != "ready" {
        let _ = child.wait();
        let why = line
            .strip_prefix("error: ")
            .unwrap_or("it stopped without saying why");
        bail!("the journal could not be unlocked: {why}");
    }
    println!(
        "Unlocked for {}: commands for this journal will not ask for the passphrase until then.",
        describe(lifetime)
    );
    println!("`attune lock` locks it again now.");
    Ok(())
}

/// `attune lock`.
pub(crate) fn lock(ctx: &Ctx) -> Result<()> {
    if !Store::exists(&ctx.dir) {
        return Err(attune_client::StoreError::NotInitialised(ctx.dir.clone()).into());
    }
    if agent::lock(&ctx.dir)? {
        println!("Locked: the next command asks for the passphrase again.");
    } else {
        println!("The journal was not unlocked; nothing to lock.");
    }
    Ok(())
}

/// `90s`, `15m`, `1h`, `1h30m`: at least a second, at most [`MAX_LIFETIME`].
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || anyhow::anyhow!("{text:?} is not a duration; write it like 30s, 15m, 1h or 1h30m");
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    let lifetime = Duration::from_secs(total);
    if lifetime > MAX_LIFETIME {
        bail!("{text} is longer than an unlock may last (24h)");
    }
    Ok(lifetime)
}

fn describe(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (h, 0, 0) if h > 0 => format!("{h} hour{}", if h == 1 { "" } else { "s" }),
        (0, m, 0) if m > 0 => format!("{m} minute{}", if m == 1 { "" } else { "s" }),
        (0, 0, s) => format!("{s} second{}", if s == 1 { "" } else { "s" }),
        (h, m, s) => format!("{h}h{m:02}m{s:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_written() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("24h").unwrap(), MAX_LIFETIME);
        for bad in [
            "",
            "0s",
            "10",
            "1d",
            "h",
            "1h 30m",
            "-5m",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("25h")
            .unwrap_err()
            .to_string()
            .contains("24h"));
    }

    #[test]
    fn durations_are_described_plainly() {
        assert_eq!(describe(Duration::from_secs(3600)), "1 hour");
        assert_eq!(describe(Duration::from_secs(120)), "2 minutes");
        assert_eq!(describe(Duration::from_secs(2)), "2 seconds");
        assert_eq!(describe(Duration::from_secs(5400)), "1h30m00s");
    }
}
