//! Integration tests of `cortex-client` against a local mock of Cortex.

mod bootstrap;
mod errors;
mod fixtures;
mod hostile;
mod operations;
mod support;
mod waiting;
