//! The paths a client builds are the relay's route templates, filled in.

use std::collections::HashSet;

use attune_proto::routes::{self, PairingSide};
use attune_proto::{DeviceId, JournalId, RelaySeq};

const JOURNAL: JournalId = JournalId([0xab; 16]);

/// Fills a template's parameters the way axum would match them.
fn fill(template: &str, side: &str) -> String {
    template
        .replace("{jid}", &JOURNAL.to_string())
        .replace("{nameplate}", "42")
        .replace("{side}", side)
        .replace("{device}", &DEVICE.to_string())
}

const DEVICE: DeviceId = DeviceId([0xcd; 16]);

#[test]
fn built_paths_match_their_templates() {
    let journal_paths = [
        (routes::CHALLENGE, routes::challenge(JOURNAL)),
        (routes::SESSION, routes::session(JOURNAL)),
        (routes::RESEED, routes::reseed(JOURNAL)),
        (routes::RECOVERY, routes::recovery(DEVICE)),
        (routes::ROSTER, routes::roster(JOURNAL)),
        (routes::KEYS, routes::keys(JOURNAL)),
        (routes::ENVELOPES, routes::push(JOURNAL)),
        (routes::LIVE, routes::live(JOURNAL)),
        (routes::PAIRING_OPEN, routes::pairing_open(JOURNAL)),
        (routes::SNAPSHOT, routes::snapshot(JOURNAL)),
        (routes::COMPACT, routes::compact(JOURNAL)),
        (routes::PAIRING, routes::pairing(42)),
    ];
    for (template, built) in journal_paths {
        assert_eq!(built, fill(template, ""), "{template}");
    }
    for side in [PairingSide::Existing, PairingSide::New] {
        assert_eq!(
            routes::pairing_messages(42, side),
            fill(routes::PAIRING_MESSAGES, side.as_str())
        );
        assert_eq!(
            routes::pairing_read(42, side, 3),
            format!("{}?after=3", fill(routes::PAIRING_MESSAGES, side.as_str()))
        );
    }
    assert_eq!(
        routes::pull(JOURNAL, RelaySeq(9), 100),
        format!("{}?after=9&limit=100", fill(routes::ENVELOPES, ""))
    );
}

#[test]
fn the_wire_paths_do_not_change() {
    // Deployed clients request exactly these.
    let j = "abababababababababababababababab";
    assert_eq!(
        routes::challenge(JOURNAL),
        format!("/v1/journals/{j}/challenge")
    );
    assert_eq!(routes::push(JOURNAL), format!("/v1/journals/{j}/envelopes"));
    assert_eq!(routes::live(JOURNAL), format!("/v1/journals/{j}/ws"));
    assert_eq!(
        routes::pairing_messages(7, PairingSide::New),
        "/v1/pairing/7/new"
    );
    assert_eq!(routes::reseed(JOURNAL), format!("/v1/journals/{j}/reseed"));
    assert_eq!(
        routes::recovery(DEVICE),
        "/v1/recovery/cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
    );
    assert_eq!(routes::HEALTH, "/healthz");
    assert_eq!(routes::READY, "/readyz");
    assert_eq!(routes::METRICS, "/metrics");
}

#[test]
fn templates_are_distinct_and_use_only_known_parameters() {
    let mut seen = HashSet::new();
    for &template in routes::ALL {
        assert!(seen.insert(template), "{template} is declared twice");
        assert!(template.starts_with('/'), "{template}");
        let bare = template
            .replace("{jid}", "")
            .replace("{nameplate}", "")
            .replace("{side}", "")
            .replace("{device}", "");
        assert!(
            !bare.contains('{') && !bare.contains('}') && !bare.contains(':'),
            "{template} has a parameter clients cannot fill"
        );
    }
}

#[test]
fn pairing_sides_parse_back() {
    for side in [PairingSide::Existing, PairingSide::New] {
        assert_eq!(PairingSide::parse(side.as_str()), Some(side));
    }
    assert_eq!(PairingSide::parse("other"), None);
}
