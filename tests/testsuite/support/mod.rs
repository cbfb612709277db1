//! Shared test support: the AWS emulator and helpers to run the real binary.

pub mod checks;
pub mod cli;
pub mod emulator;
pub mod fixtures;
pub mod inventory;
pub mod proxy;
pub mod replay;
pub mod terraform;

pub use emulator::Emulator;
