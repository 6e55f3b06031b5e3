//! Integration tests of `es-ops` against local mocks of Elasticsearch 7, 8 and OpenSearch, and
//! against an Elasticsearch-compatible emulator when one is running.

mod bulk;
mod emulator;
mod guard;
mod hostile;
mod lab;
mod models;
mod operations;
mod support;
mod versions;
