//! The area handles of [`TheHive`], and the status routes.

use crate::api::alert::Alerts;
use crate::api::case::Cases;
use crate::api::connector::{Cortex, Misp};
use crate::api::directory::{Organisations, Profiles, Users};
use crate::api::entity::{
    CaseTemplates, CustomFields, ObservableTypes, PageTemplates, Pages, Procedures, Statuses,
};
use crate::api::observable::Observables;
use crate::api::platform::{Admin, Audit, Auth, CaseReports, Describe, Export, UserConfig};
use crate::api::query::QueryApi;
use crate::api::records::{Catalog, Dashboard, Function, Pattern, Records, Tag, Taxonomy, View};
use crate::api::task::{Comments, Logs, Tasks};
use crate::model::{PublicStatus, Status};
use crate::{Result, TheHive};

impl TheHive {
    /// Alerts.
    #[must_use]
    pub fn alerts(&self) -> Alerts<'_> {
        Alerts { hive: self }
    }
    /// Cases, and what hangs off them (tasks, observables, pages, shares, links, timeline).
    #[must_use]
    pub fn cases(&self) -> Cases<'_> {
        Cases { hive: self }
    }
    /// Observables.
    #[must_use]
    pub fn observables(&self) -> Observables<'_> {
        Observables { hive: self }
    }
    /// Tasks.
    #[must_use]
    pub fn tasks(&self) -> Tasks<'_> {
        Tasks { hive: self }
    }
    /// Task logs.
    #[must_use]
    pub fn logs(&self) -> Logs<'_> {
        Logs { hive: self }
    }
    /// Comments.
    #[must_use]
    pub fn comments(&self) -> Comments<'_> {
        Comments { hive: self }
    }
    /// Users and API keys.
    #[must_use]
    pub fn users(&self) -> Users<'_> {
        Users { hive: self }
    }
    /// Organisations.
    #[must_use]
    pub fn organisations(&self) -> Organisations<'_> {
        Organisations { hive: self }
    }
    /// Profiles and permissions.
    #[must_use]
    pub fn profiles(&self) -> Profiles<'_> {
        Profiles { hive: self }
    }
    /// Custom field definitions.
    #[must_use]
    pub fn custom_fields(&self) -> CustomFields<'_> {
        CustomFields { hive: self }
    }
    /// Observable types.
    #[must_use]
    pub fn observable_types(&self) -> ObservableTypes<'_> {
        ObservableTypes { hive: self }
    }
    /// Case templates.
    #[must_use]
    pub fn case_templates(&self) -> CaseTemplates<'_> {
        CaseTemplates { hive: self }
    }
    /// Page templates.
    #[must_use]
    pub fn page_templates(&self) -> PageTemplates<'_> {
        PageTemplates { hive: self }
    }
    /// The organisation's knowledge-base pages.
    #[must_use]
    pub fn pages(&self) -> Pages<'_> {
        Pages { hive: self }
    }
    /// Procedures (TTPs).
    #[must_use]
    pub fn procedures(&self) -> Procedures<'_> {
        Procedures { hive: self }
    }
    /// Alert status definitions.
    #[must_use]
    pub fn alert_statuses(&self) -> Statuses<'_> {
        Statuses {
            hive: self,
            path: "alertStatus",
        }
    }
    /// Case status definitions.
    #[must_use]
    pub fn case_statuses(&self) -> Statuses<'_> {
        Statuses {
            hive: self,
            path: "caseStatus",
        }
    }
    /// Cortex through TheHive's connector.
    #[must_use]
    pub fn cortex(&self) -> Cortex<'_> {
        Cortex { hive: self }
    }
    /// MISP through TheHive's connector.
    #[must_use]
    pub fn misp(&self) -> Misp<'_> {
        Misp { hive: self }
    }
    /// The Query API.
    #[must_use]
    pub fn query(&self) -> QueryApi<'_> {
        QueryApi { hive: self }
    }
    /// Exports of query results.
    #[must_use]
    pub fn export(&self) -> Export<'_> {
        Export { hive: self }
    }
    /// Maintenance.
    #[must_use]
    pub fn admin(&self) -> Admin<'_> {
        Admin { hive: self }
    }
    /// The data model description.
    #[must_use]
    pub fn describe(&self) -> Describe<'_> {
        Describe { hive: self }
    }
    /// Per-user UI configuration.
    #[must_use]
    pub fn user_config(&self) -> UserConfig<'_> {
        UserConfig { hive: self }
    }
    /// The audit trail.
    #[must_use]
    pub fn audit(&self) -> Audit<'_> {
        Audit { hive: self }
    }
    /// Session authentication and second factor.
    #[must_use]
    pub fn auth(&self) -> Auth<'_> {
        Auth { hive: self }
    }
    /// Case reports.
    #[must_use]
    pub fn case_reports(&self) -> CaseReports<'_> {
        CaseReports { hive: self }
    }
    /// Dashboards.
    #[must_use]
    pub fn dashboards(&self) -> Records<'_, Dashboard> {
        Records::new(self)
    }
    /// Saved list views.
    #[must_use]
    pub fn views(&self) -> Records<'_, View> {
        Records::new(self)
    }
    /// Functions.
    #[must_use]
    pub fn functions(&self) -> Records<'_, Function> {
        Records::new(self)
    }
    /// Taxonomies.
    #[must_use]
    pub fn taxonomies(&self) -> Records<'_, Taxonomy> {
        Records::new(self)
    }
    /// Taxonomy tags.
    #[must_use]
    pub fn tags(&self) -> Records<'_, Tag> {
        Records::new(self)
    }
    /// ATT&CK catalogs.
    #[must_use]
    pub fn catalogs(&self) -> Records<'_, Catalog> {
        Records::new(self)
    }
    /// ATT&CK patterns.
    #[must_use]
    pub fn patterns(&self) -> Records<'_, Pattern> {
        Records::new(self)
    }

    /// The platform status: versions, connectors, configuration (`GET /api/v1/status`).
    ///
    /// # Errors
    /// A status or decode error.
    pub async fn status(&self) -> Result<Status> {
        self.get(&["status"]).await
    }

    /// The status any client may read without credentials (`GET /api/v1/status/public`).
    ///
    /// # Errors
    /// A status or decode error.
    pub async fn public_status(&self) -> Result<PublicStatus> {
        self.get(&["status", "public"]).await
    }
}
