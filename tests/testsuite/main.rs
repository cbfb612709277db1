//! terrane's integration tests: one binary, one module per area.
//!
//! Tests that need AWS start their own emulator (moto's server) on a free
//! loopback port and check results with independent Describe calls.

mod diagnostics;
mod provider_compute;
mod provider_network;
mod support;
