//! The deploy commands' codes, `docs/deploy.md` and `berth explain` agree: every code has a
//! section and an explanation, the docs name no unknown code, and no code is also a compiler
//! code.

use berth::commands::{DEPLOY_DOC, runtime_explanation};
use berth::deploy::error::RuntimeCode;
use berth_compiler::Code;

#[test]
fn every_deploy_code_has_a_section_and_an_explanation() {
    for code in RuntimeCode::ALL {
        let text = runtime_explanation(code).unwrap_or_default();
        assert!(
            text.len() > 120,
            "`berth explain {}` says too little: {text:?}",
            code.qualified()
        );
        assert_eq!(RuntimeCode::from_name(code.name()), Some(code));
    }
}

#[test]
fn the_deploy_docs_describe_no_unknown_code() {
    for line in DEPLOY_DOC.lines() {
        if let Some(name) = line.trim().strip_prefix("### berth::") {
            assert!(
                RuntimeCode::from_name(name).is_some(),
                "docs/deploy.md has a section for `{name}`, which is not a deploy code"
            );
        }
    }
}

#[test]
fn deploy_codes_are_not_compiler_codes() {
    for code in RuntimeCode::ALL {
        assert!(
            Code::from_name(code.name()).is_none(),
            "`{}` is both a compiler and a deploy code",
            code.qualified()
        );
    }
}

#[test]
fn explain_prints_a_deploy_code() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["explain", "berth::image-missing"])
        .output()
        .expect("run berth");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("get-login-password"), "{text}");
    let list = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["explain", "--list"])
        .output()
        .expect("run berth");
    assert!(String::from_utf8_lossy(&list.stdout).contains("berth::stack-failed"));
}
