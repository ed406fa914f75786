//! `kore-gitops validate PATH`: lint a bot repository offline.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Prints every problem (one per line, `file:line:column: message`) and
/// returns 0 when the repository is clean, 2 when it has problems.
pub fn run_validate(path: &Path, out: &mut dyn Write) -> ExitCode {
    let problems = crate::desired::validate(path);
    for problem in &problems {
        // A closed stdout is not worth a panic; the exit code still tells.
        let _ = writeln!(out, "{problem}");
    }
    if problems.is_empty() {
        let _ = writeln!(out, "{}: no problems", path.display());
        ExitCode::SUCCESS
    } else {
        let _ = writeln!(out, "{} problem(s)", problems.len());
        ExitCode::from(2)
    }
}
