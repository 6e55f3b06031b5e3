//! Request and response types. Every response model keeps the fields it does not know
//! (including `_routing`, `_parent`, `_version`, `_seqNo`, `_primaryTerm`) in `extra`, so a
//! read-modify-write never loses data.

mod job;
mod meta;
mod user;
mod worker;

pub use job::{
    Artifact, FailedReport, FinishedReport, Job, JobInput, JobState, JobStatus, Report,
    ResponderInput, Summary, Taxonomy, TaxonomyLevel,
};
pub use meta::Meta;
pub use user::{InputOrganization, InputUser, LoggedIn, Organization, Status, User};
pub use worker::{EnableWorker, Worker, WorkerConfig, WorkerDefinition};
