//! hardpin: a codemod that hardens CI/CD pipelines.
//!
//! The library holds the whole tool, so tests and the benchmark can drive
//! it. Reading from the bottom up:
//! - [`diagnostics`]: edits, fixes, findings (depends on nothing);
//! - [`edit`], [`yaml`], [`dockerfile`], [`refs`], [`image`]: the edit
//!   engine and the parsers;
//! - [`config`], [`suppress`]: the `hardpin.toml` file and the inline
//!   `# hardpin: ignore` comments, read into answers the commands apply;
//! - [`resolve`]: the [`resolve::Resolver`] trait, over the network or in
//!   memory;
//! - [`transforms`]: what to change, as pure functions of a file and the
//!   resolved answers;
//! - [`pipeline`]: one run, discover → load → collect → resolve → fix →
//!   verify → write;
//! - [`setup`], [`render`], [`progress`], [`app`], [`pr`]: the command line
//!   in, the report out (the argument definitions are in [`cli`], which
//!   `main` parses; [`generate`] turns them into completions and a man page).
#![forbid(unsafe_code)]

pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod diagnostics;
pub mod discover;
pub mod dockerfile;
pub mod edit;
pub mod generate;
pub mod image;
pub mod net;
pub mod pipeline;
pub mod pr;
pub mod printable;
pub mod progress;
pub mod publish;
pub mod refs;
pub mod render;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod secret;
pub mod setup;
pub mod source;
pub mod suppress;
pub mod transforms;
pub mod verify;
pub mod version;
pub mod write;
pub mod yaml;
