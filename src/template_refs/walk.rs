//! The repository as git sees it (tracked files and untracked ones that are not
//! ignored), walked as ripgrep walks it: `.gitignore`, `.ignore` and `.git/info/exclude`
//! respected, hidden directories such as `.gitlab/` included, `.git` itself skipped,
//! symbolic links to files listed (not followed into directories).
//! Binary files (a NUL byte in the first 8 KiB, as ripgrep and git decide) and files
//! over the size cap are skipped unread past that.

use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

use super::scan::{NEEDLE, Scan, scan};

/// Files larger than this are not scanned: no template is anywhere near it.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// One file that references `IMAGES`.
#[derive(Debug, Clone)]
pub struct FileScan {
    /// Relative to the walk's root, `/`-separated.
    pub relative: String,
    pub scan: Scan,
    /// The text, to show findings against.
    pub text: String,
}

/// The repository's files and the references in them.
#[derive(Debug, Clone, Default)]
pub struct Walked {
    /// Every file, relative to the root, `/`-separated, sorted: what Renovate's file
    /// patterns are matched against.
    pub files: Vec<String>,
    /// The files that mention `cki_variable`, sorted by path.
    pub references: Vec<FileScan>,
}

/// Every file under `root`, and the references in those that mention `cki_variable`;
/// `leave_out` says which relative paths (`/`-separated) not to read for references.
pub fn walk(root: &Path, leave_out: &(dyn Fn(&str) -> bool + Sync)) -> Walked {
    let files = Mutex::new(Vec::new());
    let found = Mutex::new(Vec::new());
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build_parallel();
    walker.run(|| {
        let (files, found) = (&files, &found);
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return ignore::WalkState::Continue;
            };
            // A symbolic link to a file is a file, as git lists it and Renovate reads it.
            let is_file = entry
                .file_type()
                .is_some_and(|t| t.is_file() || (t.is_symlink() && entry.path().is_file()));
            if !is_file {
                return ignore::WalkState::Continue;
            }
            let relative = relative(root, entry.path());
            files
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(relative.clone());
            if leave_out(&relative) {
                return ignore::WalkState::Continue;
            }
            if let Some(file) = scan_file(entry.path(), relative) {
                found.lock().unwrap_or_else(|e| e.into_inner()).push(file);
            }
            ignore::WalkState::Continue
        })
    });
    let mut references = found.into_inner().unwrap_or_else(|e| e.into_inner());
    references.sort_by(|a, b| a.relative.cmp(&b.relative));
    let mut files = files.into_inner().unwrap_or_else(|e| e.into_inner());
    files.sort_unstable();
    Walked { files, references }
}

/// The text of a repository file as Renovate's managers would read it, or `None` for
/// a file that is binary, too large or not UTF-8.
pub fn read_text(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    if size > MAX_FILE_BYTES {
        return None;
    }
    // Sized once: growing by doubling copies a megabyte file four times over and
    // touches twice its pages.
    let mut bytes = Vec::with_capacity(size as usize + 1);
    file.by_ref()
        .take(MAX_FILE_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    if is_binary(&bytes) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// A NUL byte in the first 8 KiB, as git and ripgrep decide.
fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The file's references, or `None` when it has none or is not a text to scan.
fn scan_file(path: &Path, relative: String) -> Option<FileScan> {
    let text = read_text(path)?;
    memchr::memmem::find(text.as_bytes(), NEEDLE)?;
    let scan = scan(&text);
    (!scan.found.is_empty() || scan.dynamic > 0).then_some(FileScan {
        relative,
        scan,
        text,
    })
}
