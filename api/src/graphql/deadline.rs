//! The request deadline inside an execution: once it has passed, no further field starts
//! resolving, so a request answered with `TIMEOUT` starts no new database work. (Fields already
//! resolving finish; their statements are bounded by the statement timeout.)

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerError, ServerResult, Value};
use tokio_util::sync::CancellationToken;

/// Request data: cancelled when the request's deadline has passed.
pub struct Deadline(pub CancellationToken);

/// The extension that refuses to resolve fields of a request past its [`Deadline`].
pub(super) struct StopAtDeadline;

impl ExtensionFactory for StopAtDeadline {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(StopAtDeadline)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for StopAtDeadline {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if ctx
            .data_opt::<Deadline>()
            .is_some_and(|deadline| deadline.0.is_cancelled())
        {
            // Nobody reads this: the client was answered with TIMEOUT already.
            return Err(ServerError::new("the request deadline has passed", None));
        }
        next.run(ctx, info).await
    }
}
