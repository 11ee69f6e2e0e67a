//! Benchmark: `check` (parse → lower → validate) on every example, and on a generated
//! 200-service workspace. The goal is well under 50 ms for a cold check of an example; see also
//! the runtime's `cold_check` benchmark, which measures the whole process.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use berth_compiler::model::Target;
use berth_compiler::{Options, check};
use criterion::{Criterion, criterion_group, criterion_main};

fn examples() -> Vec<(String, String)> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut examples: Vec<(String, String)> = std::fs::read_dir(&directory)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let source = std::fs::read_to_string(entry.path().join("berth.kdl")).ok()?;
                    Some((entry.file_name().to_string_lossy().into_owned(), source))
                })
                .collect()
        })
        .unwrap_or_default();
    examples.sort();
    examples
}

/// A workspace with `count` services (90 public), each with env, secrets, health and autoscaling.
fn generated(count: usize) -> String {
    let mut source =
        String::from("workspace \"big\" {\n    region \"eu-west-1\"\n}\nvars { tag \"1.0.0\" }\n");
    for index in 0..count {
        // A load balancer listener takes at most 100 rules, so only the first 90 are public.
        let public = if index < 90 {
            format!("{{ public #true; path \"/svc-{index}\"; }}")
        } else {
            String::new()
        };
        let _ = write!(
            source,
            "service \"svc-{index}\" {{\n    image \"ghcr.io/acme/svc-{index}:{{{{tag}}}}\"\n    port 8080 {public}\n    cpu 256\n    memory 512\n    replicas min=2 max=10 {{ cpu 70; }}\n    health {{ http \"/healthz\"; interval \"10s\"; }}\n    env {{ LOG_LEVEL \"info\"; INDEX \"{index}\"; }}\n    secret \"DATABASE_URL\" from=\"ssm:/big/{{{{env}}}}/svc-{index}\"\n}}\n"
        );
    }
    source
}

fn bench_check(criterion: &mut Criterion) {
    for (name, source) in examples() {
        for target in [Target::Fargate, Target::Eks] {
            let options = Options {
                target: Some(target),
                ..Options::default()
            };
            criterion.bench_function(&format!("check/{name}/{}", target.name()), |bencher| {
                bencher.iter(|| check(black_box(&source), black_box(&options)));
            });
        }
    }
    let big = generated(200);
    // Benchmarking a workspace that no longer checks clean would time the error path; CI runs
    // this setup once (`cargo bench -- --test`), so a generator that drifted fails there.
    let checked = check(&big, &Options::default());
    assert!(
        checked.workspace.is_some() && !checked.has_errors(),
        "the generated workspace does not check clean: {:#?}",
        checked.diagnostics
    );
    criterion.bench_function("check/generated-200-services", |bencher| {
        bencher.iter(|| check(black_box(&big), &Options::default()));
    });
}

criterion_group!(benches, bench_check);
criterion_main!(benches);
