//! `berth fmt`: the canonical layout of a workspace file, comments kept.

use crate::diagnostics::Diagnostic;
use crate::syntax::parse;

/// Re-indents and normalises `source`, keeping its comments; fails only on syntax errors.
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    let mut document = parse(source)?;
    document.autoformat();
    let mut formatted = document.to_string();
    if !formatted.ends_with('\n') {
        formatted.push('\n');
    }
    Ok(formatted)
}
