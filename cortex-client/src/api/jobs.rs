//! Jobs (`/api/job`): list, search, reports, long-poll waits, bulk status.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::Stream;
use serde_json::{json, Value};
use soc_http::Method;

use super::Listed;
use crate::model::{Artifact, Job, JobState};
use crate::query::{ListOptions, Q};
use crate::{Cortex, Error, Result};

/// The longest single long-poll; [`Jobs::wait`] chains several up to its deadline.
pub const MAX_LONG_POLL: Duration = Duration::from_secs(60);

/// Filters of `GET /api/job`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Only this data type.
    pub data_type: Option<String>,
    /// Only inputs containing this value.
    pub data: Option<String>,
    /// Only this analyzer (id).
    pub analyzer: Option<String>,
}

/// Jobs.
#[derive(Debug, Clone, Copy)]
pub struct Jobs<'a> {
    pub(crate) cortex: &'a Cortex,
}

impl Jobs<'_> {
    /// Lists jobs with optional filters (`GET /api/job`). This route ignores `sort` and, unlike
    /// [`Jobs::search`], includes deleted jobs.
    pub async fn list(&self, filter: &JobFilter, opts: &ListOptions) -> Result<Listed<Job>> {
        let mut r = opts.apply(self.cortex.request(Method::GET, &["job"]));
        for (k, v) in [
            ("dataTypeFilter", &filter.data_type),
            ("dataFilter", &filter.data),
            ("analyzerFilter", &filter.analyzer),
        ] {
            if let Some(v) = v {
                r = r.query_pair(k, v);
            }
        }
        let resp = r.send().await?;
        let total = resp.header("X-Total").and_then(|t| t.trim().parse().ok());
        Ok(Listed {
            items: resp.json().await?,
            total,
        })
    }

    /// Jobs matching a query (`POST /api/job/_search`).
    pub async fn search(&self, query: &Q, opts: &ListOptions) -> Result<Listed<Job>> {
        self.cortex
            .search(
                Method::POST,
                &["job", "_search"],
                &query.clone().into_value(),
                opts,
            )
            .await
            .map(Into::into)
    }

    /// Every job matching a query, `page_size` at a time.
    pub fn stream(&self, query: Q, page_size: u64) -> impl Stream<Item = Result<Job>> + 'static {
        self.cortex.stream_search(
            vec!["job".into(), "_search".into()],
            query,
            ListOptions::new(),
            page_size,
        )
    }

    /// Gets a job, without its report.
    pub async fn get(&self, id: &str) -> Result<Job> {
        self.cortex.get(&["job", id]).await
    }

    /// Gets a job with its report as it stands (a string while it runs).
    pub async fn report(&self, id: &str) -> Result<Job> {
        self.cortex.get(&["job", id, "report"]).await
    }

    /// Waits up to `at_most` (capped at [`MAX_LONG_POLL`], whole seconds, at least one) for
    /// the job to finish, in one server long-poll, and answers it with its report, finished or
    /// not.
    pub async fn wait_report(&self, id: &str, at_most: Duration) -> Result<Job> {
        let secs = at_most.min(MAX_LONG_POLL).as_secs().max(1);
        let r = self
            .cortex
            .request(Method::GET, &["job", id, "waitreport"])
            .query_pair("atMost", &format!("{secs}second"))
            // The server holds the request up to `at_most`: allow for it.
            .timeout(Duration::from_secs(secs + 15));
        Ok(r.json().await?)
    }

    /// Waits until the job finishes (success, failure or deletion), chaining long-polls, and
    /// answers it with its report.
    ///
    /// # Errors
    /// [`Error::WaitTimeout`] at `deadline` with the job's last status.
    pub async fn wait(&self, id: &str, deadline: Duration) -> Result<Job> {
        let started = Instant::now();
        loop {
            let left = deadline.saturating_sub(started.elapsed());
            let job = self.wait_report(id, left).await?;
            if job.status.is_final() {
                return Ok(job);
            }
            if started.elapsed() >= deadline {
                return Err(Error::WaitTimeout {
                    job: id.to_owned(),
                    status: job.status.to_string(),
                    waited: started.elapsed(),
                });
            }
        }
    }

    /// The status of several jobs in one request (`POST /api/job/status`).
    pub async fn statuses(&self, ids: &[&str]) -> Result<BTreeMap<String, JobState>> {
        let raw: BTreeMap<String, String> = crate::client::decode(
            self.cortex
                .request(Method::POST, &["job", "status"])
                .idempotent(true)
                .json_body(&json!({ "jobIds": ids })),
        )
        .await?;
        Ok(raw
            .into_iter()
            .map(|(k, v)| (k, JobState::parse(&v)))
            .collect())
    }

    /// Waits until every job is final, polling the bulk status route (one request per round,
    /// not one per job) with a growing interval from 250 ms to 5 s.
    ///
    /// # Errors
    /// [`Error::WaitTimeout`] at `deadline`, naming the first unfinished job.
    pub async fn wait_all(
        &self,
        ids: &[&str],
        deadline: Duration,
    ) -> Result<BTreeMap<String, JobState>> {
        let started = Instant::now();
        let mut interval = Duration::from_millis(250);
        loop {
            let states = self.statuses(ids).await?;
            let pending = states.iter().find(|(_, s)| !s.is_final());
            let Some((job, state)) = pending else {
                return Ok(states);
            };
            let left = deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(Error::WaitTimeout {
                    job: job.clone(),
                    status: format!("{state:?}"),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(interval.min(left)).await;
            interval = (interval * 2).min(Duration::from_secs(5));
        }
    }

    /// The observables a job extracted.
    pub async fn artifacts(&self, id: &str, opts: &ListOptions) -> Result<Listed<Artifact>> {
        self.cortex
            .list(&["job", id, "artifacts"], opts)
            .await
            .map(Into::into)
    }

    /// Deletes a job (Cortex marks it `Deleted`).
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.cortex
            .unit(Method::DELETE, &["job", id], None::<&Value>)
            .await
    }
}
