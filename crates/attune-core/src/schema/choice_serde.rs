use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

/// What the generated `Deserialize` impls need of a choice enum.
pub(super) trait Choice: Sized {
    /// What the enum is called in error messages.
    const NAME: &'static str;
    /// Every key this build knows, for error messages.
    const KEYS: &'static [&'static str];
    /// The value for a stored code, if this build can represent it.
    fn from_stored_code(code: u64) -> Option<Self>;
    /// The value for a stable key, or for a name older builds wrote in text formats.
    fn from_stored_key(key: &str) -> Option<Self>;
}

struct ChoiceVisitor<T>(PhantomData<T>);

impl<T: Choice> Visitor<'_> for ChoiceVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} key or code", T::NAME)
    }

    fn visit_u64<E: de::Error>(self, code: u64) -> Result<T, E> {
        T::from_stored_code(code)
            .ok_or_else(|| E::custom(format_args!("unknown {} code {code}", T::NAME)))
    }

    fn visit_i64<E: de::Error>(self, code: i64) -> Result<T, E> {
        let code = u64::try_from(code)
            .map_err(|_| E::custom(format_args!("unknown {} code {code}", T::NAME)))?;
        self.visit_u64(code)
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<T, E> {
        T::from_stored_key(key).ok_or_else(|| E::unknown_variant(key, T::KEYS))
    }
}

pub(super) fn deserialize<'de, T: Choice, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    if deserializer.is_human_readable() {
        deserializer.deserialize_any(ChoiceVisitor(PhantomData))
    } else {
        deserializer.deserialize_u64(ChoiceVisitor(PhantomData))
    }
}
