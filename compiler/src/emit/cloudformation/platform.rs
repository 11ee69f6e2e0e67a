//! The platform stack of the `ecs` and `fargate` targets.

use super::{Context, Template};

/// The shared infrastructure of one workspace and environment.
pub fn platform_stack(context: &Context<'_>) -> Template {
    Template::new(format!(
        "berth platform of {} ({})",
        context.workspace.name.value, context.workspace.environment.value
    ))
}
