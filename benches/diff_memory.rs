//! Peak memory of normalise + digest and of a diff, measured as the peak
//! resident set (VmHWM in /proc/self/status) of a child process that only reads
//! the definition(s) from disk and does the work, so generating the input does
//! not count. `cargo bench --bench diff_memory` prints one line per case.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::path::{Path, PathBuf};
use std::process::Command;

use kore_gitops::desired::{BotFiles, IgnoreRules};
use kore_gitops::diff::{compare, normalise};

const FIFTY_MB: usize = 50 * 1024 * 1024;
const CHILD_FLAG: &str = "--measure-child";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == CHILD_FLAG) {
        Some(at) => child(&args[at + 1..]),
        None => parent(),
    }
}

/// Writes the inputs, runs each case in a child, prints the figures.
fn parent() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let left = dir.path().join("left.json");
    let right = dir.path().join("right.json");
    let definition = synthetic::definition_of_size(FIFTY_MB);
    std::fs::write(&right, synthetic::edited(&definition)).expect("writing the input");
    std::fs::write(&left, definition).expect("writing the input");
    let real = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/kore-exports/vaxie-multilang/botDefinition.json");
    if real.is_file() {
        measure(
            "normalise+digest vaxie-multilang",
            &["normalise", path(&real)],
            &[&real],
        );
    } else {
        eprintln!(
            "NOTICE: skipping vaxie-multilang: {} not found",
            real.display()
        );
    }
    measure(
        "normalise+digest synthetic 50 MB",
        &["normalise", path(&left)],
        &[&left],
    );
    measure(
        "diff synthetic 50 MB vs edited",
        &["diff", path(&left), path(&right)],
        &[&left, &right],
    );
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

fn measure(label: &str, args: &[&str], inputs: &[&PathBuf]) {
    let exe = std::env::current_exe().expect("the bench binary");
    let output = Command::new(exe)
        .arg(CHILD_FLAG)
        .args(args)
        .output()
        .expect("running the child");
    assert!(
        output.status.success(),
        "{label}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let peak_kib: u64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("the child prints VmHWM");
    let input: u64 = inputs
        .iter()
        .map(|p| std::fs::metadata(p).expect("input").len())
        .sum();
    let (peak_mb, input_mb) = (peak_kib as f64 / 1024.0, input as f64 / (1024.0 * 1024.0));
    println!(
        "{label}: input {input_mb:.1} MiB, peak RSS {peak_mb:.1} MiB, {:.2}x input",
        peak_mb / input_mb
    );
}

/// Reads the input(s), does the work, prints VmHWM in KiB.
fn child(args: &[String]) {
    let read = |p: &String| BotFiles {
        definition: std::fs::read(p).expect("input"),
        ..synthetic::seed_bot()
    };
    let none = IgnoreRules::default();
    match args.first().map(String::as_str) {
        Some("normalise") => {
            let files = read(&args[1]);
            std::hint::black_box(normalise(&files, &none).expect("normalises").digest());
        }
        Some("diff") => {
            let (left, right) = (read(&args[1]), read(&args[2]));
            let l = normalise(&left, &none).expect("normalises");
            let r = normalise(&right, &none).expect("normalises");
            std::hint::black_box(compare(&l, &r).summary());
        }
        other => panic!("unknown child mode {other:?}"),
    }
    println!("{}", peak_rss_kib());
}

fn peak_rss_kib() -> u64 {
    let status =
        std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux only)");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    line.split_whitespace()
        .nth(1)
        .and_then(|kib| kib.parse().ok())
        .expect("a number of KiB")
}
