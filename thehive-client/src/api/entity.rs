//! Configuration entities: custom fields, observable types, case and page templates,
//! knowledge-base pages, procedures, and alert/case statuses.

use serde::Serialize;
use serde_json::json;

use super::{finders, Ids};
use crate::api::task::one;
use crate::client::NO_BODY;
use crate::model::{
    CaseTemplate, CustomField, InputCustomField, InputPage, ObservableType, Page, Procedure,
    ProcedureId, StatusDefinition,
};
use crate::query::{Query, Search};
use crate::{Result, TheHive};

/// Custom field definitions (`/api/v1/customField`).
#[derive(Debug, Clone, Copy)]
pub struct CustomFields<'a> {
    pub(crate) hive: &'a TheHive,
}

impl CustomFields<'_> {
    /// Every custom field.
    pub async fn list(&self) -> Result<Vec<CustomField>> {
        self.hive.get(&["customField"]).await
    }

    /// Creates a custom field.
    pub async fn create(&self, field: &InputCustomField) -> Result<CustomField> {
        self.hive.post(&["customField"], field).await
    }

    /// Deletes a custom field; `force` also removes its values from every case and alert.
    pub async fn delete(&self, id: &str, force: bool) -> Result<()> {
        Ok(self
            .hive
            .request(soc_http::Method::DELETE, &["customField", id])
            .query_pair("force", if force { "true" } else { "false" })
            .no_content()
            .await?)
    }

    /// Changes a custom field (`{displayName?, group?, description?, options?, mandatory?}`).
    pub async fn update<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<()> {
        self.hive.patch(&["customField", id], fields).await
    }
}

/// Observable types (`/api/v1/observable/type`).
#[derive(Debug, Clone, Copy)]
pub struct ObservableTypes<'a> {
    pub(crate) hive: &'a TheHive,
}

impl ObservableTypes<'_> {
    /// Gets a type by id or name.
    pub async fn get(&self, id: &str) -> Result<ObservableType> {
        self.hive.get(&["observable", "type", id]).await
    }

    /// Creates a type.
    pub async fn create(&self, name: &str, is_attachment: bool) -> Result<ObservableType> {
        self.hive
            .post(
                &["observable", "type"],
                &json!({ "name": name, "isAttachment": is_attachment }),
            )
            .await
    }

    /// Makes a type case-sensitive or not.
    pub async fn update(&self, id: &str, is_case_sensitive: bool) -> Result<()> {
        self.hive
            .patch(
                &["observable", "type", id],
                &json!({ "isCaseSensitive": is_case_sensitive }),
            )
            .await
    }

    /// Deletes a type.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.hive.delete(&["observable", "type", id], NO_BODY).await
    }

    /// Lists types (`listObservableType`).
    pub async fn find(&self, search: &Search) -> Result<Vec<ObservableType>> {
        self.hive
            .query()
            .find(Query::new("listObservableType"), search, "observableTypes")
            .await
    }
}

/// Case templates (`/api/v1/caseTemplate`).
#[derive(Debug, Clone, Copy)]
pub struct CaseTemplates<'a> {
    pub(crate) hive: &'a TheHive,
}

impl CaseTemplates<'_> {
    /// Creates a template (`{name, displayName?, titlePrefix?, tasks? ...}`).
    pub async fn create<B: Serialize + ?Sized>(&self, template: &B) -> Result<CaseTemplate> {
        self.hive.post(&["caseTemplate"], template).await
    }

    /// Gets a template by name or id.
    pub async fn get(&self, id: &str) -> Result<CaseTemplate> {
        self.hive.get(&["caseTemplate", id]).await
    }

    /// Deletes a template.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.hive.delete(&["caseTemplate", id], NO_BODY).await
    }

    /// Changes a template.
    pub async fn update<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<()> {
        self.hive.patch(&["caseTemplate", id], fields).await
    }

    /// Sets the page templates of a case template.
    pub async fn link_page_templates(&self, id: &str, page_template_ids: &[&str]) -> Result<()> {
        self.hive
            .put_unit(
                &["caseTemplate", id, "pageTemplate", "link"],
                Some(&json!({ "pageTemplateIds": page_template_ids })),
            )
            .await
    }

    /// Lists templates (`listCaseTemplate`).
    pub async fn find(&self, search: &Search) -> Result<Vec<CaseTemplate>> {
        self.hive
            .query()
            .find(Query::new("listCaseTemplate"), search, "caseTemplate")
            .await
    }

    /// Lists the page templates of a case template.
    pub async fn find_page_templates(&self, id: &str, search: &Search) -> Result<Vec<Page>> {
        self.hive
            .query()
            .find(
                Query::get("getCaseTemplate", id).then("pageTemplates"),
                search,
                "pageTemplate",
            )
            .await
    }
}

