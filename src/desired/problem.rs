//! Problems found in a bot folder, each tied to the file (and line) it is about,
//! so `validate` and the daemon's logs can point people at the exact spot.

use std::fmt;

use serde::Serialize;

/// One thing wrong with one file of a bot repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, as a path from the repository root (or as given on the command line).
    pub file: String,
    /// 1-based line, where the problem has one.
    pub line: Option<usize>,
    /// 1-based column, where the problem has one.
    pub column: Option<usize>,
    /// What is wrong, in words; never contains file contents that could be secret.
    pub message: String,
}

impl Problem {
    /// A problem about a whole file.
    pub fn in_file(file: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A problem at a byte offset of a file's text (converted to line and column).
    pub fn at_offset(
        file: impl Into<String>,
        text: &[u8],
        offset: usize,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = line_and_column(text, offset);
        Problem {
            file: file.into(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The deepest nesting serde_json (so the daemon) reads.
pub const MAX_JSON_DEPTH: usize = 128;

/// Why JSON text was refused, in words a person can act on: the parser's
/// message without its position (problems carry that), with the limits the
/// daemon enforces spelt out. Never quotes the text (it can hold secrets).
pub fn json_error_reason(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text);
    match message {
        "recursion limit exceeded" => format!(
            "nested deeper than {MAX_JSON_DEPTH} levels of arrays and objects, the most kore-gitops reads"
        ),
        "number out of range" => "a number too large for a 64-bit float (such as 1e999); \
             use a smaller number or a string"
            .to_owned(),
        other => other.to_owned(),
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_and_column(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Joins problems into one line for error messages.
pub(crate) fn join(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "a = 1\nbé = 2\n".as_bytes();
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        assert_eq!(line_and_column(text, 10), (2, 4));
        let problem = Problem::at_offset("bot.toml", text, 6, "bad");
        assert_eq!(problem.to_string(), "bot.toml:2:1: bad");
    }

    #[test]
    fn json_reasons_say_why() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let reason = |text: &str| {
            json_error_reason(&serde_json::from_str::<serde_json::Value>(text).unwrap_err())
        };
        assert!(
            reason(&deep).contains("deeper than 128 levels"),
            "{}",
            reason(&deep)
        );
        assert!(reason("[1e999]").contains("too large for a 64-bit float"));
        assert_eq!(reason("[1,,2]"), "expected value");
    }
}
