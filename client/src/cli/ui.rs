//! `attune ui`: the local web UI, opened in the browser.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::Ctx;

/// `attune ui` options.
#[derive(Args)]
pub struct UiArgs {
    /// The port on 127.0.0.1 (default: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Print the link instead of opening the browser (it works once).
    #[arg(long)]
    pub no_open: bool,
    /// Hide the journal after this many minutes without activity (0: never).
    #[arg(long, value_name = "MINUTES", default_value_t = 10.0)]
    pub idle_lock: f64,
    /// Do not sync with the relay while the page is open.
    #[arg(long)]
    pub no_sync: bool,
}

/// Run `attune ui` until Ctrl-C.
pub fn ui(ctx: &Ctx, args: UiArgs) -> Result<()> {
    if !(args.idle_lock.is_finite() && args.idle_lock >= 0.0) {
        bail!("--idle-lock takes minutes, such as 10 or 0.5");
    }
    let store = ctx.open()?;
    let identity = store.identity().clone();
    let passphrase_protected = store.config().passphrase_protected;
    drop(store);
    let idle_lock = if args.idle_lock == 0.0 {
        Duration::from_secs(100 * 365 * 86_400)
    } else {
        Duration::from_secs_f64(args.idle_lock * 60.0)
    };
    // One line per request on stderr with RUST_LOG=info: method, route shape, status.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the local server")?;
    rt.block_on(async {
        let mut options = attune_ui::UiOptions::new(ctx.dir.clone(), identity);
        options.port = args.port;
        options.idle_lock = idle_lock;
        options.passphrase_protected = passphrase_protected;
        options.live_sync = !args.no_sync;
        let ui = attune_ui::Ui::bind(options).await?;
        let url = ui.opening_url();
        let address = ui.address().map(|a| a.to_string()).unwrap_or_default();
        if args.no_open {
            println!("Open this link in your browser (it works once): {url}");
        } else {
            open_browser(&url)?;
            println!("Attune is open in your browser (http://{address}/).");
        }
        println!("Only this computer can reach it. Press Ctrl-C to stop.");
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        ui.run(stop).await?;
        println!("Stopped.");
        anyhow::Ok(())
    })
}

/// Open the link through a page only this user can read, so that the
/// one-time token never appears in another process's command line.
fn open_browser(url: &str) -> Result<()> {
    let folder = tempfile::Builder::new()
        .prefix("attune-ui-")
        .tempdir()
        .context("making a private folder for the opening page")?;
    let page = folder.path().join("open.html");
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={url}\"><title>Attune</title></head><body><p>Opening Attune…</p></body></html>"
    );
    std::fs::write(&page, html).context("writing the opening page")?;
    opener::open_browser(&page).context("opening the browser; try `attune ui --no-open`")?;
    // The browser reads the page within moments; the token works once anyway.
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(30));
        drop(folder);
    });
    Ok(())
}
