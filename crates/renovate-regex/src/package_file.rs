//! A package file as Renovate's extract worker reads it: `readLocalFile(file, 'utf8')`,
//! which is Node's `fs.readFile` with UTF-8 decoding. Every file a manager selects is
//! read, binary or not, and a byte sequence that is not UTF-8 becomes U+FFFD, so a
//! stray Latin-1 byte costs one character and never the deps around it.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

/// Files larger than this are not read (img-mirror's own bound, the vars file's;
/// Renovate has none).
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The text Node's UTF-8 decoder makes of `bytes`: each maximal ill-formed subsequence
/// replaced by one U+FFFD (the WHATWG decoder's rule, which Rust's lossy decoding also
/// follows); a byte-order mark is kept, as `Buffer.toString` keeps it.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// The owned form of [`decode`], without a copy when the bytes are already UTF-8.
pub fn decode_owned(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    }
}

/// Reads a selected file; `None` when it cannot be read or is over [`MAX_BYTES`].
pub fn read(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    if file.metadata().ok()?.len() > MAX_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    file.by_ref().take(MAX_BYTES).read_to_end(&mut bytes).ok()?;
    Some(decode_owned(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_become_replacement_characters_as_node_decodes_them() {
        // One Latin-1 byte, a truncated sequence, an overlong encoding, a surrogate.
        assert_eq!(decode(b"caf\xe9 x"), "caf\u{fffd} x");
        assert_eq!(decode(b"a\xe2\x82b"), "a\u{fffd}b");
        assert_eq!(decode(b"\xc0\xaf"), "\u{fffd}\u{fffd}");
        assert_eq!(decode(b"\xed\xa0\x80"), "\u{fffd}\u{fffd}\u{fffd}");
        assert_eq!(decode_owned(b"\xef\xbb\xbfok".to_vec()), "\u{feff}ok");
    }

    #[test]
    fn binary_files_are_read_like_any_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob.bin");
        std::fs::write(&path, b"\x00\x01IMAGE=a:1\xff\n").unwrap();
        assert_eq!(read(&path).unwrap(), "\0\u{1}IMAGE=a:1\u{fffd}\n");
        assert_eq!(read(&dir.path().join("missing")), None);
    }
}
