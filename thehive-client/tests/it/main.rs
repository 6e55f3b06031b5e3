//! Integration tests of `thehive-client` against a local mock of TheHive.

mod errors;
mod fixtures;
mod hostile;
mod lab;
mod operations;
mod paging;
mod support;
