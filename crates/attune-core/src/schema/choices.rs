//! The `choice_enum!` macro and the stable choice enums it makes.

use super::choice_serde;

/// One enum of stable choices: `Variant = code, "key", "label";`.
///
/// The code is what the journal stores and what binary formats write; the key
/// is the stable machine name (`--json`, the command line); the label is for
/// people and can be reworded freely. `legacy "name"` is the name serde's
/// derive used to write in JSON where it differs from the key (still read).
/// With `, newer Variant = "label"` the enum also has `Variant(code)` for codes
/// a newer version of Attune wrote, so reading never fails on them.
macro_rules! choice_enum {
    (@from_stored $name:ident, $code:expr) => {
        $name::from_code($code)
    };
    (@from_stored $name:ident, $code:expr, $newer:ident) => {
        Some($name::from_code($code).unwrap_or($name::$newer($code)))
    };
    (
        $(#[$meta:meta])*
        $name:ident $(, newer $newer:ident = $newer_label:literal)? {
            $($variant:ident = $code:literal, $key:literal, $label:literal $(, legacy $legacy:literal)?;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(#[doc = $label] $variant,)+
            $(
                #[doc = concat!("Written by a newer version of Attune: its stored code (shown as \"", $newer_label, "\").")]
                ///
                /// Never in `ALL` and never parsed from input: this build can
                /// show such a value but not write it.
                $newer(u64),
            )?
        }

        impl $name {
            /// Every value this build knows, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The number stored in the journal.
            pub fn code(self) -> u64 {
                match self {
                    $($name::$variant => $code,)+
                    $($name::$newer(code) => code,)?
                }
            }

            /// The value for a stored number, if this build knows it.
            pub fn from_code(code: u64) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// The stable machine key (used in `--json` output and on the command line).
            pub fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key,)+
                    $($name::$newer(_) => "newer",)?
                }
            }

            /// The words shown to people.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                    $($name::$newer(_) => $newer_label,)?
                }
            }

            /// Parse a key, a label or a stored number, ignoring case (values this build knows only).
            pub fn parse(input: &str) -> Option<Self> {
                let wanted = input.trim().to_lowercase();
                Self::ALL.iter().copied().find(|v| {
                    v.key() == wanted || v.label().to_lowercase() == wanted || v.code().to_string() == wanted
                })
            }
        }

        impl choice_serde::Choice for $name {
            const NAME: &'static str = stringify!($name);
            const KEYS: &'static [&'static str] = &[$($key),+];

            fn from_stored_code(code: u64) -> Option<Self> {
                choice_enum!(@from_stored $name, code $(, $newer)?)
            }

            fn from_stored_key(key: &str) -> Option<Self> {
                match key {
                    $($key $(| $legacy)? => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if !serializer.is_human_readable() {
                    return serializer.serialize_u64(self.code());
                }
                match self {
                    $($name::$newer(code) => serializer.serialize_u64(*code),)?
                    known => serializer.serialize_str(known.key()),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                choice_serde::deserialize(deserializer)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

choice_enum! {
    /// What kind of moment an entry records.
    EntryKind, newer Newer = "a newer kind of entry: update Attune" {
        Conversation = 1, "conversation", "conversation";
        SelfCompassion = 2, "self-compassion", "self-compassion";
        Grounding = 3, "grounding", "grounding";
        CheckIn = 4, "check-in", "check-in";
        Session = 5, "session", "session";
        Listening = 6, "listening", "listening";
        Setback = 7, "setback", "setback";
        MicroWin = 8, "micro-win", "micro-win";
        Values = 9, "values", "values";
        Reframe = 10, "reframe", "reframe";
        Note = 11, "note", "note";
    }
}

choice_enum! {
    /// A three-way answer for reflective questions.
    Answer {
        Yes = 1, "yes", "yes";
        Partly = 2, "partly", "partly";
        No = 3, "no", "no";
    }
}

choice_enum! {
    /// Where a conversation happened.
    Setting {
        OneOnOne = 1, "one-on-one", "one-on-one";
        SmallGathering = 2, "small-gathering", "small gathering";
        Group = 3, "group", "group";
        Work = 4, "work", "work";
        Online = 5, "online", "online";
    }
}

choice_enum! {
    /// A grounding technique.
    Technique {
        Senses54321 = 1, "5-4-3-2-1", "5-4-3-2-1 senses", legacy "senses54321";
        BodySensations = 2, "body-sensations", "naming body sensations";
        Surroundings = 3, "surroundings", "describing surroundings";
        Breathing = 4, "breathing", "breathing";
        Other = 5, "other", "something else";
    }
}

choice_enum! {
    /// How a therapy or support session was held.
    SessionFormat {
        Individual = 1, "individual", "individual";
        Group = 2, "group", "group";
        Peer = 3, "peer", "peer support";
    }
}

choice_enum! {
    /// The therapeutic approach of a session.
    Modality {
        Narrative = 1, "narrative", "narrative";
        Emdr = 2, "emdr", "EMDR";
        Other = 3, "other", "other";
    }
}

choice_enum! {
    /// The shape of a small victory.
    WinType {
        ResistedJudgment = 1, "resisted-judgment", "resisted judgment";
        Paused = 2, "paused", "paused before responding";
        ListenedFully = 3, "listened-fully", "listened without relating it to my own pain";
        ReachedOut = 4, "reached-out", "reached out to someone";
        Other = 5, "other", "something else";
    }
}
