//! Compiled patterns kept for the rest of the process.
//!
//! Validation, the extraction, package rules and the repository walk each start from
//! the same config and compile its patterns and globs again, on two threads at once.
//! Compiling a glob (case-folded Unicode classes) costs more than matching every file
//! of a repository against it, so each is compiled once, and a thread that asks for
//! one being compiled waits for it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

/// Entries kept before the memo starts over: a config has tens of patterns and globs
/// (`config:recommended` and a few managers), and a caller that reads many configs,
/// such as the fuzzer, does not keep thousands of compiled automata.
const MAX_ENTRIES: usize = 512;

pub(crate) struct Memo<K, V> {
    entries: Mutex<Option<HashMap<K, Arc<OnceLock<V>>>>>,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    pub(crate) const fn new() -> Memo<K, V> {
        Memo {
            entries: Mutex::new(None),
        }
    }

    /// The value for `key`, compiled by `compile` the first time it is asked for.
    pub(crate) fn get(&self, key: K, compile: impl FnOnce() -> V) -> V {
        let slot = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            let entries = entries.get_or_insert_with(HashMap::new);
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.entry(key).or_default().clone()
        };
        slot.get_or_init(compile).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_key_is_compiled_once_however_many_threads_ask() {
        let memo: Memo<String, usize> = Memo::new();
        let compiled = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    let value = memo.get("glob".to_string(), || {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        compiled.fetch_add(1, Ordering::SeqCst) + 7
                    });
                    assert_eq!(value, 7);
                });
            }
        });
        assert_eq!(compiled.load(Ordering::SeqCst), 1);
        assert_eq!(memo.get("other".to_string(), || 9), 9);
    }

    #[test]
    fn a_full_memo_starts_over() {
        let memo: Memo<usize, usize> = Memo::new();
        for key in 0..MAX_ENTRIES + 10 {
            memo.get(key, || key);
        }
        let size = memo.entries.lock().unwrap().as_ref().unwrap().len();
        assert!(size <= MAX_ENTRIES, "{size}");
        assert_eq!(
            memo.get(3, || 30),
            30,
            "compiled again after the start-over"
        );
    }
}
