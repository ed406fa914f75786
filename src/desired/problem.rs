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
}
