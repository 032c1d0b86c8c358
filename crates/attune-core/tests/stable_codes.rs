//! Saved and sent forms of kinds, choices and field values: binary formats
//! carry the stable codes, JSON keeps its keys. These bytes are golden: a
//! change here relabels data that month views and snapshots already hold.

use std::collections::{BTreeMap, BTreeSet};

use attune_core::schema::{Answer, Modality, SessionFormat, Setting, Technique, WinType};
use attune_core::{Entry, EntryId, EntryKind, FieldValue, Timestamp};
use serde_json::json;

fn postcard<T: serde::Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).unwrap()
}

#[test]
fn binary_forms_are_the_stable_codes() {
    // Every known choice is written as its code, whatever its place in the list.
    for kind in EntryKind::ALL {
        assert_eq!(postcard(kind), [kind.code() as u8], "{kind}");
    }
    assert_eq!(postcard(&EntryKind::Conversation), [0x01]);
    assert_eq!(postcard(&EntryKind::Note), [0x0b]);
    assert_eq!(postcard(&EntryKind::Newer(300)), [0xac, 0x02]);
    assert_eq!(postcard(&Answer::No), [0x03]);
    assert_eq!(postcard(&Setting::Online), [0x05]);
    assert_eq!(postcard(&Technique::Senses54321), [0x01]);
    assert_eq!(postcard(&SessionFormat::Peer), [0x03]);
    assert_eq!(postcard(&Modality::Emdr), [0x02]);
    assert_eq!(postcard(&WinType::ReachedOut), [0x04]);

    // Field values: the stable tag, then the value.
    assert_eq!(
        postcard(&FieldValue::Text("hi".into())),
        [0x01, 0x02, b'h', b'i']
    );
    assert_eq!(postcard(&FieldValue::Int(-3)), [0x02, 0x05]);
    let mut real = vec![0x03];
    real.extend_from_slice(&1.5f64.to_le_bytes());
    assert_eq!(postcard(&FieldValue::Real(1.5)), real);
    assert_eq!(postcard(&FieldValue::Answer(Answer::Partly)), [0x04, 0x02]);
    assert_eq!(
        postcard(&FieldValue::Setting(Setting::Online)),
        [0x05, 0x05]
    );
    assert_eq!(
        postcard(&FieldValue::Technique(Technique::Breathing)),
        [0x06, 0x04]
    );
    assert_eq!(
        postcard(&FieldValue::SessionFormat(SessionFormat::Group)),
        [0x07, 0x02]
    );
    assert_eq!(
        postcard(&FieldValue::Modality(Modality::Other)),
        [0x08, 0x03]
    );
    assert_eq!(
        postcard(&FieldValue::WinType(WinType::Paused)),
        [0x09, 0x02]
    );
    assert_eq!(postcard(&FieldValue::Newer), [0x0a]);
}

fn sample_entry() -> Entry {
    let mut fields = BTreeMap::new();
    fields.insert("setting".to_string(), FieldValue::Setting(Setting::Work));
    fields.insert("connection".to_string(), FieldValue::Int(4));
    fields.insert("relationship".to_string(), FieldValue::Text("Ana".into()));
    fields.insert("energy".to_string(), FieldValue::Newer);
    Entry {
        id: EntryId([0xab; 16]),
        kind: EntryKind::Conversation,
        schema_version: 1,
        created: Timestamp::new(1_000, 60),
        edited: Timestamp::new(2_000, -60),
        body: "b".into(),
        notes: String::new(),
        tags: BTreeSet::from(["t".to_string()]),
        people: BTreeSet::new(),
        steadiness: Some(3),
        fields,
        deleted: false,
    }
}

#[test]
fn a_whole_entry_has_golden_bytes_and_round_trips() {
    let entry = sample_entry();
    let bytes = postcard(&entry);
    assert_eq!(
        hex(&bytes),
        concat!(
            "abababababababababababababababab", // id
            "01",                               // kind: conversation
            "01",                               // schema version
            "d00f78",                           // created: 1000 ms, +60
            "a01f77",                           // edited: 2000 ms, -60
            "0162",                             // body
            "00",                               // notes
            "010174",                           // tags
            "00",                               // people
            "0103",                             // steadiness
            "04",                               // four fields, by key:
            "0a636f6e6e656374696f6e0208",       //   connection: int 4
            "06656e65726779",                   //   energy:
            "0a",                               //     newer
            "0c72656c6174696f6e73686970",       //   relationship:
            "0103416e61",                       //     text "Ana"
            "0773657474696e670504",             //   setting: setting, work
            "00",                               // not deleted
        )
    );
    assert_eq!(postcard::from_bytes::<Entry>(&bytes).unwrap(), entry);

    let newer = Entry {
        kind: EntryKind::Newer(42),
        ..entry
    };
    let read: Entry = postcard::from_bytes(&postcard(&newer)).unwrap();
    assert_eq!(read.kind, EntryKind::Newer(42));
    assert!(read.has_newer_parts());
}

