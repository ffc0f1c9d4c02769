"""`python -m pestream_export.hub pull REPO_ID... [--revision R] [--token env:NAME|file:PATH] [--models-home DIR]`:
downloads PE checkpoints with huggingface_hub (progress bars, dropped connections resumed, HF_ENDPOINT honoured), exports them
to fp32 + fp16 bundles with their parity checks (exporter.export_bundle), and installs them in the models home as
NAME/fp32 and NAME/fp16, with the checkpoints' revision and the parity figures in each manifest's `source`.

Separate from `pestream_export.cli`, which switches the hub off before anything is imported: this module is the
one place that talks to a hub. Failures print one line, `error: ...`, and exit with the code the Java CLI uses
(`pestream models pull` passes it through).
"""
import argparse
import errno
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

EXIT_USAGE = 2
EXIT_MODEL_BUNDLE = 7        # the checkpoint cannot be exported (architecture, files) or misses parity
EXIT_DOWNLOAD = 9            # unknown model id or revision, no network, refused token, disk full
HOME_ENV = "PESTREAM_MODELS_HOME"
PRECISIONS = ("fp32", "fp16")


class PullError(SystemExit):
    def __init__(self, message: str, code: int):
        super().__init__(code)
        self.message = message


def models_home(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    return Path.home() / ".pestream" / "models"


def read_token(spec: str | None) -> str | None:
    """`env:NAME` or `file:PATH`; a bare token on the command line would land in shell history and `ps`."""
    if spec is None:
        return None
    kind, _, value = spec.partition(":")
    if kind == "env" and value:
        token = os.environ.get(value)
        if not token:
            raise PullError(f"--token env:{value}: the environment variable {value} is not set", EXIT_USAGE)
        return token.strip()
    if kind == "file" and value:
        try:
            return Path(value).expanduser().read_text().strip()
        except OSError as e:
            raise PullError(f"--token file:{value}: cannot read it ({e.strerror})", EXIT_USAGE)
    raise PullError(f"--token must be env:NAME or file:PATH, got '{spec}'", EXIT_USAGE)


def default_name(repo_ids: list) -> str:
    return "+".join(r.rstrip("/").split("/")[-1] for r in repo_ids)


def download(repo_id: str, revision: str | None, token: str | None, cache: Path) -> tuple:
    """The checkpoint's snapshot folder and the commit it resolved to."""
    import httpx2
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError,
                                        RepositoryNotFoundError, RevisionNotFoundError)
    endpoint = constants.ENDPOINT
    try:
        folder = Path(snapshot_download(repo_id, revision=revision, token=token if token else None,
                                        cache_dir=cache))
    except RevisionNotFoundError:
        raise PullError(f"{repo_id} has no revision '{revision}' on {endpoint}", EXIT_DOWNLOAD)
    except GatedRepoError:
        raise PullError(f"{repo_id} is gated on {endpoint}: accept its licence on the hub and pass a token with "
                        "--token env:NAME", EXIT_DOWNLOAD)
    except RepositoryNotFoundError:
        raise PullError(f"unknown model id '{repo_id}' on {endpoint} (check the spelling; a private repository "
                        "needs --token)", EXIT_DOWNLOAD)
    except HfHubHTTPError as e:
        status = e.response.status_code if e.response is not None else None
        if status == 401:
            raise PullError(f"{endpoint} refused the token (401): check the token given with --token", EXIT_DOWNLOAD)
        raise PullError(f"{endpoint} answered {status} for {repo_id}: {str(e).splitlines()[0]}", EXIT_DOWNLOAD)
    except LocalEntryNotFoundError as e:
        cause = e.__cause__
        if isinstance(cause, (httpx2.ConnectError, httpx2.TimeoutException)) or cause is None:
            raise PullError(f"cannot reach {endpoint} (no network? set HF_ENDPOINT for a mirror)", EXIT_DOWNLOAD)
        raise PullError(f"cannot download {repo_id} from {endpoint}: {str(cause).splitlines()[0]}", EXIT_DOWNLOAD)
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise PullError(f"disk full while downloading {repo_id} into {cache}: free space or pass "
                            "--models-home on a larger disk", EXIT_DOWNLOAD)
        raise
    return folder, folder.name    # the cache's snapshots/<commit> folder


