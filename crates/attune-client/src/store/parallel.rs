//! Independent work on many entries (applying a new device's catch-up,
//! saving its documents) spread over the machine's cores; a handful of
//! entries (one write) stays on the calling thread.

use rayon::prelude::*;

/// Batches smaller than this are not worth handing to other threads.
const PARALLEL_FROM: usize = 64;

/// `items.map(f)`, in order, on every core when there are many.
pub(super) fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    if items.len() < PARALLEL_FROM {
        items.into_iter().map(f).collect()
    } else {
        items.into_par_iter().map(f).collect()
    }
}

/// `items.map(f)`, in order, every item on any core (each is a large piece
/// of work, such as a month view).
pub(super) fn map_each<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> R + Sync + Send,
) -> Vec<R> {
    items.into_par_iter().map(f).collect()
}
