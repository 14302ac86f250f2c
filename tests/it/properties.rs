//! Properties over generated input: references round-trip through the parser, no text
//! makes a parser panic, and setting an IMAGES entry changes exactly one line.

use std::path::Path;

use img_mirror::reference::Reference;
use img_mirror::vars::edit::set_image;
use proptest::prelude::*;

fn component() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,6}((\\.|_|__|-{1,2})[a-z0-9]{1,6}){0,2}"
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("docker.io".to_string()),
        Just("localhost:5000".to_string()),
        "[a-z][a-z0-9]{0,8}\\.(io|com|example)(:[0-9]{2,5})?",
    ]
}

fn reference() -> impl Strategy<Value = String> {
    (
        proptest::option::of(domain()),
        proptest::collection::vec(component(), 1..4),
        proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
        proptest::option::of("[a-f0-9]{64}"),
    )
        .prop_map(|(domain, mut path, tag, digest)| {
            // Without a domain, a first component with a dot would be read as one
            // (Docker's rule): keep it dotless so it stays a path.
            if domain.is_none() {
                path[0] = path[0].replace('.', "-");
            }
            let mut text = path.join("/");
            if let Some(domain) = domain {
                text = format!("{domain}/{text}");
            }
            if let Some(tag) = tag {
                text = format!("{text}:{tag}");
            }
            if let Some(digest) = digest {
                text = format!("{text}@sha256:{digest}");
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn grammar_references_parse_and_round_trip(raw in reference()) {
        let parsed = Reference::parse(&raw).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.raw(), raw.as_str());
        // The normalised form names the same repository.
        let again = Reference::parse(&parsed.name()).unwrap();
        prop_assert_eq!(again.name(), parsed.name());
        // Spans cut the raw text back into its parts.
        let mut rebuilt = raw[parsed.name_span()].to_string();
        if let Some(span) = parsed.tag_span() {
            rebuilt = format!("{rebuilt}:{}", &raw[span]);
        }
        if let Some(span) = parsed.digest_span() {
            rebuilt = format!("{rebuilt}@{}", &raw[span]);
        }
        prop_assert_eq!(rebuilt, raw);
    }

    #[test]
    fn no_text_makes_the_reference_parser_panic(raw in "\\PC{0,80}") {
        if let Err(error) = Reference::parse(&raw) {
            prop_assert_eq!(error.raw, raw);
        }
    }

    #[test]
    fn no_text_makes_the_vars_loader_panic(text in "(\\PC|\\n| ){0,300}") {
        let _ = img_mirror::vars::parse(Path::new("vars.yml"), text.into_bytes());
    }

    #[test]
    fn setting_an_entry_changes_exactly_one_line(
        names in proptest::collection::btree_set("[a-z][a-z0-9_]{0,8}", 1..8),
        quote in prop_oneof![Just(""), Just("'"), Just("\"")],
        crlf in any::<bool>(),
        comments in any::<bool>(),
        pick in any::<prop::sample::Index>(),
        fresh in "[a-z][a-z0-9_]{0,8}",
        tag in "[a-z0-9][a-z0-9.]{0,6}",
    ) {
        let names: Vec<String> = names.into_iter().collect();
        let newline = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("# header{newline}MP_APPROVED_REGISTRIES:{newline}  - quay.io/cki{newline}IMAGES:{newline}");
        for name in &names {
            let comment = if comments { "  # pinned" } else { "" };
            text.push_str(&format!("  {name}: {quote}quay.io/cki/{name}:1{quote}{comment}{newline}"));
        }
        text.push_str(&format!("TAIL: 1{newline}"));
        let vars = img_mirror::vars::parse(Path::new("vars.yml"), text.clone().into_bytes()).vars.unwrap();
        // Bump an existing entry, or add one.
        let name = if fresh.len() % 2 == 0 { pick.get(&names).clone() } else { fresh };
        let value = format!("quay.io/cki/{name}:{tag}");
        let new = set_image(&vars, &name, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let old_lines: Vec<&str> = text.split(newline).collect();
        let new_lines: Vec<&str> = new.split(newline).collect();
        let existed = names.contains(&name);
        if existed {
            prop_assert_eq!(old_lines.len(), new_lines.len());
            let differing = old_lines.iter().zip(&new_lines).filter(|(a, b)| a != b).count();
            prop_assert!(differing <= 1, "{} lines differ", differing);
        } else {
            prop_assert_eq!(old_lines.len() + 1, new_lines.len());
            // Removing the one new line gives back the old text exactly.
            let inserted = new_lines.iter().position(|l| l.trim_start().starts_with(&format!("{name}:"))).unwrap();
            let mut without = new_lines.clone();
            without.remove(inserted);
            prop_assert_eq!(without, old_lines);
        }
        prop_assert_eq!(new.matches('\r').count(), if crlf { new_lines.len() - 1 } else { 0 });
    }
}
