//! Normalise + digest and compare, on the largest real export and on synthetic
//! 50 MB definitions. Figures and the command to reproduce are in BENCHMARKS.md.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kore_gitops::desired::{BotFiles, IgnoreRules, read_bot_folder};
use kore_gitops::diff::{compare, normalise};

const FIFTY_MB: usize = 50 * 1024 * 1024;

fn largest_real_export() -> Option<BotFiles> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/kore-exports/vaxie-multilang");
    if !path.is_dir() {
        eprintln!(
            "NOTICE: skipping the real-export benchmark: {} not found",
            path.display()
        );
        return None;
    }
    Some(read_bot_folder(&path).expect("the fixture reads").1)
}

fn normalise_and_digest(c: &mut Criterion) {
    let mut group = c.benchmark_group("normalise+digest");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1));
    let none = IgnoreRules::default();
    if let Some(files) = largest_real_export() {
        group.throughput(Throughput::Bytes(files.definition.len() as u64));
        group.bench_function("vaxie-multilang (3.6 MB)", |b| {
            b.iter(|| normalise(&files, &none).unwrap().digest())
        });
    }
    let files = BotFiles {
        definition: synthetic::definition_of_size(FIFTY_MB),
        ..synthetic::seed_bot()
    };
    group.throughput(Throughput::Bytes(files.definition.len() as u64));
    group.bench_function("synthetic 50 MB", |b| {
        b.iter(|| normalise(&files, &none).unwrap().digest())
    });
    group.finish();
}

fn compare_fifty_megabytes(c: &mut Criterion) {
    let mut group = c.benchmark_group("diff 50 MB");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1));
    let none = IgnoreRules::default();
    let left = BotFiles {
        definition: synthetic::definition_of_size(FIFTY_MB),
        ..synthetic::seed_bot()
    };
    let right = BotFiles {
        definition: synthetic::edited(&left.definition),
        ..left.clone()
    };
    let (l, r) = (
        normalise(&left, &none).unwrap(),
        normalise(&right, &none).unwrap(),
    );
    assert!(!compare(&l, &r).is_empty(), "the edit must show");
    group.bench_function("compare (normalised)", |b| b.iter(|| compare(&l, &r)));
    group.bench_function("normalise both + compare", |b| {
        b.iter(|| {
            let (l, r) = (
                normalise(&left, &none).unwrap(),
                normalise(&right, &none).unwrap(),
            );
            compare(&l, &r).summary()
        })
    });
    group.finish();
}

criterion_group!(benches, normalise_and_digest, compare_fifty_megabytes);
criterion_main!(benches);
