//! distribution/reference's grammar, one function per production.
//!
//! Written out by hand rather than as regular expressions: `check` parses every entry
//! of `IMAGES` more than once, and a regex call costs more than the whole scan of a
//! short name. The tests hold each function to the grammar's regex on generated input.

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
pub fn is_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) if rest.len() <= 127 => {
            is_word(*first) && every_byte(rest, |b| is_word(b) | (b == b'.') | (b == b'-'))
        }
        _ => false,
    }
}

/// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
pub fn is_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    // One pass over the algorithm: every component starts with a letter.
    let mut at_component_start = true;
    for b in algorithm.bytes() {
        if matches!(b, b'-' | b'_' | b'+' | b'.') {
            if at_component_start {
                return false;
            }
            at_component_start = true;
        } else if at_component_start {
            if !b.is_ascii_alphabetic() {
                return false;
            }
            at_component_start = false;
        } else if !b.is_ascii_alphanumeric() {
            return false;
        }
    }
    !at_component_start && hex.len() >= 32 && every_byte(hex.as_bytes(), |b| b.is_ascii_hexdigit())
}

/// `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
pub fn is_path_component(component: impl AsRef<[u8]>) -> bool {
    let bytes = component.as_ref();
    let mut i = 0;
    loop {
        let run = bytes[i..]
            .iter()
            .take_while(|b| is_lower_alnum(**b))
            .count();
        if run == 0 {
            return false;
        }
        i += run;
        if i == bytes.len() {
            return true;
        }
        let separator = bytes[i..]
            .iter()
            .take_while(|b| matches!(b, b'.' | b'_' | b'-'))
            .count();
        let ok = match &bytes[i..i + separator] {
            b"." | b"_" | b"__" => true,
            dashes => !dashes.is_empty() && dashes.iter().all(|&b| b == b'-'),
        };
        if !ok {
            return false;
        }
        i += separator;
    }
}

/// `host(?::[0-9]+)?` where host is dot-separated labels (`[a-zA-Z0-9]`, or
/// `[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`) or a bracketed IPv6 address `\[[a-fA-F0-9:]+\]`.
pub fn is_domain(domain: &str) -> bool {
    let (host_ok, port) = if let Some(bracketed) = domain.strip_prefix('[') {
        match bracketed.split_once(']') {
            Some((address, rest)) => (
                !address.is_empty() && address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
                rest,
            ),
            None => (false, ""),
        }
    } else {
        let (host, port) = match domain.find(':') {
            Some(colon) => (&domain[..colon], &domain[colon..]),
            None => (domain, ""),
        };
        (is_host(host.as_bytes()), port)
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// `[a-f0-9]{64}`: an image ID, which Docker refuses as a repository name.
pub fn is_hex_identifier(name: &str) -> bool {
    name.len() == 64 && every_byte(name.as_bytes(), is_lower_hex)
}

/// `sha256:[a-f0-9]{64}`
pub fn is_pinned_sha256(digest: &str) -> bool {
    digest
        .strip_prefix("sha256:")
        .is_some_and(is_hex_identifier)
}

/// Whether `test` holds for every byte of `bytes`, without stopping at the first that
/// fails: a check with no early exit is vectorised, and a digest is tested this way on
/// every entry, twice.
pub fn every_byte(bytes: &[u8], test: impl Fn(u8) -> bool) -> bool {
    bytes.iter().fold(true, |all, &b| all & test(b))
}

/// Host labels joined by `.`: each of ASCII letters, digits and `-`, starting and
/// ending with a letter or digit. One pass over the bytes (`check` asks it of every
/// entry's registry).
fn is_host(host: &[u8]) -> bool {
    let mut label_start = true;
    let mut previous = b'.';
    for &b in host {
        let ok = match b {
            b'.' => !label_start && previous != b'-',
            b'-' => !label_start,
            _ => b.is_ascii_alphanumeric(),
        };
        if !ok {
            return false;
        }
        label_start = b == b'.';
        previous = b;
    }
    !label_start && previous != b'-'
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;

    /// The grammar as distribution/reference writes it, and the function that must agree.
    fn agree(pattern: &str, function: fn(&str) -> bool, text: &str) {
        let regex = Regex::new(&format!("^(?:{pattern})$")).expect("oracle compiles");
        assert_eq!(
            function(text),
            regex.is_match(text),
            "{pattern} on {text:?}"
        );
    }

    const TAG: &str = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    const DIGEST: &str = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
    const PATH_COMPONENT: &str = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    const DOMAIN: &str = r"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?";
    const HEX_IDENTIFIER: &str = "[a-f0-9]{64}";
    const PINNED_SHA256: &str = "sha256:[a-f0-9]{64}";

    #[test]
    fn edge_cases_agree_with_the_grammar() {
        for text in [
            "",
            "a",
            "-",
            "_",
            ".",
            "a".repeat(128).as_str(),
            "a".repeat(129).as_str(),
            "1.0-rc_1",
            ".a",
            "-a",
            "a b",
        ] {
            agree(TAG, is_tag, text);
        }
        let hex32 = "0123456789abcdef0123456789ABCDEF";
        for text in [
            format!("sha256:{hex32}"),
            format!("sha256:{}", &hex32[1..]),
            format!("a+b.c_d-e:{hex32}"),
            format!("a++b:{hex32}"),
            format!(":{hex32}"),
            format!("1a:{hex32}"),
            format!("a:{hex32}:"),
            "sha256".into(),
        ] {
            agree(DIGEST, is_digest, &text);
        }
        for text in [
            "", "a", "a.b", "a..b", "a_b", "a__b", "a___b", "a-b", "a---b", "a-", "-a", "a.-b",
            "A", "a._b",
        ] {
            agree(PATH_COMPONENT, |c| is_path_component(c), text);
        }
        for text in [
            "",
            "a",
            "a.b",
            "a-b.c",
            "-a",
            "a-",
            "a..b",
            "a:1",
            "a:",
            "a:b",
            "a:1:2",
            "[::1]",
            "[::1]:5000",
            "[]",
            "[::1",
            "[g]",
            "[::1]x",
            "Reg.IO:443",
            ":80",
        ] {
            agree(DOMAIN, is_domain, text);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn tag_agrees(text in "[A-Za-z0-9_.:@ -]{0,130}") {
            agree(TAG, is_tag, &text);
        }

        #[test]
        fn digest_agrees(text in "[a-zA-Z0-9_+.:-]{0,8}(:[0-9a-fA-Fg:]{28,40})?") {
            agree(DIGEST, is_digest, &text);
        }

        #[test]
        fn path_component_agrees(text in "[a-z0-9A._-]{0,12}") {
            agree(PATH_COMPONENT, |c| is_path_component(c), &text);
        }

        #[test]
        fn domain_agrees(text in r"\[?[a-zA-Z0-9.:-]{0,12}\]?(:[0-9a]{0,3})?") {
            agree(DOMAIN, is_domain, &text);
        }

        #[test]
        fn hex_identifiers_agree(text in "(sha256:)?[a-f0-9A]{63,65}") {
            agree(HEX_IDENTIFIER, is_hex_identifier, &text);
            agree(PINNED_SHA256, is_pinned_sha256, &text);
        }
    }
}
