"""A local stand-in for the Hugging Face Hub's download endpoints, for testing `pestream_export.hub pull` with the
real huggingface_hub client (HF_ENDPOINT=http://127.0.0.1:PORT). It serves checkpoint folders as model repositories:

- GET  /api/models/{repo_id}/revision/{revision}    repo info: sha (the commit), siblings
- GET  /api/models/{repo_id}/tree/{revision}[/...]  the file listing (size, blob id, LFS sha256 for weights)
- HEAD/GET /{repo_id}/resolve/{revision}/{path}     a file, with X-Repo-Commit, ETag, Content-Length, and Range
                                                   requests (206) so interrupted downloads resume

as the hub answers (huggingface_hub 2.4: utils/_http.py hf_raise_for_status): an unknown repository is 404 with
X-Error-Code RepoNotFound, an unknown revision 404 RevisionNotFound, a wrong token 401 with X-Error-Message
"Invalid credentials in Authorization header". `drop_after` cuts the first transfer of each file after that many
bytes, to prove resumption.
"""
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LFS_SUFFIXES = (".safetensors", ".bin", ".onnx")


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class LocalHub:
    def __init__(self, repos: dict, token: str | None = None, drop_after: int | None = None):
        self.repos = {repo_id: Path(folder) for repo_id, folder in repos.items()}
        self.token = token
        self.drop_after = drop_after
        self.requests = []             # (method, path, Range header) of every request
        self._dropped = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def files(self, repo_id: str) -> list:
        root = self.repos[repo_id]
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self._route(head=True)

            def do_GET(self):
                self._route(head=False)

            def _send(self, status, body=b"", headers=None, head=False):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if "Content-Length" not in (headers or {}):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _error(self, status, code=None, message="", head=False):
                headers = {"Content-Type": "application/json"}
                if code:
                    headers["X-Error-Code"] = code
                if message:
                    headers["X-Error-Message"] = message
                self._send(status, json.dumps({"error": message or code}).encode(), headers, head)

            def _json(self, value, head=False):
                self._send(200, json.dumps(value).encode(), {"Content-Type": "application/json"}, head)

            def _route(self, head):
                path = unquote(urlparse(self.path).path)
                hub.requests.append((self.command, path, self.headers.get("Range")))
                if hub.token is not None:
                    auth = self.headers.get("Authorization")
                    if auth is not None and auth != f"Bearer {hub.token}":
                        return self._error(401, message="Invalid credentials in Authorization header", head=head)
                    if auth is None:
                        return self._error(401, "RepoNotFound", "Repository not found", head=head)
                if path.startswith("/api/models/"):
                    return self._api(path[len("/api/models/"):], head)
                parts = path.lstrip("/").split("/")
                if len(parts) >= 5 and parts[2] == "resolve":
                    return self._resolve("/".join(parts[:2]), parts[3], "/".join(parts[4:]), head)
                return self._error(404, message="not found", head=head)

            def _repo(self, repo_id, revision, head):
                if repo_id not in hub.repos:
                    self._error(404, "RepoNotFound", "Repository not found", head)
                    return False
                if revision not in ("main", COMMIT):
                    self._error(404, "RevisionNotFound", "Invalid rev id: " + revision, head)
                    return False
                return True

            def _api(self, rest, head):
                parts = rest.split("/")
                repo_id = "/".join(parts[:2])
                if len(parts) >= 4 and parts[2] == "revision":
                    if self._repo(repo_id, parts[3], head):
                        self._json({"id": repo_id, "modelId": repo_id, "sha": COMMIT, "private": False,
                                    "siblings": [{"rfilename": f} for f in hub.files(repo_id)]}, head)
                elif len(parts) >= 4 and parts[2] == "tree":
                    if self._repo(repo_id, parts[3], head):
                        entries = []
                        for name in hub.files(repo_id):
                            data = (hub.repos[repo_id] / name).read_bytes()
                            entry = {"type": "file", "path": name, "size": len(data), "oid": _git_blob_id(data)}
                            if name.endswith(LFS_SUFFIXES):
                                entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data),
                                                "pointerSize": 134}
                            entries.append(entry)
                        self._json(entries, head)
                else:
                    self._error(404, message="not found", head=head)

            def _resolve(self, repo_id, revision, name, head):
                if not self._repo(repo_id, revision, head):
                    return
                file = hub.repos[repo_id] / name
                if not file.is_file():
                    return self._error(404, "EntryNotFound", f"{name} does not exist", head)
                data = file.read_bytes()
                etag = hashlib.sha256(data).hexdigest() if name.endswith(LFS_SUFFIXES) else _git_blob_id(data)
                headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{etag}"', "Accept-Ranges": "bytes",
                           "Content-Type": "application/octet-stream"}
                start = 0
                ranged = self.headers.get("Range")
                if ranged and ranged.startswith("bytes="):
                    start = int(ranged[len("bytes="):].split("-")[0])
                    headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
                body = data[start:]
                headers["Content-Length"] = str(len(body))
                status = 206 if ranged else 200
                key = (repo_id, name)
                if (not head and hub.drop_after is not None and key not in hub._dropped
                        and len(body) > hub.drop_after):
                    hub._dropped.add(key)
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body[:hub.drop_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._send(status, body, headers, head)

        return Handler
