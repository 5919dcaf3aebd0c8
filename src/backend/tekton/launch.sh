# zenc's Tekton schedule launcher, run by the CronJob: `sh launch.sh PIPELINERUN_MANIFEST`.
#
# Kubernetes applies a CronJob's concurrency policy and history limits to its Jobs, and this
# Job only creates a PipelineRun and ends. So the script applies them to the PipelineRuns of
# this schedule (label zenml.io/schedule=$ZENC_SCHEDULE), as ZenML means them:
#   ZENC_CONCURRENCY_POLICY  Allow: always create; Forbid: create nothing while one of them is
#                            still running; Replace: cancel the running ones, then create.
#   ZENC_KEEP_SUCCEEDED, ZENC_KEEP_FAILED  when set, delete the oldest finished ones beyond
#                            that many (cancelled runs count as failed).
# Needs a POSIX shell and kubectl only. RBAC on pipelineruns: list, create; get + patch
# (Replace); delete (history limits).
set -eu
manifest=$1
selector="zenml.io/schedule=$ZENC_SCHEDULE"

# One line per PipelineRun, oldest first: "<name> <status of its Succeeded condition>". The
# status is empty until Tekton first reconciles the run, Unknown while it runs, True or False
# when it is done.
runs=$(kubectl get pipelineruns -l "$selector" --sort-by=.metadata.creationTimestamp \
  -o 'jsonpath={range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Succeeded")].status}{"\n"}{end}')

# Names of the runs in state $1 (running, True or False), oldest first.
runs_in() {
  printf '%s\n' "$runs" | while read -r name status; do
    if [ -z "$name" ]; then
      continue
    fi
    case "$status" in
      "" | Unknown) state=running ;;
      *) state=$status ;;
    esac
    if [ "$state" = "$1" ]; then
      echo "$name"
    fi
  done
}

# Delete the oldest runs in state $1 beyond the newest $2 (nothing when $2 is empty).
prune() {
  if [ -z "$2" ]; then
    return 0
  fi
  keep=$2
  set -f
  set -- $(runs_in "$1")
  set +f
  old=""
  while [ "$#" -gt "$keep" ]; do
    old="$old $1"
    shift
  done
  if [ -n "$old" ]; then
    echo "history limit: deleting$old"
    kubectl delete pipelineruns $old --wait=false
  fi
}

prune True "${ZENC_KEEP_SUCCEEDED:-}"
prune False "${ZENC_KEEP_FAILED:-}"

running=$(runs_in running)
case "$ZENC_CONCURRENCY_POLICY" in
  Forbid)
    if [ -n "$running" ]; then
      echo "concurrency policy Forbid: not started, still running:" $running
      exit 0
    fi
    ;;
  Replace)
    for name in $running; do
      echo "concurrency policy Replace: cancelling $name"
      kubectl patch pipelinerun "$name" --type merge -p '{"spec":{"status":"Cancelled"}}'
    done
    ;;
esac
kubectl create -f "$manifest"
