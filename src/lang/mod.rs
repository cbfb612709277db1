//! Loading and evaluating stack files written in Terraform's language.
//!
//! `load` turns file texts into a [`Config`] (blocks with source spans),
//! `syntax` explains the files the parser rejects,
//! `references` finds what an expression refers to, `eval` evaluates
//! expressions, and `body` evaluates a resource's arguments against its schema.
//! Pure: no file or network I/O; the caller supplies file contents.

pub mod body;
pub mod config;
pub mod eval;
pub mod evaluator;
pub mod functions;
pub mod load;
pub mod provider_config;
pub mod references;
pub mod syntax;
pub mod types;
pub mod variables;

pub use config::*;
pub use load::load;
