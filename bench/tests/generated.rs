//! Every generated workspace checks clean for every target, so the scale benchmarks measure
//! real work.

use berth_bench::generate::{Shape, workspace};
use berth_compiler::model::Target;
use berth_compiler::{Options, Severity, check};

#[test]
fn generated_workspaces_check_clean_for_every_target() {
    for target in ["ecs", "fargate", "eks"] {
        for workloads in [1, 10, 137] {
            let source = workspace(Shape::new(workloads, target));
            for environment in [None, Some("staging"), Some("prod")] {
                let options = Options {
                    environment: environment.map(str::to_owned),
                    ..Options::default()
                };
                let checked = check(&source, &options);
                let errors: Vec<_> = checked
                    .diagnostics
                    .iter()
                    .filter(|diagnostic| diagnostic.severity() == Severity::Error)
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{workloads} workloads for {target} ({environment:?}): {errors:#?}"
                );
                let workspace = checked.workspace.expect("valid");
                assert_eq!(workspace.workloads.len(), workloads);
                assert_eq!(Some(workspace.target.value), Target::from_name(target));
            }
        }
    }
}
