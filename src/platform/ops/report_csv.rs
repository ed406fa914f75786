//! Reading a test run's CSV report: untrusted text from a signed link. The
//! summary block is skipped; the per-case rows start after the first line
//! whose first field names the utterance, and columns are found by name
//! (the exact spellings are UNCONFIRMED), so a reordered or extended report
//! still reads. Lines that do not parse are skipped, never fatal.

/// One test case of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub utterance: String,
    pub expected: String,
    pub matched: String,
    /// `True Positive`, `False Negative`, … as the report writes it.
    pub result: String,
}

impl ReportRow {
    /// Whether the case failed (a false positive or negative).
    pub fn failed(&self) -> bool {
        self.result.to_ascii_lowercase().starts_with("false")
    }
}

/// Most rows kept (a suite holds at most 1000 cases).
const MAX_ROWS: usize = 2000;
/// Longest field kept, in characters (an input is at most 3000).
const MAX_FIELD: usize = 3000;

/// The per-case rows of a report.
pub fn rows(bytes: &[u8]) -> Vec<ReportRow> {
    let text = String::from_utf8_lossy(bytes);
    let records = records(&text);
    let Some(header_at) = records.iter().position(|r| {
        r.first()
            .is_some_and(|f| f.trim().eq_ignore_ascii_case("utterance"))
    }) else {
        return Vec::new();
    };
    let header: Vec<String> = records[header_at]
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let column = |word: &str| header.iter().position(|h| h.contains(word));
    let (Some(expected), Some(matched), Some(result)) =
        (column("expected"), column("matched"), column("result"))
    else {
        return Vec::new();
    };
    let field = |record: &Vec<String>, i: usize| -> String {
        record
            .get(i)
            .map(|f| f.chars().take(MAX_FIELD).collect())
            .unwrap_or_default()
    };
    records[header_at + 1..]
        .iter()
        .filter(|r| r.len() > 1)
        .take(MAX_ROWS)
        .map(|r| ReportRow {
            utterance: field(r, 0),
            expected: field(r, expected),
            matched: field(r, matched),
            result: field(r, result),
        })
        .collect()
}

/// CSV records: fields split on commas, double quotes quote (with `""` for
/// a quote), newlines inside quotes belong to the field.
fn records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_header_whatever_the_summary_and_quoting() {
        let csv = "Test Suite,s\nF1 Score,0.50\n\nUtterance,Expected Intent,Matched Intent,Result Type\n\
            \"hi, there\",Greet,Greet,True Positive\n\"say \"\"no\"\"\",Deny,,False Negative\n";
        let rows = rows(csv.as_bytes());
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].utterance, "hi, there");
        assert!(!rows[0].failed());
        assert_eq!(rows[1].utterance, "say \"no\"");
        assert_eq!(rows[1].matched, "");
        assert!(rows[1].failed());
    }

    #[test]
    fn garbage_gives_no_rows_not_a_panic() {
        assert!(rows(b"\xff\xfe<html>not a report</html>").is_empty());
        assert!(rows(b"Utterance\n\"unterminated").is_empty());
    }
}
