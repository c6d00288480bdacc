"""OpenAI's Files and Batch API, in memory: upload a JSONL of requests, create a batch,
watch it go validating -> in_progress -> finalizing -> completed, read the output file
(one line per successful request) and the error file (one line per failed one).

Lines are answered by the same code as live chat completions (model, context and
schema checks, deterministic replies) without latency, rate limit or transport faults;
`batch_error_rate` fails a seeded share of lines with a 500. Lines are logged and
billed when the batch completes. A cancelled batch produces no output.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from aiohttp import web

from bdsl.testing.mock_faults import draw
from bdsl.testing.mock_log import Entry, Outcome, RequestLog
from bdsl.testing.mock_replies import body_hash, error_body

SUPPORTED_ENDPOINTS = ("/v1/chat/completions",)

# (body) -> (status, response JSON, outcome); the live handler's checks and reply
Answer = Callable[[dict], tuple[int, dict, Outcome]]


def not_found(kind: str, ident: str) -> web.Response:
    return web.json_response(error_body(f"No such {kind}: {ident}", code=None, param="id"),
                             status=404)


def bad_request(message: str, param: str | None = None) -> web.Response:
    return web.json_response(error_body(message, param=param), status=400)


class BatchService:
    def __init__(self, config: Callable, log: RequestLog, answer: Answer):
        self._config, self.log, self.answer = config, log, answer
        self.files: dict[str, dict] = {}
        self.contents: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self._tasks: dict[str, asyncio.Task] = {}
        self._counter = 0

    def routes(self, prefix: str) -> list[web.RouteDef]:
        return [
            web.post(f"{prefix}/files", self.create_file),
            web.get(f"{prefix}/files", self.list_files),
            web.get(f"{prefix}/files/{{file_id}}", self.get_file),
            web.delete(f"{prefix}/files/{{file_id}}", self.delete_file),
            web.get(f"{prefix}/files/{{file_id}}/content", self.file_content),
            web.post(f"{prefix}/batches", self.create_batch),
            web.get(f"{prefix}/batches", self.list_batches),
            web.get(f"{prefix}/batches/{{batch_id}}", self.get_batch),
            web.post(f"{prefix}/batches/{{batch_id}}/cancel", self.cancel_batch),
        ]

    def _id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:08d}"

    # --- files ---------------------------------------------------------------------

    def add_file(self, data: bytes, filename: str, purpose: str) -> dict:
        file_id = self._id("file-mock")
        self.contents[file_id] = data
        self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(data),
                               "created_at": int(time.time()), "filename": filename,
                               "purpose": purpose, "status": "processed",
                               "status_details": None}
        return self.files[file_id]

    async def create_file(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/"):
            return bad_request("upload the file as multipart/form-data", "file")
        form = await request.post()
        upload, purpose = form.get("file"), form.get("purpose")
        if not purpose:
            return bad_request("'purpose' is a required field", "purpose")
        if upload is None or not hasattr(upload, "file"):
            return bad_request("'file' is a required field", "file")
        data = upload.file.read()
        return web.json_response(self.add_file(data, upload.filename or "upload", str(purpose)))

    async def list_files(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": list(self.files.values()),
                                  "has_more": False})

    async def get_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return not_found("File", file_id)
        return web.json_response(self.files[file_id])

    async def delete_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if self.files.pop(file_id, None) is None:
            return not_found("File", file_id)
        self.contents.pop(file_id, None)
        return web.json_response({"id": file_id, "object": "file", "deleted": True})

    async def file_content(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.contents:
            return not_found("File", file_id)
        return web.Response(body=self.contents[file_id], content_type="application/octet-stream")

    # --- batches -------------------------------------------------------------------

    async def create_batch(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return bad_request("the request body is not valid JSON")
        if not isinstance(body, dict):
            return bad_request("the request body must be a JSON object")
        file_id = body.get("input_file_id")
        if file_id not in self.contents:
            return bad_request(f"input_file_id {file_id!r} is not an uploaded file",
                               "input_file_id")
        endpoint = body.get("endpoint")
        if endpoint not in SUPPORTED_ENDPOINTS:
            return bad_request(f"endpoint {endpoint!r} is not supported; use "
                               f"{', '.join(SUPPORTED_ENDPOINTS)}", "endpoint")
        if body.get("completion_window", "24h") != "24h":
            return bad_request("completion_window must be '24h'", "completion_window")
        now = int(time.time())
        batch_id = self._id("batch_mock")
        self.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": endpoint, "errors": None,
            "input_file_id": file_id, "completion_window": "24h", "status": "validating",
            "output_file_id": None, "error_file_id": None, "created_at": now,
            "in_progress_at": None, "expires_at": now + 86400, "finalizing_at": None,
            "completed_at": None, "failed_at": None, "expired_at": None,
            "cancelling_at": None, "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": body.get("metadata")}
        self._tasks[batch_id] = asyncio.get_running_loop().create_task(self._progress(batch_id))
        return web.json_response(self.batches[batch_id])

    async def list_batches(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": list(self.batches.values()),
                                  "has_more": False})

    async def get_batch(self, request: web.Request) -> web.Response:
        batch_id = request.match_info["batch_id"]
        if batch_id not in self.batches:
            return not_found("Batch", batch_id)
        return web.json_response(self.batches[batch_id])

    async def cancel_batch(self, request: web.Request) -> web.Response:
        batch_id = request.match_info["batch_id"]
        batch = self.batches.get(batch_id)
        if batch is None:
            return not_found("Batch", batch_id)
        if batch["status"] not in ("validating", "in_progress", "finalizing"):
            return web.json_response(error_body(
                f"Cannot cancel a batch with status {batch['status']}.", code=None),
                status=409)
        self._tasks.pop(batch_id).cancel()
        now = int(time.time())
        batch.update(status="cancelled", cancelling_at=now, cancelled_at=now)
        return web.json_response(batch)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _progress(self, batch_id: str) -> None:
        batch, cfg = self.batches[batch_id], self._config()
        await asyncio.sleep(cfg.batch_validating)
        lines, errors = parse_lines(self.contents[batch["input_file_id"]], batch["endpoint"])
        if errors:
            batch.update(status="failed", failed_at=int(time.time()),
                         errors={"object": "list", "data": errors})
            return
        batch.update(status="in_progress", in_progress_at=int(time.time()))
        batch["request_counts"]["total"] = len(lines)
        await asyncio.sleep(self._config().batch_in_progress)
        batch.update(status="finalizing", finalizing_at=int(time.time()))
        self._finish(batch, lines)

    def _finish(self, batch: dict, lines: list[dict]) -> None:
        cfg = self._config()
        done, failed = [], []
        for n, line in enumerate(lines):
            body = line["body"]
            started = time.monotonic()
            status, payload, outcome = self.answer(body)
            if status == 200 and draw(cfg.seed, "batch", body_hash(line), 0) < cfg.batch_error_rate:
                status, outcome = 500, Outcome.FAULT_500
                payload = error_body("The server had an error while processing your request.",
                                     "server_error")
            usage = payload.get("usage") or {}
            self.log.add(Entry(
                seq=self.log.next_seq(), method="POST", path="batch:" + batch["endpoint"],
                started=started, finished=time.monotonic(), outcome=outcome, status=status,
                billed=status == 200, model=str(body.get("model", "")),
                body_hash=body_hash(body), prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0), batch_id=batch["id"],
                body=body if cfg.record_bodies else None))
            result = {"id": f"batch_req_{batch['id']}_{n}", "custom_id": line["custom_id"],
                      "response": {"status_code": status, "request_id": f"req_{n}",
                                   "body": payload}, "error": None}
            if status == 200:
                done.append(result)
            else:
                err = payload.get("error") or {}
                result["error"] = {"code": err.get("code") or err.get("type"),
                                   "message": err.get("message", "")}
                failed.append(result)
        now = int(time.time())
        if done:
            batch["output_file_id"] = self.add_file(_jsonl(done), f"{batch['id']}_output.jsonl",
                                                    "batch_output")["id"]
        if failed:
            batch["error_file_id"] = self.add_file(_jsonl(failed), f"{batch['id']}_error.jsonl",
                                                   "batch_output")["id"]
        batch["request_counts"].update(completed=len(done), failed=len(failed))
        batch.update(status="completed", completed_at=now)
        self._tasks.pop(batch["id"], None)


def parse_lines(data: bytes, endpoint: str) -> tuple[list[dict], list[dict]]:
    """The input file's request lines, or the validation errors that fail the batch."""
    lines, errors, seen = [], [], set()

    def error(n: int, code: str, message: str) -> None:
        errors.append({"code": code, "message": message, "param": None, "line": n})

    for n, raw in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            error(n, "invalid_json_line", "This line is not parseable as valid JSON.")
            continue
        if not isinstance(line, dict) or not isinstance(line.get("body"), dict):
            error(n, "missing_required_parameter", "Each line needs a `body` object.")
            continue
        custom_id = line.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id:
            error(n, "missing_required_parameter", "Each line needs a `custom_id` string.")
        elif custom_id in seen:
            error(n, "duplicate_custom_id", f"custom_id {custom_id!r} appears twice.")
        elif line.get("url") != endpoint or line.get("method", "POST") != "POST":
            error(n, "invalid_url", f"Lines must be POST {endpoint}, like the batch.")
        else:
            seen.add(custom_id)
            lines.append(line)
    if not lines and not errors:
        error(0, "empty_file", "The input file has no requests.")
    return lines, errors


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")
