//! Loading and evaluating stack files written in Terraform's language.
//!
//! - `load` turns file texts into a [`Config`] (`config`: blocks with source
//!   spans) and checks them against the schemas; `syntax` explains the
//!   files the parser rejects.
//! - `references` finds what an expression refers to (the graph's edges).
//! - `eval` evaluates one expression to a `Value`, with Terraform's
//!   built-in functions in `functions` and type constraints in `types`.
//! - `body` evaluates a resource's arguments and blocks against its schema;
//!   `block_eval` evaluates whole blocks and holds the table of values that
//!   references resolve through while plan or apply walks the graph.
//! - `modules` joins called modules' blocks to the configuration, one copy
//!   per module instance, and checks calls against the modules they call.
//! - `variables` resolves input variables; `provider_config` evaluates the
//!   `provider "aws"` block; `backend_config` reads the `backend` block.
//!
//! Pure: no file or network I/O; the caller supplies file contents, and
//! `file()` reads through the caller's `FileReader`.

pub mod backend_config;
pub mod block_eval;
pub mod body;
pub mod config;
pub mod eval;
pub mod fmt;
pub mod functions;
pub mod generate;
pub mod load;
pub mod modules;
pub mod provider_config;
pub mod references;
pub mod syntax;
pub mod types;
pub mod variables;
pub mod version;

pub use config::*;
pub use load::load;
