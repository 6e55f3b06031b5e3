//! Integration tests of `misp-client` against a local mock of MISP (and, when
//! `MISP_MODULES_URL` is set, a real misp-modules).

mod errors;
mod fixtures;
mod hostile;
mod lab;
mod modules;
mod operations;
mod pymisp_routes;
mod search;
mod support;
