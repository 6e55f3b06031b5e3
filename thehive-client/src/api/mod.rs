//! One handle per area of the API, borrowed from [`crate::TheHive`].

pub(crate) mod alert;
pub(crate) mod case;
pub(crate) mod connector;
pub(crate) mod directory;
pub(crate) mod entity;
pub(crate) mod observable;
pub(crate) mod platform;
pub(crate) mod query;
pub(crate) mod records;
pub(crate) mod task;

use serde::Serialize;

/// `{"ids": [...], ...fields}`: the body of the `_bulk` update routes.
#[derive(Serialize)]
pub(crate) struct WithIds<'a, I: Serialize, B: Serialize + ?Sized> {
    pub(crate) ids: &'a [I],
    #[serde(flatten)]
    pub(crate) fields: &'a B,
}

/// `{"ids": [...]}`.
#[derive(Serialize)]
pub(crate) struct Ids<'a, I: Serialize> {
    pub(crate) ids: &'a [I],
}

/// `{"organisations": [...]}`.
#[derive(Serialize)]
pub(crate) struct Organisations<'a, S: Serialize> {
    pub(crate) organisations: &'a [S],
}

/// Documents and implements `find`, `count` and `stream` for an entity listed by `$list`.
macro_rules! finders {
    ($ty:ty, $what:literal, $list:literal, $name:literal) => {
        #[doc = concat!("Lists ", $what, " matching a search (`", $list, "`).")]
        ///
        /// # Errors
        /// A status or decode error.
        pub async fn find(&self, search: &$crate::query::Search) -> $crate::Result<Vec<$ty>> {
            self.hive
                .query()
                .find($crate::query::Query::new($list), search, $name)
                .await
        }

        #[doc = concat!("Counts ", $what, " matching a search's filter.")]
        ///
        /// # Errors
        /// A status or decode error.
        pub async fn count(&self, search: &$crate::query::Search) -> $crate::Result<u64> {
            self.hive
                .query()
                .count_named(
                    $crate::query::Query::new($list),
                    search,
                    concat!($name, ".count"),
                )
                .await
        }

        #[doc = concat!("Streams every one of ", $what, " matching a search's filter and sort, ")]
        /// `page_size` at a time (the total comes from `X-Total`).
        pub fn stream(
            &self,
            search: &$crate::query::Search,
            page_size: u64,
        ) -> impl futures_util::Stream<Item = $crate::Result<$ty>> + 'static {
            self.hive.query().stream_search(
                $crate::query::Query::new($list),
                search,
                page_size,
                $name,
            )
        }
    };
}
pub(crate) use finders;

/// Documents and implements a `find_<sub>` method: `get<Entity>` then a sub-selection.
macro_rules! sub_finder {
    ($fn:ident, $id:ty, $ty:ty, $what:literal, $get:literal, $sub:literal, $name:literal) => {
        #[doc = concat!("Lists the ", $what, " (`", $get, "` then `", $sub, "`), filtered, sorted and paged by `search`.")]
        ///
        /// # Errors
        /// A status or decode error.
        pub async fn $fn(&self, id: &$id, search: &$crate::query::Search) -> $crate::Result<Vec<$ty>> {
            self.hive
                .query()
                .find($crate::query::Query::get($get, id.as_str()).then($sub), search, $name)
                .await
        }
    };
}
pub(crate) use sub_finder;
