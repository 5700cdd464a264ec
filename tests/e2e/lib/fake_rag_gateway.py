#!/usr/bin/python3
"""A stand-in for atlas-rag's indexing API, for scripts that post to it
(docker/index-refresh.sh through scripts/index_repo.sh).

    fake_rag_gateway.py PORT_FILE LOG_FILE

Listens on 127.0.0.1 on a free port and writes the port to PORT_FILE. Each
POST /v1/embed_batch appends one JSON line to LOG_FILE ({"query": ..., "sources":
[...]}) and answers 202 {"job_id"}; GET /v1/jobs/<id> answers that the job is
done with every document indexed. Anything else is 404. Runs until killed.
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

port_file, log_file = sys.argv[1], sys.argv[2]
jobs = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        url = urlsplit(self.path)
        if url.path != "/v1/embed_batch":
            return self._answer(404, {"error": "not found"})
        length = int(self.headers.get("Content-Length", "0"))
        try:
            batch = json.loads(self.rfile.read(length))
            sources = [item["source"] for item in batch]
        except (ValueError, KeyError, TypeError) as e:
            return self._answer(400, {"error": f"bad batch: {e}"})
        with lock:
            job_id = f"job-{len(jobs) + 1}"
            jobs[job_id] = len(sources)
            with open(log_file, "a", encoding="utf-8") as log:
                log.write(json.dumps({"query": url.query, "sources": sources}) + "\n")
        self._answer(202, {"job_id": job_id, "state": "queued", "documents": len(sources)})

    def do_GET(self):
        job_id = self.path.rsplit("/", 1)[-1]
        with lock:
            count = jobs.get(job_id) if self.path.startswith("/v1/jobs/") else None
        if count is None:
            return self._answer(404, {"error": "unknown job"})
        self._answer(200, {"job_id": job_id, "state": "done", "documents": count,
                           "documents_indexed": count, "documents_unchanged": 0,
                           "documents_failed": 0, "chunks_written": count, "errors": []})

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
# Renamed into place, so a reader never sees a partial port number.
os.replace(port_file + ".tmp", port_file)
server.serve_forever()
