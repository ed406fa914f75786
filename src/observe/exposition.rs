//! The two text formats `/metrics` speaks. `prometheus-client` writes
//! OpenMetrics; a scraper that does not ask for it (`curl`, `promtool check
//! metrics`, older Prometheus servers and agents) gets the classic Prometheus
//! text format (0.0.4), converted here line by line.
//!
//! The differences that matter: a classic counter's `# TYPE`/`# HELP` name
//! the sample (`…_total`), there is no `info` type (a gauge `…_info` = 1), no
//! `# UNIT` line and no `# EOF`.

/// The `Content-Type` of the OpenMetrics exposition.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The `Content-Type` of the classic Prometheus text exposition.
pub const CLASSIC: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Which text format a scrape gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0, when the scraper's `Accept` asks for it.
    OpenMetrics,
    /// The classic Prometheus text format, the default.
    Classic,
}

impl Format {
    /// The format an `Accept` header asks for: OpenMetrics when it lists
    /// `application/openmetrics-text` with a non-zero weight at least as high
    /// as any `text/plain`; classic otherwise (and without the header).
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Classic;
        };
        let weight_of = |wanted: &str| {
            accept
                .split(',')
                .filter_map(|range| {
                    let mut parts = range.split(';').map(str::trim);
                    let media = parts.next()?;
                    media.eq_ignore_ascii_case(wanted).then(|| {
                        parts
                            .find_map(|p| p.strip_prefix("q="))
                            .and_then(|q| q.parse::<f32>().ok())
                            .unwrap_or(1.0)
                    })
                })
                .fold(None, |best: Option<f32>, q| {
                    Some(best.map_or(q, |b| b.max(q)))
                })
        };
        match (
            weight_of("application/openmetrics-text"),
            weight_of("text/plain"),
        ) {
            (Some(open), plain) if open > 0.0 && plain.is_none_or(|p| open >= p) => {
                Format::OpenMetrics
            }
            _ => Format::Classic,
        }
    }

    /// The `Content-Type` of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => OPENMETRICS,
            Format::Classic => CLASSIC,
        }
    }
}

/// The classic text format of an OpenMetrics exposition.
pub fn to_classic(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    // HELP comes before TYPE, and a counter's HELP must be renamed after the
    // type is known: hold it until then.
    let mut help: Option<(&str, &str)> = None;
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            help = Some((name, text));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let (sample, kind) = match kind {
                "counter" => (format!("{name}_total"), "counter"),
                "info" => (format!("{name}_info"), "gauge"),
                "gaugehistogram" | "stateset" | "unknown" => (name.to_owned(), "untyped"),
                other => (name.to_owned(), other),
            };
            if let Some((_, text)) = help.take().filter(|(h, _)| *h == name) {
                out.push_str(&format!("# HELP {sample} {text}\n"));
            }
            out.push_str(&format!("# TYPE {sample} {kind}\n"));
        } else if line.starts_with('#') || line.is_empty() {
            // `# UNIT`, `# EOF`: no classic form.
            continue;
        } else {
            // An exemplar (` # {…}`) has no classic form.
            let sample = line.split_once(" # ").map_or(line, |(sample, _)| sample);
            out.push_str(sample);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_servers_get_openmetrics_and_plain_clients_the_classic_format() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
            version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(Format::negotiate(None), Format::Classic);
        assert_eq!(Format::negotiate(Some("*/*")), Format::Classic);
        assert_eq!(
            Format::negotiate(Some("text/plain;version=0.0.4")),
            Format::Classic
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;q=0")),
            Format::Classic
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;q=0.2, text/plain")),
            Format::Classic
        );
    }

    #[test]
    fn counters_and_info_are_renamed_units_and_eof_dropped() {
        let open = "# HELP x_passes Passes.\n# TYPE x_passes counter\nx_passes_total{bot=\"a\"} 2\n\
            # HELP x_build Build.\n# TYPE x_build info\nx_build_info{version=\"1\"} 1\n\
            # HELP x_wait_seconds Wait.\n# TYPE x_wait_seconds histogram\n# UNIT x_wait_seconds seconds\n\
            x_wait_seconds_sum 1.5\nx_wait_seconds_count 1\nx_wait_seconds_bucket{le=\"+Inf\"} 1 # {a=\"b\"} 1.5\n\
            # EOF\n";
        let classic = to_classic(open);
        assert_eq!(
            classic,
            "# HELP x_passes_total Passes.\n# TYPE x_passes_total counter\nx_passes_total{bot=\"a\"} 2\n\
             # HELP x_build_info Build.\n# TYPE x_build_info gauge\nx_build_info{version=\"1\"} 1\n\
             # HELP x_wait_seconds Wait.\n# TYPE x_wait_seconds histogram\n\
             x_wait_seconds_sum 1.5\nx_wait_seconds_count 1\nx_wait_seconds_bucket{le=\"+Inf\"} 1\n"
        );
    }
}