#[test]
fn unknown_binary_tags_are_refused_not_misread() {
    assert!(postcard::from_bytes::<FieldValue>(&[0x0b, 0x01]).is_err());
    assert!(postcard::from_bytes::<FieldValue>(&[0x00, 0x01]).is_err());
    assert!(postcard::from_bytes::<Setting>(&[0x06]).is_err());
    assert!(postcard::from_bytes::<Setting>(&[0x00]).is_err());
    // A kind this build does not know is kept by its code.
    assert_eq!(
        postcard::from_bytes::<EntryKind>(&[0x0c]).unwrap(),
        EntryKind::Newer(12)
    );
}

#[test]
fn json_keeps_its_keys_and_shape() {
    for kind in EntryKind::ALL {
        assert_eq!(to_json(kind), json!(kind.key()));
    }
    assert_eq!(
        to_json(&EntryKind::SelfCompassion),
        json!("self-compassion")
    );
    assert_eq!(to_json(&EntryKind::CheckIn), json!("check-in"));
    assert_eq!(to_json(&EntryKind::MicroWin), json!("micro-win"));
    assert_eq!(to_json(&Setting::OneOnOne), json!("one-on-one"));
    assert_eq!(to_json(&Setting::SmallGathering), json!("small-gathering"));
    assert_eq!(
        to_json(&Technique::BodySensations),
        json!("body-sensations")
    );
    assert_eq!(
        to_json(&WinType::ResistedJudgment),
        json!("resisted-judgment")
    );
    assert_eq!(to_json(&WinType::ListenedFully), json!("listened-fully"));
    assert_eq!(to_json(&Modality::Emdr), json!("emdr"));
    // A newer kind has no key: JSON carries its code.
    assert_eq!(to_json(&EntryKind::Newer(12)), json!(12));

    assert_eq!(
        to_json(&FieldValue::Text("x".into())),
        json!({ "text": "x" })
    );
    assert_eq!(to_json(&FieldValue::Int(4)), json!({ "int": 4 }));
    assert_eq!(to_json(&FieldValue::Real(7.5)), json!({ "real": 7.5 }));
    assert_eq!(
        to_json(&FieldValue::Answer(Answer::Yes)),
        json!({ "answer": "yes" })
    );
    assert_eq!(
        to_json(&FieldValue::Setting(Setting::Online)),
        json!({ "setting": "online" })
    );
    assert_eq!(
        to_json(&FieldValue::SessionFormat(SessionFormat::Peer)),
        json!({ "session-format": "peer" })
    );
    assert_eq!(
        to_json(&FieldValue::Modality(Modality::Narrative)),
        json!({ "modality": "narrative" })
    );
    assert_eq!(
        to_json(&FieldValue::WinType(WinType::Paused)),
        json!({ "win-type": "paused" })
    );
    assert_eq!(to_json(&FieldValue::Newer), json!("newer"));

    // The whole entry, and back.
    let entry = sample_entry();
    let value = serde_json::to_value(&entry).unwrap();
    assert_eq!(value["kind"], json!("conversation"));
    assert_eq!(
        value["fields"],
        json!({
            "connection": { "int": 4 },
            "energy": "newer",
            "relationship": { "text": "Ana" },
            "setting": { "setting": "work" },
        })
    );
    assert_eq!(serde_json::from_value::<Entry>(value).unwrap(), entry);
}

#[test]
fn json_reads_every_key_code_and_the_old_derived_names() {
    for technique in Technique::ALL {
        let text = serde_json::to_string(technique).unwrap();
        assert_eq!(
            serde_json::from_str::<Technique>(&text).unwrap(),
            *technique
        );
        let code = serde_json::to_string(&technique.code()).unwrap();
        assert_eq!(
            serde_json::from_str::<Technique>(&code).unwrap(),
            *technique
        );
    }
    // serde's derive wrote this one variant's name, not its key.
    assert_eq!(to_json_string(&Technique::Senses54321), "\"5-4-3-2-1\"");
    assert_eq!(
        serde_json::from_str::<Technique>("\"senses54321\"").unwrap(),
        Technique::Senses54321
    );
    assert_eq!(
        serde_json::from_str::<EntryKind>("12").unwrap(),
        EntryKind::Newer(12)
    );
    assert!(serde_json::from_str::<EntryKind>("\"diary\"").is_err());
    assert!(serde_json::from_str::<FieldValue>("{\"date\": 1}").is_err());
}

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap()
}

fn to_json_string<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
