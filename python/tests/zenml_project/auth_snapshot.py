"""Creates a named snapshot as a client authenticated by a service-account API key
(ZENML_STORE_URL / ZENML_STORE_API_KEY in the environment) and writes it the way ZenML's own
orchestrators see it: hydrated, with its nested stack, build and schedule hydrated too.

    python auth_snapshot.py OUT.json SNAPSHOT_NAME   # prints the snapshot id
"""

import json, sys
from zenml import pipeline, step
from zenml.client import Client

@step
def hello() -> int:
    return 1

@pipeline(enable_cache=False)
def zenc_auth_pipeline():
    hello()

if __name__ == "__main__":
    snap = zenc_auth_pipeline.create_snapshot(name=sys.argv[2])
    full = Client().get_snapshot(snap.id, hydrate=True)
    data = full.model_dump(mode="json")
    for key in ("stack", "build", "schedule"):
        nested = getattr(full.resources, key, None)
        if nested is not None:
            data["resources"][key] = nested.get_hydrated_version().model_dump(mode="json")
    with open(sys.argv[1], "w") as f:
        json.dump(data, f)
    print(snap.id)
