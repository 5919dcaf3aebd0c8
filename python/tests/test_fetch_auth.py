"""`zenc fetch` against a real ZenML 0.98 server that requires authentication.

The server runs as ZenML's container image runs it (uvicorn, `OAUTH2_PASSWORD_BEARER`, SQLite);
the test activates it, creates a service account and an API key through the REST API, and a
ZenML client logged in with that key creates a named snapshot. zenc, given the same key,
must fetch exactly what ZenML's own hydration gives — by id and by name — and say clearly
when the key is wrong or missing, without ever printing the key.
"""

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import HERE, free_port, healthy, requirement_missing

pytestmark = pytest.mark.server
ADMIN_PASSWORD = "zenc-test-Adm1n!"


def call(url, method="GET", form=None, body=None, token=None):
    data = urllib.parse.urlencode(form).encode() if form else json.dumps(body).encode() if body else None
    request = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory, zenc_bin):
    try:
        import zenml  # noqa: F401
    except ImportError:
        requirement_missing("zenml is not installed in this Python (use the e2e venv: ../shared/e2e/setup)")
    work = tmp_path_factory.mktemp("zenml-auth")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENML_")}
    env.update(
        HOME=str(work), ZENML_CONFIG_PATH=str(work / "server-config"), ZENML_ANALYTICS_OPT_IN="false",
        ZENML_STORE_URL=f"sqlite:///{work / 'zenml.db'}", ZENML_SERVER_AUTH_SCHEME="OAUTH2_PASSWORD_BEARER",
        ZENML_SERVER_JWT_SECRET_KEY=os.urandom(16).hex(),
    )
    log = open(work / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "zenml.zen_server.zen_server_api:app", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work,
    )
    try:
        for _ in range(120):
            if healthy(url) or proc.poll() is not None:
                break
            time.sleep(0.5)
        if not healthy(url):
            pytest.fail(f"the ZenML server did not start: {(work / 'server.log').read_text()[-3000:]}")
        api = f"{url}/api/v1"
        call(f"{api}/activate", "PUT", body={"admin_username": "admin", "admin_password": ADMIN_PASSWORD})
        token = call(f"{api}/login", "POST", form={"grant_type": "password", "username": "admin",
                                                     "password": ADMIN_PASSWORD})["access_token"]
        account = call(f"{api}/service_accounts", "POST", body={"name": "zenc-ci", "active": True}, token=token)
        key = call(f"{api}/service_accounts/{account['id']}/api_keys", "POST", body={"name": "ci"}, token=token)
        key = key["body"]["key"]
        client_env = {k: v for k, v in os.environ.items() if not k.startswith("ZENML_")}
        client_env.update(
            HOME=str(work), ZENML_CONFIG_PATH=str(work / "client-config"), ZENML_ANALYTICS_OPT_IN="false",
            ZENML_STORE_URL=url, ZENML_STORE_TYPE="rest", ZENML_STORE_API_KEY=key,
        )
        reference = work / "reference.json"
        made = subprocess.run(
            [sys.executable, str(HERE / "zenml_project" / "auth_snapshot.py"), str(reference), "zenc-auth-nightly"],
            env=client_env, cwd=work, capture_output=True, text=True, timeout=300, check=False,
        )
        assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-4000:]
        yield {"url": url, "key": key, "snapshot_id": made.stdout.strip().splitlines()[-1],
               "reference": json.loads(reference.read_text()), "work": work}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def fetch(zenc_bin, *args, key=None, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENML_")}
    if key is not None:
        env["ZENML_STORE_API_KEY"] = key
    env.update(env_extra or {})
    return subprocess.run([zenc_bin, "fetch", *args], env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("by", ["id", "name"])
def test_a_service_account_key_fetches_what_zenml_hydrates(auth_server, zenc_bin, by):
    ref = auth_server["snapshot_id"] if by == "id" else "zenc-auth-nightly"
    out = fetch(zenc_bin, ref, "--server", auth_server["url"], key=auth_server["key"])
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == auth_server["reference"]
    assert auth_server["key"] not in out.stdout + out.stderr


def test_a_key_file_works_and_its_key_is_not_printed(auth_server, zenc_bin, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(auth_server["key"] + "\n")
    out = fetch(zenc_bin, auth_server["snapshot_id"], "--api-key-file", str(key_file),
                env_extra={"ZENML_STORE_URL": auth_server["url"]})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["id"] == auth_server["snapshot_id"]


def test_a_wrong_key_and_no_key_are_clear_errors(auth_server, zenc_bin):
    wrong = auth_server["key"][:-6] + "AAAAAA"
    out = fetch(zenc_bin, auth_server["snapshot_id"], "--server", auth_server["url"], key=wrong)
    assert out.returncode == 1
    assert out.stderr.startswith(f"error: the ZenML server at {auth_server['url']} rejected the API key (HTTP 401"), out.stderr
    assert wrong not in out.stderr and auth_server["key"] not in out.stderr
    out = fetch(zenc_bin, auth_server["snapshot_id"], "--server", auth_server["url"])
    assert out.returncode == 1
    assert "requires authentication and no credentials were given" in out.stderr


def test_an_unknown_snapshot_after_login(auth_server, zenc_bin):
    out = fetch(zenc_bin, "11111111-2222-3333-4444-555555555555", "--server", auth_server["url"], key=auth_server["key"])
    assert out.returncode == 1
    assert out.stderr.startswith("error: no snapshot `11111111-2222-3333-4444-555555555555`"), out.stderr
