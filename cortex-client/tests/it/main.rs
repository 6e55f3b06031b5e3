//! Integration tests of `cortex-client` against a local mock of Cortex.

mod bootstrap;
mod errors;
mod fixtures;
mod hostile;
mod lab;
mod operations;
mod support;
mod waiting;
