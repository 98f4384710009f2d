//! Independent jobs run on several threads, results in the order of the jobs.
//!
//! Threads take the next job from a shared counter, so a few long jobs do not leave the
//! others idle; the results are put back in job order, so nothing a caller builds from them
//! depends on the number of threads. A panic in a job is resumed on the calling thread, as if
//! the job had run there. Used by compile (substring automatons) and by `vigil convert`.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `run` on each of `jobs` on up to `threads` threads (one when `threads` is 0 or 1); the
/// results in the order of `jobs`.
pub fn in_order<J: Sync, R: Send>(jobs: &[J], threads: usize, run: impl Fn(&J) -> R + Sync) -> Vec<R> {
    let threads = threads.min(jobs.len());
    if threads <= 1 {
        return jobs.iter().map(run).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(index) else { break };
                        mine.push((index, run(job)));
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The number of threads to use by default: one per core.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_job_order_whatever_the_thread_count() {
        let jobs: Vec<u64> = (0..100).map(|i| (i * 7919) % 101).collect();
        let expected: Vec<u64> = jobs.iter().map(|j| j * j).collect();
        for threads in [0, 1, 2, 5, 200] {
            assert_eq!(in_order(&jobs, threads, |j| j * j), expected, "{threads} threads");
        }
        assert!(in_order(&Vec::<u64>::new(), 4, |j| *j).is_empty());
    }
}
