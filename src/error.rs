//! Error types of the framework.
//!
//! Every error that user input can trigger (a recipe, a command-line flag, a results folder) is a
//! variant here, so callers can match on it and the `sweep` binary can print it instead of panicking.

use std::path::PathBuf;

/// A recipe field that failed validation: its path in the recipe, the offending value and what is
/// allowed instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid recipe field `{field}` = {value}: {allowed}")]
pub struct FieldError {
    /// Dotted path of the field in the recipe, such as `task.k`.
    pub field: String,
    /// The value as written in the recipe (or as resolved for one grid point).
    pub value: String,
    /// Description of the accepted values.
    pub allowed: String,
}

impl FieldError {
    /// Creates a field error from anything printable.
    pub fn new(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        allowed: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}

/// Errors of the framework.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A recipe field is out of range or inconsistent with another field.
    #[error(transparent)]
    Field(#[from] FieldError),

    /// A recipe file is not valid TOML or does not match the recipe schema.
    #[error("failed to parse recipe {path}: {message}")]
    RecipeSyntax {
        /// The recipe file.
        path: PathBuf,
        /// The parser's message, with the line and the key.
        message: String,
    },

    /// The requested backend is not compiled in or has no usable device.
    #[error("backend `{backend}` is unavailable: {reason}")]
    Backend {
        /// The backend name as given.
        backend: String,
        /// Reason and remedy.
        reason: String,
    },

    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// Failed action, such as "failed to write".
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A results file exists but cannot be used.
    #[error("invalid results file {path}: {message}")]
    Results {
        /// The file.
        path: PathBuf,
        /// Problem and remedy.
        message: String,
    },

    /// A command-line argument is invalid.
    #[error("invalid argument `{argument}` = {value}: {allowed}")]
    Argument {
        /// The flag.
        argument: &'static str,
        /// The value given.
        value: String,
        /// Description of the accepted values.
        allowed: String,
    },

    /// An analysis could not be computed from a checkpoint.
    #[error("analysis failed at step {step}: {message}")]
    Analysis {
        /// The checkpoint step.
        step: usize,
        /// Description of the failure.
        message: String,
    },
}

impl Error {
    /// Wraps an I/O error with the action and the path it concerned.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Result alias of the framework.
pub type Result<T, E = Error> = std::result::Result<T, E>;
