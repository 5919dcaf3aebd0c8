//! Size limits every Kubernetes object meets, whichever engine wrote it, and how a message
//! prints a size.

/// etcd's default `--max-request-bytes`: the largest object the API server can store.
pub const ETCD_LIMIT: usize = 1536 * 1024;
/// Argo's default `MAX_WORKFLOW_SIZE` (spec + status, after compressing node status): the Argo
/// target and the Workflows KFP makes from its IR both meet it.
pub const ARGO_CONTROLLER_LIMIT: usize = 1024 * 1024;

/// `1.42 MiB`.
pub fn mib(bytes: usize) -> String {
    #[allow(clippy::cast_precision_loss)]
    let m = bytes as f64 / (1024.0 * 1024.0);
    format!("{m:.2} MiB")
}
