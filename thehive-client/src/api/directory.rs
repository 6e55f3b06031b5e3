//! Users (`/api/v1/user`), organisations (`/api/v1/organisation`, `/api/v1/attachment`) and
//! profiles (`/api/v1/profile`).

use serde::Serialize;
use serde_json::{json, Value};
use soc_http::{Method, SecretString};
use tokio::io::AsyncWrite;

use super::finders;
use crate::client::NO_BODY;
use crate::model::{
    Attachment, Attachments, InputOrganisation, InputProfile, InputUser, Organisation,
    OrganisationId, Profile, User, UserId,
};
use crate::upload::{attachments_form, FileUpload};
use crate::{Result, TheHive};

/// Users and their credentials.
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    pub(crate) hive: &'a TheHive,
}

/// A user's membership to set with [`Users::set_organisations`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// Organisation name.
    pub organisation: String,
    /// Profile there.
    pub profile: String,
    /// Whether it is the user's default organisation.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
}

impl Users<'_> {
    /// The user the client authenticates as.
    pub async fn current(&self) -> Result<User> {
        self.hive.get(&["user", "current"]).await
    }

    /// Creates a user.
    pub async fn create(&self, user: &InputUser) -> Result<User> {
        self.hive.post(&["user"], user).await
    }

    /// Gets a user by id or login.
    pub async fn get(&self, id: &UserId) -> Result<User> {
        self.hive.get(&["user", id.as_str()]).await
    }

    /// Removes a user from the current organisation.
    pub async fn delete(&self, id: &UserId) -> Result<()> {
        self.hive.delete(&["user", id.as_str()], NO_BODY).await
    }

    /// Deletes a user for good, optionally from one organisation only.
    pub async fn force_delete(&self, id: &UserId, organisation: Option<&str>) -> Result<()> {
        let mut r = self
            .hive
            .request(Method::DELETE, &["user", id.as_str(), "force"]);
        if let Some(o) = organisation {
            r = r.query_pair("organisation", o);
        }
        Ok(r.no_content().await?)
    }

    /// Changes fields (`{name?, profile?, locked?, email?, defaultOrganisation? ...}`).
    pub async fn update<B: Serialize + ?Sized>(&self, id: &UserId, fields: &B) -> Result<()> {
        self.hive.patch(&["user", id.as_str()], fields).await
    }

    /// Locks the account.
    pub async fn lock(&self, id: &UserId) -> Result<()> {
        self.update(id, &json!({ "locked": true })).await
    }

    /// Unlocks the account.
    pub async fn unlock(&self, id: &UserId) -> Result<()> {
        self.update(id, &json!({ "locked": false })).await
    }

    /// Sets every organisation the user belongs to, with its profile.
    pub async fn set_organisations(
        &self,
        id: &UserId,
        memberships: &[Membership],
    ) -> Result<Value> {
        self.hive
            .put(
                &["user", id.as_str(), "organisations"],
                &json!({ "organisations": memberships }),
            )
            .await
    }

    /// Changes the user's login.
    pub async fn set_login(&self, id: &UserId, login: &str) -> Result<()> {
        self.hive
            .post_unit(
                &["user", id.as_str(), "login", "set"],
                Some(&json!({ "login": login })),
            )
            .await
    }

    /// Sets a password (an administrator's call).
    pub async fn set_password(&self, id: &UserId, password: &SecretString) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(serialize_with = "soc_http::serialize_secret")]
            password: &'a SecretString,
        }
        let body = Body { password };
        self.hive
            .post_unit(&["user", id.as_str(), "password", "set"], Some(&body))
            .await
    }

    /// Changes one's own password.
    pub async fn change_password(
        &self,
        id: &UserId,
        current: &SecretString,
        new: &SecretString,
    ) -> Result<()> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            #[serde(serialize_with = "soc_http::serialize_secret")]
            current_password: &'a SecretString,
            #[serde(serialize_with = "soc_http::serialize_secret")]
            password: &'a SecretString,
        }
        let body = Body {
            current_password: current,
            password: new,
        };
        self.hive
            .post_unit(&["user", id.as_str(), "password", "change"], Some(&body))
            .await
    }

    /// The user's API key (TheHive answers it as plain text).
    pub async fn api_key(&self, id: &UserId) -> Result<SecretString> {
        let key = self.hive.get_text(&["user", id.as_str(), "key"]).await?;
        Ok(SecretString::from(key.trim().to_owned()))
    }

    /// Creates or replaces the user's API key and answers the new one.
    pub async fn renew_api_key(&self, id: &UserId) -> Result<SecretString> {
        let key = self
            .hive
            .request(Method::POST, &["user", id.as_str(), "key", "renew"])
            .text()
            .await?;
        Ok(SecretString::from(key.trim().to_owned()))
    }

    /// Removes the user's API key.
    pub async fn remove_api_key(&self, id: &UserId) -> Result<()> {
        self.hive
            .delete(&["user", id.as_str(), "key"], NO_BODY)
            .await
    }

    /// Streams the user's avatar into `writer`.
    pub async fn avatar<W: AsyncWrite + Unpin>(
        &self,
        id: &UserId,
        file: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(&["user", id.as_str(), "avatar", file], writer)
            .await
    }

    /// Uploads files owned by the current user (avatars, report assets).
    pub async fn upload_own_attachments(&self, files: &[FileUpload]) -> Result<Vec<Attachment>> {
        let form = attachments_form(files, &[])?;
        let a: Attachments = self
            .hive
            .send_form(Method::POST, &["user", "current", "attachments"], form)
            .await?;
        Ok(a.attachments)
    }

    finders!(User, "users", "listUser", "users");
}

