//! End-to-end tests of `soc` against the embedded lab.

mod cli;
mod config;
mod doctor;
mod setup;
mod support;
