//! Benchmark: `berth build` of a 200-service workspace for fargate and a 1,000-service one for
//! eks — check and emit, in memory. The goal for each is well under one second.

use std::fmt::Write as _;
use std::hint::black_box;

use berth_compiler::emit::{TemplateFormat, emit};
use berth_compiler::{Options, check};
use criterion::{Criterion, criterion_group, criterion_main};

/// A workspace with `count` services (90 public), each with env, a secret, health and autoscaling.
fn generated(count: usize) -> String {
    let mut source = String::from(
        "workspace \"big\" {\n    target \"fargate\"\n    region \"eu-west-1\"\n}\nvars { tag \"1.0.0\" }\n",
    );
    for index in 0..count {
        // An ALB listener takes at most 100 rules, so only the first 90 services are public.
        let public = if index < 90 {
            format!("{{ public #true; path \"/svc-{index}\"; }}")
        } else {
            String::new()
        };
        let _ = write!(
            source,
            "service \"svc-{index}\" {{\n    image \"ghcr.io/acme/svc-{index}:{{{{tag}}}}\"\n    port 8080 {public}\n    cpu 256\n    memory 512\n    replicas min=2 max=10 {{ cpu 70; }}\n    health {{ http \"/healthz\"; interval \"10s\"; }}\n    env {{ LOG_LEVEL \"info\"; }}\n    secret \"DATABASE_URL\" from=\"ssm:/big/svc-{index}\"\n}}\n"
        );
    }
    source
}

fn bench_build(criterion: &mut Criterion) {
    let source = generated(200);
    let thousand = generated(1000);
    let mut group = criterion.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("fargate-200-services", |bencher| {
        bencher.iter(|| {
            let checked = check(black_box(&source), &Options::default());
            let workspace = checked.workspace.expect("the generated workspace is valid");
            emit(&workspace, TemplateFormat::Json).expect("emits")
        });
    });
    group.bench_function("eks-1000-services", |bencher| {
        let options = Options {
            target: Some(berth_compiler::model::Target::Eks),
            ..Options::default()
        };
        bencher.iter(|| {
            let checked = check(black_box(&thousand), &options);
            let workspace = checked.workspace.expect("the generated workspace is valid");
            emit(&workspace, TemplateFormat::Json).expect("emits")
        });
    });
    group.finish();
}

criterion_group!(benches, bench_build);
criterion_main!(benches);
