//! Every input that ever broke berth (`fuzz/regressions/*.kdl`, plus the fixtures and examples)
//! still satisfies every invariant, for every target and with an environment.

use std::path::Path;

use berth_compiler::Options;
use berth_compiler::model::Target;
use berth_fuzz::cases::regressions;
use berth_fuzz::invariants::parse_check;

#[test]
fn past_crashes_satisfy_every_invariant() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = regressions(&root);
    assert!(files.len() >= 4, "regressions are missing: {files:?}");
    for file in files {
        let source = fs_err::read_to_string(&file).expect("readable");
        for target in [
            None,
            Some(Target::Ecs),
            Some(Target::Fargate),
            Some(Target::Eks),
        ] {
            for environment in [None, Some("prod".to_owned())] {
                let options = Options {
                    environment,
                    target,
                    ..Options::default()
                };
                eprintln!("{} {options:?}", file.display());
                if let Err(failure) = parse_check(&source, &options) {
                    panic!("{} {options:?}: {failure}", file.display());
                }
            }
        }
    }
}

#[test]
fn a_hundred_cases_of_each_target_hold() {
    use berth_fuzz::cases::{Target as FuzzTarget, case, seeds};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let seeds = seeds(&root);
    for target in FuzzTarget::ALL {
        for index in 0..100 {
            let case = case(target, 7, index, &seeds);
            eprintln!("{} case {index}", target.name());
            if let Err(failure) = parse_check(&case.source, &case.options) {
                panic!("{} case {index}: {failure}\n{}", target.name(), case.source);
            }
        }
    }
}
