//! End-to-end tests of `soc` against the embedded lab.

mod bucket;
mod cli;
mod config;
mod doctor;
mod enrich;
mod feed_sync;
mod housekeeping;
mod rotate;
mod serve;
mod setup;
mod smoke;
mod support;
mod wazuh;
