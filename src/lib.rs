//! terrane: a Terraform-style AWS provisioner.
//!
//! The flow of a run follows the module order: `cli` parses the command line,
//! `lang` loads and evaluates the stack's `.tf` files, `graph` orders the
//! blocks by their references, `plan` diffs configuration against refreshed
//! state, and `apply` carries the plan out through `provider`, recording every
//! step in `state`. `ops` strings these together for each command.
//! See docs/ARCHITECTURE.md.

pub mod addr;
pub mod apply;
pub mod cli;
pub mod diag;
pub mod graph;
pub mod lang;
pub mod number;
pub mod ops;
pub mod plan;
pub mod policy;
pub mod progress;
pub mod provider;
pub mod retry;
pub mod state;
pub mod value;
