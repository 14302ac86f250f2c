//! What a log line must never show: credentials read from auth files, bearer tokens a
//! registry issued, `Authorization` header values, and the query of any URL (signed
//! blob-storage redirects carry their signature there, upload locations their state).
//! Every verbose line passes through [`scrub`] on its way out, whichever crate wrote it.

use std::sync::RwLock;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Secrets shorter than this are not registered: scrubbing every "ab" from a log line
/// would hide more than it protects, and such a password is not a secret anyway.
const SHORTEST_SECRET: usize = 4;

/// From now on, `secret` is replaced wherever it appears in a log line.
pub fn register(secret: &str) {
    if secret.len() < SHORTEST_SECRET {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|known| known == secret) {
        secrets.push(secret.to_string());
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|known| std::cmp::Reverse(known.len()));
    }
}

/// `text` with every registered secret, every `Bearer`/`Basic` credential and every URL
/// query replaced by `<redacted>`.
pub fn scrub(text: &str) -> String {
    let mut scrubbed = text.to_string();
    for secret in SECRETS.read().unwrap_or_else(|e| e.into_inner()).iter() {
        if scrubbed.contains(secret.as_str()) {
            scrubbed = scrubbed.replace(secret.as_str(), "<redacted>");
        }
    }
    let scrubbed = scrub_after_words(&scrubbed, &["Bearer ", "Basic ", "bearer ", "basic "]);
    scrub_url_queries(&scrubbed)
}

/// `url` as a log line may show it: without its query.
pub fn url(url: &reqwest::Url) -> String {
    if url.query().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    shown.set_query(None);
    format!("{shown}?<redacted>")
}

/// What follows `Bearer ` or `Basic ` in a WWW-Authenticate challenge, not a credential.
const CHALLENGE_PARAMETERS: [&str; 4] = ["realm=", "service=", "scope=", "error="];

/// The word after each of `words` (up to whitespace, a quote or a comma) replaced.
fn scrub_after_words(text: &str, words: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, word)) = words
        .iter()
        .filter_map(|word| rest.find(word).map(|at| (at, *word)))
        .min_by_key(|(at, _)| *at)
    {
        let value_start = at + word.len();
        out.push_str(&rest[..value_start]);
        let value_len = rest[value_start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ')' | '\\'))
            .unwrap_or(rest.len() - value_start);
        let value = &rest[value_start..value_start + value_len];
        // A WWW-Authenticate challenge (`Bearer realm="..."`) names no secret.
        if value.is_empty() || CHALLENGE_PARAMETERS.contains(&value) {
            out.push_str(value);
        } else {
            out.push_str("<redacted>");
        }
        rest = &rest[value_start + value_len..];
    }
    out.push_str(rest);
    out
}

/// The query of every `http://` or `https://` URL replaced.
fn scrub_url_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = [rest.find("http://"), rest.find("https://")]
        .into_iter()
        .flatten()
        .min()
    {
        let end = rest[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '>' | ')' | ','))
            .map_or(rest.len(), |len| start + len);
        let found = &rest[start..end];
        out.push_str(&rest[..start]);
        match found.split_once('?') {
            Some((base, _query)) => {
                out.push_str(base);
                out.push_str("?<redacted>");
            }
            None => out.push_str(found),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_replaced_wherever_they_appear() {
        register("hunter2-secret");
        register("ab");
        let line = scrub("password hunter2-secret and xhunter2-secretx, ab stays");
        assert_eq!(line, "password <redacted> and x<redacted>x, ab stays");
    }

    #[test]
    fn authorization_values_and_url_queries_are_replaced() {
        assert_eq!(
            scrub(r#"authorization: "Bearer eyJ.abc.def", other"#),
            r#"authorization: "Bearer <redacted>", other"#
        );
        assert_eq!(scrub("Basic cm9ib3Q6cHc= sent"), "Basic <redacted> sent");
        let challenge = r#"challenge="Bearer realm=\"https://auth.test/token\",service=\"r\"""#;
        assert_eq!(scrub(challenge), challenge);
        assert_eq!(
            scrub("redirect to https://storage.test/blob?X-Amz-Signature=abc&e=1 (307)"),
            "redirect to https://storage.test/blob?<redacted> (307)"
        );
        assert_eq!(
            scrub("GET http://127.0.0.1:5000/v2/x/blobs/uploads/1?_state=s then https://a.test/p"),
            "GET http://127.0.0.1:5000/v2/x/blobs/uploads/1?<redacted> then https://a.test/p"
        );
        let signed = reqwest::Url::parse("https://s.test/b?sig=1").unwrap();
        assert_eq!(url(&signed), "https://s.test/b?<redacted>");
    }
}
