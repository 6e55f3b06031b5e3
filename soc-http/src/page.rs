//! Pages of results and the streams that walk them.

use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};
use std::future::Future;

/// One page of results and how to ask for the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, C = u64> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The total number of items across all pages, when the server says.
    pub total: Option<u64>,
    /// The continuation for the next page; `None` on the last page.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// Whether this is the last page.
    #[must_use]
    pub fn is_last(&self) -> bool {
        self.next.is_none()
    }
}

/// Walks pages from `first`, calling `fetch` for each continuation, and yields the items one by
/// one. Pages are fetched lazily: a consumer that stops early stops the requests too.
pub fn paginate<T, C, E, F, Fut>(first: C, mut fetch: F) -> impl Stream<Item = Result<T, E>>
where
    F: FnMut(C) -> Fut,
    Fut: Future<Output = Result<Page<T, C>, E>>,
{
    stream::try_unfold(Some(first), move |cursor| {
        let fut = cursor.map(&mut fetch);
        async move {
            match fut {
                None => Ok(None),
                Some(f) => {
                    let page = f.await?;
                    Ok(Some((page.items, page.next)))
                }
            }
        }
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
}

/// Collects at most `limit` items from a stream, failing with `over_limit()` if there are
/// more: collecting everything is always an explicit, bounded choice.
///
/// # Errors
/// The first error of the stream, or `over_limit()` when the stream has more than `limit` items.
pub async fn collect_bounded<T, E, S>(
    stream: S,
    limit: usize,
    over_limit: impl FnOnce() -> E,
) -> Result<Vec<T>, E>
where
    S: Stream<Item = Result<T, E>>,
{
    let mut stream = std::pin::pin!(stream);
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        if out.len() == limit {
            return Err(over_limit());
        }
        out.push(item?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn pages(
        size: u64,
        total: u64,
    ) -> impl FnMut(u64) -> std::future::Ready<Result<Page<u64>, String>> {
        move |from| {
            let to = (from + size).min(total);
            std::future::ready(Ok(Page {
                items: (from..to).collect(),
                total: Some(total),
                next: (to < total).then_some(to),
            }))
        }
    }

    #[tokio::test]
    async fn walks_every_page_in_order() {
        let all: Vec<u64> = paginate(0, pages(3, 10)).try_collect().await.unwrap();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn stops_fetching_when_the_consumer_stops() {
        let calls = Cell::new(0);
        let mut inner = pages(3, 100);
        let s = paginate(0, |c| {
            calls.set(calls.get() + 1);
            inner(c)
        });
        let first: Vec<u64> = s.take(4).try_collect().await.unwrap();
        assert_eq!(first, vec![0, 1, 2, 3]);
        assert_eq!(calls.get(), 2);
    }

    #[tokio::test]
    async fn errors_end_the_stream() {
        let s = paginate(0u64, |c| async move {
            if c == 0 {
                Ok(Page {
                    items: vec![1],
                    total: None,
                    next: Some(1),
                })
            } else {
                Err("boom".to_owned())
            }
        });
        let r: Result<Vec<u64>, String> = s.try_collect().await;
        assert_eq!(r, Err("boom".to_owned()));
    }

    #[tokio::test]
    async fn bounded_collect_refuses_more_than_the_limit() {
        let ok = collect_bounded(paginate(0, pages(4, 10)), 10, || "too many".to_owned()).await;
        assert_eq!(ok.unwrap().len(), 10);
        let over = collect_bounded(paginate(0, pages(4, 10)), 9, || "too many".to_owned()).await;
        assert_eq!(over, Err("too many".to_owned()));
    }
}
