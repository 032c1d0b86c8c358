//! Helpers for the end-to-end tests: the shared test kit (real binaries, a
//! real relay process, devices driven through the real CLI), and the few
//! checks that look inside a device's journal in-process.

pub use attune_testkit::*;

pub mod ui;

/// Open a device's journal in-process (no passphrase).
pub fn open_store(d: &Device) -> attune_client::Store {
    attune_client::Store::open(&d.dir, &mut || {
        Err(attune_client::StoreError::PassphraseRequired)
    })
    .expect("open store")
}

/// Every envelope the relay holds for the store's journal, fetched as that device.
pub fn relay_envelopes(
    relay: &Relay,
    store: &attune_client::Store,
) -> Vec<attune_proto::StoredEnvelope> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let client = attune_client::sync::RelayClient::connect(
            &relay.url,
            store.config().journal().expect("journal id"),
            store.config().device_id,
            store.identity(),
            None,
        )
        .await
        .expect("connect to the relay");
        client
            .pull(attune_proto::RelaySeq(0), 1000)
            .await
            .expect("pull")
            .envelopes
    })
}

/// Run a future to completion on a fresh single-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// A device's journal and device ids.
pub fn ids_of(d: &Device) -> (attune_proto::JournalId, attune_proto::DeviceId) {
    let store = open_store(d);
    (
        store.config().journal().expect("journal id"),
        store.config().device_id,
    )
}

/// A session with the relay as device `d`, for a test playing a hostile member.
pub fn session_as(relay: &Relay, d: &Device) -> attune_client::sync::RelayClient {
    let store = open_store(d);
    block_on(attune_client::sync::RelayClient::connect(
        &relay.url,
        store.config().journal().expect("journal id"),
        store.config().device_id,
        store.identity(),
        None,
    ))
    .expect("connect to the relay")
}

/// The 24 recovery words `attune init` prints (numbered "1. word 2. word …").
pub fn words_from_init(out: &str) -> String {
    let after = out
        .split("Your recovery words")
        .nth(1)
        .expect("init prints the words");
    let tokens: Vec<&str> = after.split_whitespace().collect();
    tokens
        .windows(2)
        .filter(|w| w[0].ends_with('.') && w[0].trim_end_matches('.').parse::<u32>().is_ok())
        .map(|w| w[1])
        .collect::<Vec<_>>()
        .join(" ")
}
