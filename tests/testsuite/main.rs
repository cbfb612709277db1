//! terrane's integration tests: one binary, one module per area.
//!
//! Tests that need AWS start their own emulator (moto's server) on a free
//! loopback port and check results with independent Describe calls.

mod bad_input;
mod builtin_types;
mod check_blocks;
mod ci_gate;
mod cli_behaviour;
mod data_sources;
mod diagnostics;
mod disaster_recovery;
mod faults;
mod fmt;
mod functions_differential;
mod import;
mod journal_crash;
mod limits;
mod module_install;
mod modules_engine;
mod modules_stack;
mod moved_removed;
mod network_stack;
mod plan_contract;
mod plan_engine;
mod policy;
mod production_stack;
mod progress;
mod provider_arguments;
mod provider_attachments;
mod provider_classic_elb;
mod provider_compute;
mod provider_edge;
mod provider_iam;
mod provider_instances;
mod provider_network;
mod provider_network_acls;
mod provider_platform;
mod provider_replayed;
mod provider_routing;
mod provider_security_rules;
mod provider_settings;
mod provider_storage;
mod scale;
mod state_migrate;
mod state_s3;
mod support;
mod terraform_ci;
mod terraform_compat;
mod workspaces;
mod zero_orphans;
