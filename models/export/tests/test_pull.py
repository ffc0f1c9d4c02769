"""`pestream_export.hub pull` against a local hub (tests/local_hub.py) with the real huggingface_hub client:
download (and resumption after a dropped connection), fp32 + fp16 export with parity, install with the source in the manifest,
and the one-line errors. Needs the exporter venv (torch); not part of CI:
`.venv/bin/python -m unittest tests.test_pull` from models/export (about 3 minutes on 2 cores)."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
from local_hub import COMMIT, LocalHub

from pestream_export import loading
from test_exporter import save_checkpoint

EXPORT_DIR = Path(__file__).resolve().parents[1]
TOKEN = "hf_local_test_token"


def run_pull(hub_endpoint: str, home: Path, *args, token_env: str | None = TOKEN):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN")}
    env.update({"HF_ENDPOINT": hub_endpoint, "HF_HUB_DISABLE_XET": "1", "HF_HUB_ETAG_TIMEOUT": "5",
                "HF_HUB_DOWNLOAD_TIMEOUT": "5", "PESTREAM_TEST_TOKEN": token_env or ""})
    return subprocess.run([sys.executable, "-m", "pestream_export.hub", "pull", *args, "--models-home", str(home)],
                          cwd=EXPORT_DIR, env=env, capture_output=True, text=True, timeout=3000)


def error_line(result) -> str:
    lines = [l for l in result.stderr.splitlines() if l.startswith("error: ")]
    return lines[-1] if lines else result.stderr[-2000:]


class PullTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="pull-test-"))
        cls.av = save_checkpoint(loading.random_init("tiny-av", 0)[0], cls.tmp / "pe-av-small")
        cls.bert = cls.tmp / "bert"
        shutil.copytree(cls.av, cls.bert)
        config = json.loads((cls.bert / "config.json").read_text())
        config["architectures"] = ["BertModel"]
        (cls.bert / "config.json").write_text(json.dumps(config))
        cls.repos = {"facebook/pe-av-small": cls.av, "someone/bert-like": cls.bert}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_pull_exports_checks_parity_and_installs(self):
        home = self.tmp / "home-ok"
        with LocalHub(self.repos, token=TOKEN) as hub:
            result = run_pull(hub.endpoint, home, "facebook/pe-av-small", "--revision", "main",
                              "--token", "env:PESTREAM_TEST_TOKEN")
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        for precision in ("fp32", "fp16"):
            bundle = home / "pe-av-small" / precision
            manifest = json.loads((bundle / "manifest.json").read_text())
            source = manifest["source"]
            self.assertEqual(source["checkpoints"], [{"repoId": "facebook/pe-av-small", "revision": "main",
                                                      "commit": COMMIT}])
            self.assertEqual(source["parity"]["precision"], precision)
            self.assertTrue(source["parity"]["passed"])
            self.assertGreaterEqual(source["parity"]["minCosine"], source["parity"]["threshold"])
            self.assertEqual(manifest["modelId"], "facebook/pe-av-small")
            for name, digest in manifest["files"].items():
                self.assertEqual(hashlib.sha256((bundle / name).read_bytes()).hexdigest(), digest, name)
        self.assertEqual(sorted(p.name for p in home.iterdir() if not p.name.startswith(".")), ["pe-av-small"])

    def test_a_dropped_connection_resumes_with_a_range_request(self):
        """huggingface_hub 2.4 writes 10 MB chunks and, when the connection drops, asks for the rest from the last
        whole chunk (it no longer reuses an earlier process's partial file: each download has its own temp file)."""
        repo = self.tmp / "big"
        repo.mkdir()
        data = np.random.default_rng(3).integers(0, 256, 12 << 20, dtype=np.uint8).tobytes()
        (repo / "model.safetensors").write_bytes(data)
        with LocalHub({"facebook/big": repo}, drop_after=11 << 20) as hub:
            env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
            env.update({"HF_ENDPOINT": hub.endpoint, "HF_HUB_DISABLE_XET": "1"})
            code = ("import sys; from pathlib import Path; from pestream_export import hub; "
                    "folder, commit = hub.download('facebook/big', None, None, Path(sys.argv[1])); print(folder)")
            result = subprocess.run([sys.executable, "-c", code, str(self.tmp / "cache-big")], cwd=EXPORT_DIR, env=env,
                                    capture_output=True, text=True, timeout=600)
            requests = list(hub.requests)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        self.assertEqual((Path(result.stdout.strip()) / "model.safetensors").read_bytes(), data)
        self.assertIn(("GET", f"/facebook/big/resolve/{COMMIT}/model.safetensors", f"bytes={10 << 20}-"), requests)

    def test_unknown_model_id(self):
        with LocalHub(self.repos) as hub:
            result = run_pull(hub.endpoint, self.tmp / "home-unknown", "facebook/pe-av-nope")
        self.assertEqual(result.returncode, 9)
        self.assertIn("error: unknown model id 'facebook/pe-av-nope'", error_line(result))

    def test_unknown_revision(self):
        with LocalHub(self.repos) as hub:
            result = run_pull(hub.endpoint, self.tmp / "home-rev", "facebook/pe-av-small", "--revision", "v9")
        self.assertEqual(result.returncode, 9)
        self.assertIn("has no revision 'v9'", error_line(result))

    def test_wrong_token(self):
        with LocalHub(self.repos, token=TOKEN) as hub:
            result = run_pull(hub.endpoint, self.tmp / "home-token", "facebook/pe-av-small",
                              "--token", "env:PESTREAM_TEST_TOKEN", token_env="hf_wrong")
        self.assertEqual(result.returncode, 9)
        self.assertIn("refused the token (401)", error_line(result))

    def test_token_file_and_missing_variable(self):
        token_file = self.tmp / "token.txt"
        token_file.write_text(TOKEN + "\n")
        with LocalHub(self.repos, token=TOKEN) as hub:
            missing = run_pull(hub.endpoint, self.tmp / "home-tf", "facebook/pe-av-nope", "--token", "env:NOT_SET_XYZ")
            from_file = run_pull(hub.endpoint, self.tmp / "home-tf", "facebook/pe-av-nope",
                                 "--token", f"file:{token_file}")
        self.assertEqual(missing.returncode, 2)
        self.assertIn("NOT_SET_XYZ is not set", error_line(missing))
        # the token was accepted (a wrong one would be 401): the repository simply does not exist
        self.assertIn("unknown model id", error_line(from_file))

    def test_no_network(self):
        with LocalHub(self.repos) as hub:
            endpoint = hub.endpoint        # closed once the block ends: nothing listens there any more
        result = run_pull(endpoint, self.tmp / "home-offline", "facebook/pe-av-small")
        self.assertEqual(result.returncode, 9)
        self.assertIn(f"cannot reach {endpoint} (no network?", error_line(result))

    def test_unsupported_architecture(self):
        with LocalHub(self.repos) as hub:
            result = run_pull(hub.endpoint, self.tmp / "home-bert", "someone/bert-like")
        self.assertEqual(result.returncode, 7)
        self.assertIn("error: checkpoint error:", error_line(result))
        self.assertIn("BertModel", error_line(result))
        self.assertFalse((self.tmp / "home-bert" / "bert-like").exists())


if __name__ == "__main__":
    unittest.main()
