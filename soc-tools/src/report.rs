//! What a reconciling command did (or would do) to each item, as a table or JSON.

use std::fmt;
use std::io::Write;

use serde::Serialize;

/// What happened to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It did not exist and was created.
    Created,
    /// It existed and was brought to the configured state.
    Changed,
    /// It already was as configured; nothing was written.
    Unchanged,
    /// A dry run: it would be created.
    WouldCreate,
    /// A dry run: it would be changed.
    WouldChange,
    /// It could not be reconciled (see the detail).
    Failed,
    /// Not attempted, because something it depends on failed.
    Skipped,
}

impl Outcome {
    /// The word shown in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Changed => "changed",
            Outcome::Unchanged => "unchanged",
            Outcome::WouldCreate => "would create",
            Outcome::WouldChange => "would change",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reconciled item.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// `s3`, `cortex`, `misp`, `thehive`, `elasticsearch`.
    pub service: &'static str,
    /// What kind of thing (`organisation`, `user`, `api-key`, `setting` ...).
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
    /// Why it changed, or the error.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Everything a run did, in order.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Report {
    /// The items.
    pub items: Vec<Item>,
}

impl Report {
    /// Adds an item.
    pub fn push(
        &mut self,
        service: &'static str,
        kind: &'static str,
        name: impl Into<String>,
        outcome: Outcome,
        detail: impl Into<String>,
    ) {
        let item = Item {
            service,
            kind,
            name: name.into(),
            outcome,
            detail: detail.into(),
        };
        tracing::info!(service, kind, name = %item.name, outcome = %outcome, detail = %item.detail, "setup item");
        self.items.push(item);
    }

    /// How many items ended with `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.items.iter().filter(|i| i.outcome == outcome).count()
    }

    /// Whether any item failed.
    pub fn failed(&self) -> bool {
        self.count(Outcome::Failed) > 0
    }

    /// Whether anything was (or, in a dry run, would be) written.
    pub fn wrote(&self) -> bool {
        self.items.iter().any(|i| {
            matches!(
                i.outcome,
                Outcome::Created | Outcome::Changed | Outcome::WouldCreate | Outcome::WouldChange
            )
        })
    }

    /// The table: one line per item, then the totals.
    pub fn write_table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let w = |f: fn(&Item) -> usize| self.items.iter().map(f).max().unwrap_or(0);
        let (ws, wk, wn) = (
            w(|i| i.service.len()).max(7),
            w(|i| i.kind.len()).max(4),
            w(|i| i.name.len()).clamp(4, 48),
        );
        writeln!(
            out,
            "{:<ws$}  {:<wk$}  {:<wn$}  {:<12}  detail",
            "service", "kind", "name", "outcome"
        )?;
        for i in &self.items {
            writeln!(
                out,
                "{:<ws$}  {:<wk$}  {:<wn$}  {:<12}  {}",
                i.service,
                i.kind,
                i.name,
                i.outcome.as_str(),
                i.detail
            )?;
        }
        writeln!(
            out,
            "\n{} created, {} changed, {} unchanged, {} failed{}",
            self.count(Outcome::Created) + self.count(Outcome::WouldCreate),
            self.count(Outcome::Changed) + self.count(Outcome::WouldChange),
            self.count(Outcome::Unchanged),
            self.count(Outcome::Failed),
            match self.count(Outcome::Skipped) {
                0 => String::new(),
                n => format!(", {n} skipped"),
            }
        )
    }

    /// JSON Lines: one object per item, then `{"summary": {...}}`.
    pub fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for i in &self.items {
            serde_json::to_writer(&mut *out, i)?;
            writeln!(out)?;
        }
        let summary = serde_json::json!({"summary": {
            "created": self.count(Outcome::Created),
            "changed": self.count(Outcome::Changed),
            "unchanged": self.count(Outcome::Unchanged),
            "would_create": self.count(Outcome::WouldCreate),
            "would_change": self.count(Outcome::WouldChange),
            "failed": self.count(Outcome::Failed),
            "skipped": self.count(Outcome::Skipped),
        }});
        writeln!(out, "{summary}")
    }
}
