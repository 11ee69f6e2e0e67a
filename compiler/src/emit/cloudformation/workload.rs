//! The stack of one service, worker or job on the `ecs` and `fargate` targets.

use super::{Context, Template};
use crate::model::Workload;

/// Everything one workload needs beyond the platform.
pub fn workload_stack(context: &Context<'_>, workload: &Workload) -> Template {
    Template::new(format!(
        "berth {} {} of {}",
        workload.kind.name(),
        workload.name.value,
        context.workspace.name.value
    ))
}
