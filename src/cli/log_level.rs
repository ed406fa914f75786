//! `--log-level` / `KORE_GITOPS_LOG`: checked before logging starts, because
//! the filter syntax reads an unknown word such as `warning` as a target name
//! and silently turns every other log line off.

/// The levels, as the filter spells them.
const LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// The usual other spellings of a level.
const ALIASES: &[(&str, &str)] = &[
    ("warning", "warn"),
    ("err", "error"),
    ("fatal", "error"),
    ("critical", "error"),
    ("information", "info"),
    ("verbose", "debug"),
    ("all", "trace"),
    ("none", "off"),
];

/// Parses a filter such as `info`, `warning` or `kore_gitops=debug,hyper=warn`
/// into the filter syntax; every level must be a known one (or an alias).
pub fn parse_log_level(text: &str) -> Result<String, String> {
    let directives: Result<Vec<String>, String> = text
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(directive)
        .collect();
    let directives = directives?;
    if directives.is_empty() {
        return Err(unknown(text));
    }
    Ok(directives.join(","))
}

/// One directive: a bare level, or `target=level`.
fn directive(text: &str) -> Result<String, String> {
    match text.rsplit_once('=') {
        Some((target, level)) if !target.is_empty() => Ok(format!("{target}={}", level_of(level)?)),
        Some(_) => Err(unknown(text)),
        None => level_of(text),
    }
}

fn level_of(word: &str) -> Result<String, String> {
    let lower = word.trim().to_ascii_lowercase();
    if LEVELS.contains(&lower.as_str()) {
        return Ok(lower);
    }
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map(|(_, level)| (*level).to_owned())
        .ok_or_else(|| unknown(word))
}

fn unknown(word: &str) -> String {
    format!(
        "{word:?} is not a log level (--log-level or KORE_GITOPS_LOG): use one of {} \
         (or warning), optionally per target as kore_gitops=debug",
        LEVELS.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_aliases_and_targets_are_accepted() {
        assert_eq!(parse_log_level("warning").unwrap(), "warn");
        assert_eq!(parse_log_level("INFO").unwrap(), "info");
        assert_eq!(
            parse_log_level("info,kore_gitops=Warning").unwrap(),
            "info,kore_gitops=warn"
        );
    }

    #[test]
    fn unknown_levels_are_refused() {
        for bad in ["loud", "", "kore_gitops", "kore_gitops=loud", "=info"] {
            let err = parse_log_level(bad).unwrap_err();
            assert!(err.contains("is not a log level"), "{bad}: {err}");
        }
    }
}
