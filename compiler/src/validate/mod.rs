//! Validation: cross-node and per-target rules over the lowered model. Only [`validate`] builds
//! a [`Valid`] workspace, so emitters never see one that has errors.

mod capacity;
mod dependencies;
mod names;
mod running;
mod target;
mod workloads;

use std::ops::Deref;

use crate::diagnostics::Diagnostics;
use crate::model::Workspace;

/// A value that passed validation with no errors (warnings may remain).
#[derive(Clone, Debug)]
pub struct Valid<T>(T);

impl<T> Valid<T> {
    /// The validated value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Valid<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Runs every rule on `workspace`; returns it as [`Valid`] when `diagnostics` holds no errors,
/// including those recorded by earlier stages.
pub fn validate(workspace: Workspace, diagnostics: &mut Diagnostics) -> Option<Valid<Workspace>> {
    dependencies::check_dependencies(&workspace, diagnostics);
    workloads::check_workloads(&workspace, diagnostics);
    target::check_target(&workspace, diagnostics);
    capacity::check_capacity(&workspace, diagnostics);
    names::check_names(&workspace, diagnostics);
    running::check_running(&workspace, diagnostics);
    (!diagnostics.has_errors()).then_some(Valid(workspace))
}
