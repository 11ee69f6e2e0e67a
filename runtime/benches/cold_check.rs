//! Benchmark: a cold `berth check` of each example, as a user runs it — a new process that reads
//! the file, checks it and renders the report. The goal is well under 50 ms.

use std::path::Path;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};

fn bench_cold_check(criterion: &mut Criterion) {
    let binary = env!("CARGO_BIN_EXE_berth");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files: Vec<_> = std::fs::read_dir(&examples)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path().join("berth.kdl"))
                .filter(|path| path.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut group = criterion.benchmark_group("cold-check");
    group.sample_size(30);
    for file in files {
        let name = file
            .parent()
            .and_then(Path::file_name)
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        group.bench_function(&name, |bencher| {
            bencher.iter(|| {
                let status = Command::new(binary)
                    .arg("check")
                    .arg(&file)
                    .env("NO_COLOR", "1")
                    .output()
                    .map(|output| output.status.success());
                assert_eq!(
                    status.ok(),
                    Some(true),
                    "berth check {} failed",
                    file.display()
                );
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_cold_check);
criterion_main!(benches);
