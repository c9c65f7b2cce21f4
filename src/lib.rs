//! hardpin: a codemod that hardens CI/CD pipelines.
//!
//! The library holds everything but argument parsing: the edit engine
//! ([`edit`], [`yaml`]), reference parsing ([`refs`]), resolution
//! ([`resolve`]), the transforms, and the pipeline that ties them together.
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
