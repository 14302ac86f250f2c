//! IM214 match-string-matches-nothing: a matchString matches in none of the files its
//! manager selects.

use crate::diag::{Code, Severity};

pub static CODE: Code = Code {
    code: "IM214",
    name: "match-string-matches-nothing",
    severity: Severity::Warning,
    summary: "A matchString of a regex manager (matchStringsStrategy any) matches nowhere in \
              the files the manager selects.",
    why: "A pattern that matches nothing extracts nothing, silently: a changed file layout, an \
          indentation or quoting the pattern does not allow, or a pattern written for another \
          file all look like this.",
    example: "Warns:  \"matchStrings\": [\"image: (?<depName>\\\\S+):(?<currentValue>\\\\S+)\"] on a \
              file that writes `image: \"nginx:1.27\"` (quoted)",
};
