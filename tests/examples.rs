//! Every example checks clean for every target and every environment it declares, and has a README.

use berth_compiler::model::Target;
use berth_compiler::{Options, Severity, check};
use berth_tests::{case_name, cases};

fn environments(source: &str) -> Vec<Option<String>> {
    let mut environments = vec![None];
    for line in source.lines() {
        if let Some(rest) = line.trim_start().strip_prefix("environment \"")
            && let Some((name, _)) = rest.split_once('"')
        {
            environments.push(Some(name.to_owned()));
        }
    }
    environments
}

#[test]
fn every_example_checks_clean_for_every_target_and_environment() {
    let examples = cases("examples");
    assert!(
        examples.len() >= 5,
        "expected at least five examples, found {}",
        examples.len()
    );
    for example in examples {
        let source = fs_err::read_to_string(example.join("berth.kdl")).expect("readable");
        for target in [Target::Ecs, Target::Fargate, Target::Eks] {
            for environment in environments(&source) {
                let options = Options {
                    environment: environment.clone(),
                    target: Some(target),
                    ..Options::default()
                };
                let checked = check(&source, &options);
                let errors: Vec<_> = checked
                    .diagnostics
                    .iter()
                    .filter(|diagnostic| diagnostic.severity() == Severity::Error)
                    .collect();
                assert!(
                    errors.is_empty() && checked.workspace.is_some(),
                    "{} fails for target {} env {environment:?}: {errors:#?}",
                    case_name(&example),
                    target.name()
                );
            }
        }
        assert!(
            example.join("README.md").is_file(),
            "{} has no README.md",
            case_name(&example)
        );
    }
}