/// Organisations, their links and their shared files.
#[derive(Debug, Clone, Copy)]
pub struct Organisations<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Organisations<'_> {
    /// Creates an organisation.
    pub async fn create(&self, organisation: &InputOrganisation) -> Result<Organisation> {
        self.hive.post(&["organisation"], organisation).await
    }

    /// Gets an organisation by id or name.
    pub async fn get(&self, id: &OrganisationId) -> Result<Organisation> {
        self.hive.get(&["organisation", id.as_str()]).await
    }

    /// Changes fields (`{name?, description?, taskRule?, observableRule?, locked?}`).
    pub async fn update<B: Serialize + ?Sized>(
        &self,
        id: &OrganisationId,
        fields: &B,
    ) -> Result<()> {
        self.hive
            .patch(&["organisation", id.as_str()], fields)
            .await
    }

    /// Streams the organisation's avatar into `writer`.
    pub async fn avatar<W: AsyncWrite + Unpin>(
        &self,
        id: &OrganisationId,
        file_hash: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(&["organisation", id.as_str(), "avatar", file_hash], writer)
            .await
    }

    /// Links two organisations (`{linkType?, otherLinkType?}`, such as `supervised`/`default`).
    pub async fn link<B: Serialize + ?Sized>(
        &self,
        id: &OrganisationId,
        other: &OrganisationId,
        link: Option<&B>,
    ) -> Result<()> {
        self.hive
            .put_unit(&["organisation", id.as_str(), "link", other.as_str()], link)
            .await
    }

    /// Removes the link between two organisations.
    pub async fn unlink(&self, id: &OrganisationId, other: &OrganisationId) -> Result<()> {
        self.hive
            .delete(
                &["organisation", id.as_str(), "link", other.as_str()],
                NO_BODY,
            )
            .await
    }

    /// The organisations linked to this one.
    pub async fn links(&self, id: &OrganisationId) -> Result<Vec<Value>> {
        self.hive.get(&["organisation", id.as_str(), "links"]).await
    }

    /// Sets every link of the organisation (`[{toOrganisation, linkType, otherLinkType}]`).
    pub async fn set_links(&self, id: &OrganisationId, links: &[Value]) -> Result<()> {
        self.hive
            .put_unit(
                &["organisation", id.as_str(), "links"],
                Some(&json!({ "links": links })),
            )
            .await
    }

    /// The sharing profiles.
    pub async fn sharing_profiles(&self) -> Result<Vec<Value>> {
        self.hive.get(&["sharingProfile"]).await
    }

    /// Uploads files to the organisation's store (`POST /api/v1/attachment`).
    pub async fn add_attachments(
        &self,
        files: &[FileUpload],
        can_rename: bool,
    ) -> Result<Vec<Attachment>> {
        let form = attachments_form(files, &[("canRename", can_rename.to_string())])?;
        let a: Attachments = self
            .hive
            .send_form(Method::POST, &["attachment"], form)
            .await?;
        Ok(a.attachments)
    }

    /// Streams any attachment by id into `writer` (`/api/v1/attachment/{id}/download`).
    pub async fn download_attachment<W: AsyncWrite + Unpin>(
        &self,
        attachment: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(&["attachment", attachment, "download"], writer)
            .await
    }

    /// Streams any attachment by id for display (`/api/v1/attachment/{id}`).
    pub async fn get_attachment<W: AsyncWrite + Unpin>(
        &self,
        attachment: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(&["attachment", attachment], writer)
            .await
    }

    /// Deletes an attachment of the organisation's store.
    pub async fn delete_attachment(&self, attachment: &str) -> Result<()> {
        self.hive.delete(&["attachment", attachment], NO_BODY).await
    }

    super::sub_finder!(
        find_attachments,
        OrganisationId,
        Attachment,
        "organisation's attachments",
        "getOrganisation",
        "attachments",
        "organisation-attachments"
    );
    finders!(
        Organisation,
        "organisations",
        "listOrganisation",
        "organisations"
    );
}

/// Profiles (permission sets).
#[derive(Debug, Clone, Copy)]
pub struct Profiles<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Profiles<'_> {
    /// Creates a profile.
    pub async fn create(&self, profile: &InputProfile) -> Result<Profile> {
        self.hive.post(&["profile"], profile).await
    }

    /// Gets a profile by id or name.
    pub async fn get(&self, id: &str) -> Result<Profile> {
        self.hive.get(&["profile", id]).await
    }

    /// Deletes a profile.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.hive.delete(&["profile", id], NO_BODY).await
    }

    /// Changes a profile (`{name?, permissions?}`).
    pub async fn update<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<()> {
        self.hive.patch(&["profile", id], fields).await
    }

    /// Every permission TheHive knows, with its scope.
    pub async fn permissions(&self) -> Result<Vec<Value>> {
        self.hive.get(&["permission"]).await
    }

    finders!(Profile, "profiles", "listProfile", "profiles");
}
