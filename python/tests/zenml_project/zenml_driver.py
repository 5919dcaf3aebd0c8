"""Drives a real ZenML client for the tests: registers stacks and runs pipelines on them.

Run by the tests with the venv's Python, cwd = the test repo, a clean ZENML_* environment:

    python zenml_driver.py PLAN.json RESULT.json

PLAN: {"stacks": {name: {"orchestrator": {config}}}, "artifact_path": str,
       "runs": [{"name", "stack", "pipeline": "module.attr", "options": {...}, "cron": str?}]}
RESULT: {"project_id", "stacks": {name: id}, "runs": {name: {"snapshot_id", "run_id",
         "error": {"type", "message"}?}}}
Each run records what ZenML raised instead of stopping, so error surfacing can be checked.
"""

import importlib
import json
import sys
import traceback


def component(client, name, flavor, ctype, configuration):
    try:
        return client.get_stack_component(ctype, name)
    except KeyError:
        return client.create_stack_component(name=name, flavor=flavor, component_type=ctype, configuration=configuration)


def setup_stacks(client, plan):
    from zenml.enums import StackComponentType as T

    component(client, "zt_artifacts", "local", T.ARTIFACT_STORE, {"path": plan["artifact_path"]})
    component(client, "zt_registry", "default", T.CONTAINER_REGISTRY, {"uri": "registry.example.com/team"})
    component(client, "zt_builder", "local", T.IMAGE_BUILDER, {})
    ids = {}
    for name, stack in plan["stacks"].items():
        component(client, f"{name}_orchestrator", "zenc", T.ORCHESTRATOR, stack["orchestrator"])
        components = {
            T.ORCHESTRATOR: f"{name}_orchestrator",
            T.ARTIFACT_STORE: "zt_artifacts",
            T.CONTAINER_REGISTRY: "zt_registry",
            T.IMAGE_BUILDER: "zt_builder",
        }
        try:
            ids[name] = str(client.get_stack(name).id)
        except KeyError:
            ids[name] = str(client.create_stack(name=name, components=components).id)
    return ids


def snapshot_ids(client):
    return {str(s.id) for s in client.list_snapshots(size=1000, named_only=False).items}


def run_one(client, stack_ids, spec):
    from zenml.config.schedule import Schedule

    client.activate_stack(stack_ids[spec["stack"]])
    module, attr = spec["pipeline"].rsplit(".", 1)
    p = getattr(importlib.import_module(module), attr)
    options = dict(spec.get("options") or {})
    if spec.get("cron"):
        options["schedule"] = Schedule(name=f"{spec['name']}-schedule", cron_expression=spec["cron"])
    if spec.get("e2e_environment"):
        # The e2e harness pipeline: its hostile environment values, as make_e2e_snapshot.py sets them.
        m = importlib.import_module(module)
        options["environment"] = dict(m.PIPELINE_ENV)
        options["step_configurations"] = {"right": {"environment": dict(m.RIGHT_STEP_ENV)}}
    if spec.get("docker_image"):
        from zenml.config import DockerSettings

        options.setdefault("settings", {})["docker"] = DockerSettings(skip_build=True, parent_image=spec["docker_image"])
    before = snapshot_ids(client)
    out = {}
    try:
        run = p.with_options(**options)() if options else p()
        out["run_id"] = str(run.id) if run is not None else None
        if run is not None and spec.get("delete_placeholder"):
            # An engine run adopts the client's placeholder run; the e2e harness counts the runs
            # each engine run creates, so it starts from none.
            client.delete_pipeline_run(run.id)
    except BaseException as e:  # noqa: BLE001 - the test asserts on what ZenML raised
        out["error"] = {"type": type(e).__name__, "mro": [c.__name__ for c in type(e).__mro__],
                        "message": str(e), "traceback": traceback.format_exc()}
    new = sorted(snapshot_ids(client) - before)
    out["snapshot_id"] = new[0] if len(new) == 1 else None
    return out


def main() -> int:
    plan_file, result_file = sys.argv[1], sys.argv[2]
    with open(plan_file, encoding="utf-8") as f:
        plan = json.load(f)
    sys.path.insert(0, ".")
    from zenml.client import Client

    client = Client()
    stack_ids = setup_stacks(client, plan)
    result = {"project_id": str(client.active_project.id), "stacks": stack_ids, "runs": {}}
    for spec in plan["runs"]:
        result["runs"][spec["name"]] = run_one(client, stack_ids, spec)
    with open(result_file, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
