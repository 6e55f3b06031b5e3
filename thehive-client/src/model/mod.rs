//! Request and response types. Every response model keeps the fields it does not know in
//! `extra`, so that a read-modify-write never loses data.

mod alert;
mod case;
mod comment;
mod common;
mod cortex;
mod meta;
mod misc;
mod observable;
mod procedure;
mod task;
mod user;

pub use alert::{Alert, AlertUpdate, InputAlert, PromoteAlert};
pub use case::{Case, CaseUpdate, InputCase};
pub use comment::{Comment, InputComment};
pub use common::{
    AlertId, ApiError, Attachment, AttachmentId, Attachments, CaseId, CommentId, CustomFieldValue,
    CustomFields, Entity, JobId, LogId, ObservableId, OrganisationId, Pap, ProcedureId, Severity,
    ShareId, TaskId, Tlp, UserId,
};
pub use cortex::{Action, InputAction, InputJob, Job, Worker};
pub use meta::Meta;
pub use misc::{
    CaseLink, CaseTemplate, InputCustomEvent, InputPage, InputShare, ObservableType, Page,
    PublicStatus, Share, Status, StatusDefinition, Timeline, TimelineEvent,
};
pub use observable::{
    InputObservable, Observable, ObservableData, ReportSummary, Taxonomy, TaxonomyLevel,
};
pub use procedure::{CustomField, InputCustomField, InputProcedure, Procedure};
pub use task::{InputLog, InputTask, Log, Task};
pub use user::{
    InputOrganisation, InputProfile, InputUser, Organisation, OrganisationLink, Profile, User,
    UserOrganisation,
};
