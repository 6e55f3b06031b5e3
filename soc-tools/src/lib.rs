//! The `soc` command's library: configuration, `setup`, and the clients it composes.
//!
//! `soc-tools` is where the workspace's client crates meet: it reads one `soc.toml`
//! ([`config::SocConfig`]), builds a client per service with the file's TLS and timeout
//! defaults ([`clients`]), and reconciles the stack to the file ([`setup::run`]), keeping the
//! credentials it creates in a private secrets file ([`secrets::Secrets`]).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod alert_import;
pub mod bucket;
pub mod check;
pub mod clients;
pub mod config;
pub mod doctor;
pub mod enrich;
pub mod extract;
pub mod feed_sync;
pub mod housekeeping;
pub mod progress;
pub mod report;
pub mod rotate;
pub mod secrets;
pub mod serve;
pub mod setup;
pub mod smoke;
pub mod wazuh;