/// Page templates (`/api/v1/pageTemplate`).
#[derive(Debug, Clone, Copy)]
pub struct PageTemplates<'a> {
    pub(crate) hive: &'a TheHive,
}

impl PageTemplates<'_> {
    /// Creates a page template.
    pub async fn create(&self, page: &InputPage) -> Result<Page> {
        self.hive.post(&["pageTemplate"], page).await
    }

    /// Gets a page template (through the Query API).
    pub async fn get(&self, id: &str) -> Result<Page> {
        one(
            self.hive,
            Query::get("getPageTemplate", id),
            "page template",
            id,
        )
        .await
    }

    /// Changes a page template.
    pub async fn update<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<()> {
        self.hive.patch(&["pageTemplate", id], fields).await
    }

    /// Deletes a page template.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.hive.delete(&["pageTemplate", id], NO_BODY).await
    }

    /// Lists page templates (`listPageTemplate`).
    pub async fn find(&self, search: &Search) -> Result<Vec<Page>> {
        self.hive
            .query()
            .find(Query::new("listPageTemplate"), search, "listPageTemplate")
            .await
    }
}

/// The organisation's knowledge-base pages (`/api/v1/page`).
#[derive(Debug, Clone, Copy)]
pub struct Pages<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Pages<'_> {
    /// Creates a page.
    pub async fn create(&self, page: &InputPage) -> Result<Page> {
        self.hive.post(&["page"], page).await
    }

    /// Changes a page.
    pub async fn update<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<()> {
        self.hive.patch(&["page", id], fields).await
    }

    /// Deletes a page.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.hive.delete(&["page", id], NO_BODY).await
    }

    /// Lists pages (`listOrganisationPage`).
    pub async fn find(&self, search: &Search) -> Result<Vec<Page>> {
        self.hive
            .query()
            .find(
                Query::new("listOrganisationPage"),
                search,
                "organisation-pages",
            )
            .await
    }
}

/// Procedures (TTPs) by id (`/api/v1/procedure`); they are created on alerts and cases.
#[derive(Debug, Clone, Copy)]
pub struct Procedures<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Procedures<'_> {
    /// Gets a procedure (through the Query API).
    pub async fn get(&self, id: &ProcedureId) -> Result<Procedure> {
        one(
            self.hive,
            Query::get("getProcedure", id.as_str()),
            "procedure",
            id.as_str(),
        )
        .await
    }

    /// Changes a procedure (`{description?, occurDate?, patternId?, tactic?}`).
    pub async fn update<B: Serialize + ?Sized>(&self, id: &ProcedureId, fields: &B) -> Result<()> {
        self.hive.patch(&["procedure", id.as_str()], fields).await
    }

    /// Deletes a procedure.
    pub async fn delete(&self, id: &ProcedureId) -> Result<()> {
        self.hive.delete(&["procedure", id.as_str()], NO_BODY).await
    }

    /// Deletes several procedures.
    pub async fn bulk_delete(&self, ids: &[ProcedureId]) -> Result<()> {
        self.hive
            .post_unit(&["procedure", "delete", "_bulk"], Some(&Ids { ids }))
            .await
    }

    finders!(Procedure, "procedures", "listProcedure", "procedures");
}

/// The configurable statuses of alerts (`/api/v1/alertStatus`) or cases
/// (`/api/v1/caseStatus`).
#[derive(Debug, Clone, Copy)]
pub struct Statuses<'a> {
    pub(crate) hive: &'a TheHive,
    pub(crate) path: &'static str,
}

impl Statuses<'_> {
    /// Creates a status under a fixed stage (`New`, `InProgress`, `Closed`, and for alerts
    /// `Imported`).
    pub async fn create(&self, value: &str, stage: &str) -> Result<StatusDefinition> {
        self.hive
            .post(&[self.path], &json!({ "value": value, "stage": stage }))
            .await
    }

    /// Changes a status (`{order?, description?, colour?, hidden?}`).
    pub async fn update<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<()> {
        self.hive.patch(&[self.path, id], fields).await
    }

    /// Deletes a status.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.hive.delete(&[self.path, id], NO_BODY).await
    }
}
