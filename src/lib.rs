//! hardpin: a codemod that hardens CI/CD pipelines.
//!
//! The library holds the whole tool, so tests and the benchmark can drive
//! it: the edit engine ([`edit`], [`yaml`]), reference parsing ([`refs`]),
//! resolution ([`resolve`]), the transforms, the pipeline that ties them
//! together, and the command-line definitions ([`cli`]) that `main` parses.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod discover;
pub mod dockerfile;
pub mod edit;
pub mod image;
pub mod net;
pub mod pipeline;
pub mod pr;
pub mod printable;
pub mod publish;
pub mod refs;
pub mod report;
pub mod resolve;
pub mod secret;
pub mod source;
pub mod transforms;
pub mod verify;
pub mod version;
pub mod write;
pub mod yaml;
