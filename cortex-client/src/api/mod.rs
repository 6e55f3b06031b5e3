//! One handle per area of the API, borrowed from [`crate::Cortex`].

pub(crate) mod directory;
pub(crate) mod jobs;
pub(crate) mod platform;
pub(crate) mod workers;

/// A list answer: the items and, when Cortex says, the total across all pages (`X-Total`).
#[derive(Debug, Clone, PartialEq)]
pub struct Listed<T> {
    /// The items of this range.
    pub items: Vec<T>,
    /// The total number of matching items.
    pub total: Option<u64>,
}

impl<T> From<(Vec<T>, Option<u64>)> for Listed<T> {
    fn from((items, total): (Vec<T>, Option<u64>)) -> Self {
        Self { items, total }
    }
}
