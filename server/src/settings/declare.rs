//! How one row of the settings table becomes a field of [`Settings`] (or of
//! its [`Config`]), a flag, an environment variable, a file key, a default and
//! a check: the [`declare_settings!`] macro and the kinds of values it knows.
//!
//! [`Settings`]: super::Settings
//! [`Config`]: super::Config

use std::time::Duration;

use super::SettingsError;

/// How a setting's given value (flag, environment or file) becomes the value
/// the relay runs with, and back (for `--print-config` and the help's defaults).
pub(super) trait Kind<Given, Value> {
    /// The value the relay runs with: `given` if set (and valid), else `default`.
    fn resolve(
        given: Option<Given>,
        default: Value,
        key: &'static str,
    ) -> Result<Value, SettingsError>;

    /// `value` as it would be given (`None`: not set).
    fn given(value: &Value) -> Option<Given>;
}

/// Any value, taken as given.
pub(super) enum Plain {}

impl<T: Clone> Kind<T, T> for Plain {
    fn resolve(given: Option<T>, default: T, _key: &'static str) -> Result<T, SettingsError> {
        Ok(given.unwrap_or(default))
    }

    fn given(value: &T) -> Option<T> {
        Some(value.clone())
    }
}

/// A count, size or rate that must be at least 1.
pub(super) enum Positive {}

impl<T: Copy + PartialEq + From<u8>> Kind<T, T> for Positive {
    fn resolve(given: Option<T>, default: T, key: &'static str) -> Result<T, SettingsError> {
        match given {
            Some(v) if v == T::from(0) => Err(SettingsError::Zero { key }),
            Some(v) => Ok(v),
            None => Ok(default),
        }
    }

    fn given(value: &T) -> Option<T> {
        Some(*value)
    }
}

/// A duration given in whole seconds, at least 1.
pub(super) enum Seconds {}

impl Kind<u64, Duration> for Seconds {
    fn resolve(
        given: Option<u64>,
        default: Duration,
        key: &'static str,
    ) -> Result<Duration, SettingsError> {
        match given {
            Some(0) => Err(SettingsError::Zero { key }),
            Some(s) => Ok(Duration::from_secs(s)),
            None => Ok(default),
        }
    }

    fn given(value: &Duration) -> Option<u64> {
        Some(value.as_secs())
    }
}

/// A value that stays unset unless given (whoever uses it knows what unset means).
pub(super) enum Unset {}

impl<T: Clone> Kind<T, Option<T>> for Unset {
    fn resolve(
        given: Option<T>,
        default: Option<T>,
        _key: &'static str,
    ) -> Result<Option<T>, SettingsError> {
        Ok(given.or(default))
    }

    fn given(value: &Option<T>) -> Option<T> {
        value.clone()
    }
}

/// Text that stays unset unless given, where empty text also means unset.
pub(super) enum UnsetIfEmpty {}

impl Kind<String, Option<String>> for UnsetIfEmpty {
    fn resolve(
        given: Option<String>,
        default: Option<String>,
        _key: &'static str,
    ) -> Result<Option<String>, SettingsError> {
        Ok(given.filter(|text| !text.is_empty()).or(default))
    }

    fn given(value: &Option<String>) -> Option<String> {
        value.clone()
    }
}

/// Declares every setting once. Each row reads
///
/// ```text
/// /// Help of the flag, docs of the field.
/// field: ValueType = default, Kind file_key: GivenType, #[arg(env = "…", value_name = "…")];
/// ```
///
/// and becomes: the field of `Settings` (rows under `relay`) or of `Config`
/// (rows under `config`) with its default; the optional field `file_key` of
/// `Overrides`, which is the TOML key and, as `--file-key`, the flag (with
/// the `#[arg]` given); and its part of `Overrides::or`, `Overrides::of` and
/// `Overrides::resolve`, where `Kind` checks and converts the value.
macro_rules! declare_settings {
    (
        relay {
            $(
                $(#[$rdoc:meta])*
                $rfield:ident: $rvalue:ty = $rdefault:expr,
                $rkind:ident $rkey:ident: $rgiven:ty, #[arg($($rarg:tt)*)];
            )*
        }
        config {
            $(
                $(#[$cdoc:meta])*
                $cfield:ident: $cvalue:ty = $cdefault:expr,
                $ckind:ident $ckey:ident: $cgiven:ty, #[arg($($carg:tt)*)];
            )*
        }
    ) => {
        /// The settings a relay runs with.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Settings {
            $( $(#[$rdoc])* pub $rfield: $rvalue, )*
            /// Limits and timings.
            pub config: Config,
        }

        impl Default for Settings {
            fn default() -> Self {
                Settings {
                    $( $rfield: $rdefault, )*
                    config: Config::default(),
                }
            }
        }

        /// Everything tunable about a running relay: its limits and timings.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Config {
            $( $(#[$cdoc])* pub $cfield: $cvalue, )*
        }

        impl Default for Config {
            fn default() -> Self {
                Config {
                    $( $cfield: $cdefault, )*
                }
            }
        }

        /// Every setting, each optional: one layer (flags and environment, or the file).
        ///
        /// The field names are the file's keys and, with `-` for `_`, the flags.
        #[derive(
            clap::Args, Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize,
        )]
        #[serde(deny_unknown_fields)]
        pub struct Overrides {
            $(
                $(#[$rdoc])*
                #[arg(long, $($rarg)*)]
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $rkey: Option<$rgiven>,
            )*
            $(
                $(#[$cdoc])*
                #[arg(long, $($carg)*)]
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $ckey: Option<$cgiven>,
            )*
        }

        impl Overrides {
            /// These settings where set, `lower`'s elsewhere.
            pub fn or(self, lower: Overrides) -> Overrides {
                Overrides {
                    $( $rkey: self.$rkey.or(lower.$rkey), )*
                    $( $ckey: self.$ckey.or(lower.$ckey), )*
                }
            }

            /// Every setting of `settings`, as it would be given (unset ones stay unset).
            pub fn of(settings: &Settings) -> Overrides {
                Overrides {
                    $( $rkey: <$rkind as Kind<$rgiven, $rvalue>>::given(&settings.$rfield), )*
                    $( $ckey: <$ckind as Kind<$cgiven, $cvalue>>::given(&settings.config.$cfield), )*
                }
            }

            /// The settings, defaults where unset; refuses zero where zero cannot work.
            pub fn resolve(self) -> Result<Settings, SettingsError> {
                let defaults = Settings::default();
                let config = Config {
                    $(
                        $cfield: <$ckind as Kind<$cgiven, $cvalue>>::resolve(
                            self.$ckey,
                            defaults.config.$cfield,
                            stringify!($ckey),
                        )?,
                    )*
                };
                Ok(Settings {
                    $(
                        $rfield: <$rkind as Kind<$rgiven, $rvalue>>::resolve(
                            self.$rkey,
                            defaults.$rfield,
                            stringify!($rkey),
                        )?,
                    )*
                    config,
                })
            }
        }
    };
}

pub(super) use declare_settings;
