//! Where our section sits inside a note's text.
//!
//! A note on a commit is shared: a person may write one (`git notes add`,
//! `git notes append`), another tool may too. Ours is a delimited block; any
//! text before or after it is someone else's and is kept verbatim:
//!
//! ```text
//! reviewed by Ana: ok to ship          <- foreign text, kept as it is
//!
//! # kore-gitops: travel-desk Synced    <- opens our block (the summary line)
//!
//! [bots.travel-desk]
//! …
//! # end of kore-gitops status          <- closes it
//! ```
//!
//! Notes written before the end marker existed are the block alone, from the
//! summary line to the end of the text: they still parse.

/// The start of the line that opens our block (followed by the summary).
pub const BEGIN: &str = "# kore-gitops: ";

/// The line that closes our block.
pub const END: &str = "# end of kore-gitops status";

/// A note's text cut around our block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split<'a> {
    /// Foreign text before our block (verbatim).
    pub before: &'a str,
    /// Our block, the summary line included, the end marker excluded; `None`
    /// when the note has no block of ours.
    pub block: Option<&'a str>,
    /// Foreign text after our block (verbatim).
    pub after: &'a str,
}

/// Cuts `text` around the first block of ours.
pub fn split(text: &str) -> Split<'_> {
    let Some(start) = line_starting(text, BEGIN, 0) else {
        return Split {
            before: text,
            block: None,
            after: "",
        };
    };
    let (block, after) = match line_starting(text, END, start) {
        Some(end) => {
            let rest = &text[end + END.len()..];
            (&text[start..end], rest.strip_prefix('\n').unwrap_or(rest))
        }
        None => (&text[start..], ""),
    };
    Split {
        before: &text[..start],
        block: Some(block),
        after,
    }
}

/// The note's text: `before`, our block (already ending in a newline), the
/// end marker, `after`. A blank line separates our block from foreign text
/// before it; once there, it is part of `before` and is not added again.
pub fn join(before: &str, block: &str, after: &str) -> String {
    let mut text = String::with_capacity(before.len() + block.len() + after.len() + 40);
    text.push_str(before);
    if !before.is_empty() {
        while !text.ends_with("\n\n") {
            text.push('\n');
        }
    }
    text.push_str(block);
    if !block.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(END);
    text.push('\n');
    text.push_str(after);
    text
}

/// The byte offset of the first line at or after `from` that starts with
/// `prefix`.
fn line_starting(text: &str, prefix: &str, from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        if text[at..].starts_with(prefix) && (at == 0 || text.as_bytes()[at - 1] == b'\n') {
            return Some(at);
        }
        at += text[at..].find('\n')? + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_note_is_all_block() {
        let old = "# kore-gitops: a Synced\n\n[bots.a]\nphase = \"Synced\"\n";
        assert_eq!(
            split(old),
            Split {
                before: "",
                block: Some(old),
                after: ""
            }
        );
    }

    #[test]
    fn foreign_text_around_the_block_survives_a_rewrite() {
        let block = "# kore-gitops: a Synced\n\n[bots.a]\n";
        let text = join("reviewed by Ana", block, "\nappended later\n");
        assert_eq!(
            text,
            format!("reviewed by Ana\n\n{block}{END}\n\nappended later\n")
        );
        let cut = split(&text);
        assert_eq!(cut.block, Some(block));
        assert_eq!(join(cut.before, block, cut.after), text, "stable");
        assert_eq!(split("just a person's note").block, None);
        assert_eq!(
            split("x # kore-gitops: no").block,
            None,
            "only at a line start"
        );
    }
}