def _parity_summary(bundle: Path) -> dict:
    """The worst cosine per precision over every graph and end-to-end check (parity.json has the details)."""
    report = json.loads((bundle / "parity.json").read_text())
    cosines = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "minCosine" and isinstance(value, (int, float)):
                    cosines.append(float(value))
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk({k: report[k] for k in ("graphs", "endToEnd") if k in report})
    return {"precision": report["precision"], "threshold": report["threshold"], "minCosine": min(cosines),
            "passed": report["passed"]}


def install(staging: Path, target: Path, source: dict) -> None:
    """Adds `source` to each precision's manifest, then moves the bundles into place (replacing an older pull)."""
    for precision in PRECISIONS:
        manifest_file = staging / precision / "manifest.json"
        manifest = json.loads(manifest_file.read_text())
        manifest["source"] = {**source, "parity": _parity_summary(staging / precision)}
        manifest_file.write_text(json.dumps(manifest, indent=2) + "\n")
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, target)


def pull(args) -> Path:
    home = models_home(args.models_home)
    token = read_token(args.token)
    name = args.name or default_name(args.repo_ids)
    if "/" in name or name.startswith("."):
        raise PullError(f"--name '{name}' must be a plain folder name", EXIT_USAGE)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PullError(f"cannot create the models home {home} ({e.strerror})", EXIT_USAGE)
    from huggingface_hub import constants
    checkpoints = []
    for repo_id in args.repo_ids:
        print(f"downloading {repo_id} ({args.revision or 'main'}) from {constants.ENDPOINT}", file=sys.stderr)
        folder, commit = download(repo_id, args.revision, token, home / ".hub-cache")
        checkpoints.append((repo_id, folder, commit))

    from . import exporter, loading
    from .loading import CheckpointError
    from .parity import ParityError
    loading.setup_offline()
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=home))
    try:
        models = [loading.load_checkpoint(folder) for _, folder, _ in checkpoints]
        options = exporter.ExportOptions(out=staging, precisions=PRECISIONS, model_id="+".join(args.repo_ids),
                                         version=checkpoints[0][2][:12])
        exporter.export_bundle(models, options)
        source = {"endpoint": constants.ENDPOINT, "checkpoints": [
            {"repoId": r, "revision": args.revision or "main", "commit": c} for r, _, c in checkpoints]}
        install(staging, home / name, source)
    except CheckpointError as e:
        raise PullError(str(e.code), EXIT_MODEL_BUNDLE)
    except ParityError as e:
        raise PullError(f"the export missed the parity threshold: {e.code} (nothing installed)", EXIT_MODEL_BUNDLE)
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise PullError(f"disk full while exporting into {home}: free space or pass --models-home on a larger "
                            "disk", EXIT_DOWNLOAD)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return home / name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="pestream_export.hub", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("pull", help="download, export fp32 + fp16, check parity, install")
    p.add_argument("repo_ids", nargs="+", metavar="REPO_ID", help="e.g. facebook/pe-av-small facebook/pe-a-frame-small")
    p.add_argument("--revision", help="branch, tag or commit (default main)")
    p.add_argument("--token", help="env:NAME or file:PATH (default: huggingface_hub's own, e.g. HF_TOKEN)")
    p.add_argument("--models-home", help=f"default ${HOME_ENV} or ~/.pestream/models")
    p.add_argument("--name", help="folder name in the models home (default: the repository names joined by +)")
    args = parser.parse_args(argv)
    try:
        target = pull(args)
    except PullError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return e.code
    print(f"installed {target} (fp32, fp16); run with --models {target.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
