"""Python client of the mrswarm REST API.

mrswarm runs marketing-research pipelines of local LLM agents over sales data
held in an embedded DuckDB. This module talks to its REST gateway with
``requests`` and turns result handles into pandas DataFrames::

    from mrswarm_client import Client
    c = Client("http://127.0.0.1:8080")
    c.load_dataset("beverage", "beverage_sales.csv")
    for ev in c.run_stream("beverage", preset="campaign_optimization"):
        print(ev["seq"], event_type(ev), ev["step_id"])
    df = c.result_frame(handle)

Every failed call raises :class:`MrswarmError` with the gRPC code name
(``NOT_FOUND``, ``INVALID_ARGUMENT``...), the server's message and the HTTP
status. JSON field names are the proto field names (snake_case); 64-bit
integers arrive as strings, as protobuf's JSON mapping prescribes — use
:func:`to_int` when you need numbers.

Dependencies: the standard library, requests and pandas (Debian's
python3-requests and python3-pandas are enough).
"""

import io
import json
import os
import time
import urllib.parse

import pandas as pd
import requests

__all__ = ["Client", "MrswarmError", "event_type", "to_int", "DEFAULT_URL"]

DEFAULT_URL = "http://127.0.0.1:8080"

# gRPC status code numbers -> names (google.golang.org/grpc/codes).
GRPC_CODES = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND", 6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
    10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL",
    14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}

FORMATS = {"csv": "FORMAT_CSV", "parquet": "FORMAT_PARQUET", "json": "FORMAT_JSON", "xlsx": "FORMAT_XLSX"}

RUN_FINISHED = "EVENT_TYPE_RUN_FINISHED"


def _read_options(sheet, decimal, date_order):
    """The read options that are set, by their REST names."""
    opts = {"sheet": sheet, "decimal": decimal, "date_order": date_order}
    return {k: v for k, v in opts.items() if v}
TERMINAL_RUN_STATUSES = {
    "RUN_STATUS_SUCCEEDED", "RUN_STATUS_FAILED", "RUN_STATUS_PARTIALLY_FAILED",
    "RUN_STATUS_CANCELED", "RUN_STATUS_INTERRUPTED",
}


class MrswarmError(Exception):
    """A failed mrswarm call: gRPC code name, message and HTTP status."""

    def __init__(self, code, message, http_status=None, details=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.details = details or []

    @classmethod
    def from_status(cls, body, http_status=None):
        """Builds the error from a google.rpc.Status JSON object."""
        code = body.get("code", 2)
        name = GRPC_CODES.get(code, str(code)) if isinstance(code, int) else str(code)
        return cls(name, body.get("message", ""), http_status, body.get("details"))


def event_type(event):
    """Returns an event's type without its prefix: "step_started", "run_finished"..."""
    return _short(event.get("type", ""), "EVENT_TYPE_")


def to_int(value):
    """Converts a JSON int64 (a string) or number to int; None and "" stay None."""
    if value is None or value == "":
        return None
    return int(value)


ENUM_PREFIXES = ("RUN_STATUS_", "STEP_STATUS_", "EVENT_TYPE_", "CONTEXT_MODE_", "TOOL_MODE_",
                 "PAGE_FORMAT_", "FORMAT_")


def enum_name(value):
    """Returns an enum's short lower-case name: "STEP_STATUS_CACHED" -> "cached"."""
    value = value or ""
    for prefix in ENUM_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix):].lower()
    return value.lower()


def token_counts(tokens):
    """Returns a TokenUsage with numbers: {"prompt_tokens": 120, "completion_tokens": 30, ...}.

    The JSON carries 64-bit counts as strings ("120").
    """
    return {k: to_int(v) for k, v in (tokens or {}).items()}


def tokens_text(tokens):
    """Returns a TokenUsage as text: "150 tokens (120 prompt + 30 completion) in 2 LLM calls"."""
    t = token_counts(tokens)
    calls = t.get("llm_calls") or 0
    return (f'{t.get("total_tokens") or 0:,} tokens ({t.get("prompt_tokens") or 0:,} prompt + '
            f'{t.get("completion_tokens") or 0:,} completion) in {calls} LLM call{"" if calls == 1 else "s"}')


def _short(value, prefix):
    return value[len(prefix):].lower() if value.startswith(prefix) else value.lower()


LOCAL_TOKEN_FILE = os.path.join(".cache", "mrswarm.token")


def find_token(base_url=None):
    """Returns the token for base_url: MRSWARM_TOKEN, the file MRSWARM_TOKEN_FILE
    names, or (for a loopback server only) .cache/mrswarm.token in the current
    folder or a parent; None when there is none."""
    if os.environ.get("MRSWARM_TOKEN", "").strip():
        return os.environ["MRSWARM_TOKEN"].strip()
    if os.environ.get("MRSWARM_TOKEN_FILE"):
        return _read_token(os.environ["MRSWARM_TOKEN_FILE"])
    host = urllib.parse.urlsplit(base_url or DEFAULT_URL).hostname or ""
    if host not in ("localhost", "127.0.0.1", "::1") and not host.startswith("127."):
        return None
    folder = os.path.abspath(os.getcwd())
    while True:
        token = _read_token(os.path.join(folder, LOCAL_TOKEN_FILE))
        if token:
            return token
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _read_token(path):
    try:
        with open(path) as f:
            return f.read().strip() or None
    except OSError:
        return None


class Client:
    """A client of one mrswarm server's REST gateway.

    base_url defaults to the MRSWARM_URL environment variable, then to
    http://127.0.0.1:8080. timeout bounds each non-streaming call in seconds.

    token is the server's bearer token; by default it comes from MRSWARM_TOKEN,
    the file named by MRSWARM_TOKEN_FILE, or, for a server on this machine,
    its token file .cache/mrswarm.token in the current folder or a parent
    (where ``make demo`` and ``mrswarm serve`` keep it). ca_file (default
    MRSWARM_CA_FILE) is the certificate to trust for an https:// server with
    its own certificate.
    """

    def __init__(self, base_url=None, timeout=120, session=None, reattach=5, token=None, ca_file=None):
        self.base_url = (base_url or os.environ.get("MRSWARM_URL") or DEFAULT_URL).rstrip("/")
        self.timeout = timeout
        self.reattach = reattach
        self.session = session or requests.Session()
        token = token or find_token(self.base_url)
        if token:
            self.session.headers["Authorization"] = "Bearer " + token
        # Passed with every request: requests lets REQUESTS_CA_BUNDLE override
        # a session's verify setting.
        self._verify = ca_file or os.environ.get("MRSWARM_CA_FILE") or None

    def __repr__(self):
        return f"Client({self.base_url!r})"

    # --- plumbing ------------------------------------------------------------

    def _tls(self):
        return {"verify": self._verify} if self._verify else {}

    def _url(self, path, *parts):
        quoted = [urllib.parse.quote(str(p), safe="") for p in parts]
        return self.base_url + path.format(*quoted)

    def _request(self, method, path, *parts, params=None, json_body=None, data=None, headers=None):
        return self._decode(self._send(method, path, *parts, params=params, json_body=json_body,
                                       data=data, headers=headers))

    def _send(self, method, path, *parts, params=None, json_body=None, data=None, headers=None):
        try:
            return self.session.request(
                method, self._url(path, *parts), params=params, json=json_body,
                data=data, headers=headers, timeout=self.timeout, **self._tls())
        except requests.ConnectionError as e:
            raise MrswarmError("UNAVAILABLE", f"cannot reach {self.base_url}: {e}") from e
        except requests.Timeout as e:
            raise MrswarmError("DEADLINE_EXCEEDED", str(e)) from e

    @staticmethod
    def _decode(resp):
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code >= 400:
            if isinstance(body, dict) and "message" in body:
                raise MrswarmError.from_status(body, resp.status_code)
            raise MrswarmError("UNKNOWN", resp.text.strip()[:500], resp.status_code)
        if body is None:
            raise MrswarmError("UNKNOWN", f"not JSON: {resp.text[:200]!r}", resp.status_code)
        return body

    def _stream(self, method, path, *parts, json_body=None, params=None):
        """Yields the messages of a newline-delimited JSON server stream."""
        try:
            resp = self.session.request(
                method, self._url(path, *parts), json=json_body, params=params,
                stream=True, timeout=(self.timeout, None), **self._tls())
        except requests.ConnectionError as e:
            raise MrswarmError("UNAVAILABLE", f"cannot reach {self.base_url}: {e}") from e
        with resp:
            if resp.status_code >= 400:
                self._decode(resp)
            for line in resp.iter_lines():
                if not line.strip():
                    continue
                msg = json.loads(line)
                if "error" in msg and msg["error"]:
                    raise MrswarmError.from_status(msg["error"], resp.status_code)
                yield msg.get("result", msg)

    # --- datasets ------------------------------------------------------------

    def load_dataset(self, name, path, format=None, roles=None, sheet=None, decimal=None, date_order=None):
        """Loads a file under the server's data root; returns the LoadDatasetResponse.

        A repeated load of identical content is a cache hit ("cache_hit": True).
        sheet (Excel), decimal ("." or ",") and date_order ("dmy" or "mdy")
        override what the server detects; the response's dataset lists
        role_details, conversions and warnings.
        """
        body = {"name": name, "path": path, "roles": roles or {},
                "read_options": _read_options(sheet, decimal, date_order)}
        if format:
            body["format"] = FORMATS.get(format, format)
        return self._request("POST", "/v1/datasets", json_body=body)

    def upload_dataset(self, name, data, filename=None, format=None, roles=None,
                       sheet=None, decimal=None, date_order=None):
        """Uploads a dataset from bytes, a file-like object or a local file path.

        Returns the LoadDatasetResponse. filename (by default the path's base
        name) lets the server infer the format; roles (role -> column)
        override inferred column roles.
        """
        if isinstance(data, (str, os.PathLike)):
            filename = filename or os.path.basename(os.fspath(data))
            with open(data, "rb") as f:
                return self.upload_dataset(name, f, filename, format, roles, sheet, decimal, date_order)
        params = {"role": [f"{k}:{v}" for k, v in (roles or {}).items()]}
        params.update(_read_options(sheet, decimal, date_order))
        if filename:
            params["filename"] = filename
        if format:
            params["format"] = FORMATS.get(format, format)
        return self._request(
            "POST", "/v1/datasets/{}:upload", name, params=params, data=data,
            headers={"Content-Type": "application/octet-stream"})

    def datasets(self):
        """Lists the loaded datasets."""
        return self._request("GET", "/v1/datasets").get("datasets", [])

    def dataset(self, name):
        """Returns one dataset with its columns, roles and fingerprint."""
        return self._request("GET", "/v1/datasets/{}", name)

    def drop_dataset(self, name):
        """Removes a dataset."""
        self._request("DELETE", "/v1/datasets/{}", name)

    def set_roles(self, name, roles):
        """Overrides column roles (role -> column; "" clears); returns the dataset."""
        return self._request("POST", "/v1/datasets/{}/roles", name, json_body={"roles": roles})

    # --- tools and SQL -------------------------------------------------------

    def tools(self, dataset):
        """Lists the analysis tools with their argument schemas for a dataset."""
        return self._request("GET", "/v1/datasets/{}/tools", dataset).get("tools", [])

    def call_tool(self, dataset, tool, args=None, **kwargs):
        """Calls a tool; returns the CallToolResponse ({"result": summary, "duration"}).

        Arguments come as a dict, as keywords, or both.
        """
        merged = dict(args or {}, **kwargs)
        return self._request("POST", "/v1/datasets/{}/tools/{}", dataset, tool, json_body={"args": merged})

    def sql(self, query):
        """Runs one read-only SELECT/WITH statement; returns the RunSQLResponse."""
        return self._request("POST", "/v1/sql", json_body={"sql": query})

    # --- results -------------------------------------------------------------

    def result(self, handle):
        """Returns the summary of a stored result."""
        return self._request("GET", "/v1/results/{}", handle)

    def results(self):
        """Lists stored results."""
        return self._request("GET", "/v1/results").get("results", [])

    def pin_result(self, handle):
        """Pins a result: the server's result retention never evicts it."""
        self._request("POST", "/v1/results/{}:pin", handle, json_body={})

    def unpin_result(self, handle):
        """Unpins a result: retention may evict it again, by its last use."""
        self._request("POST", "/v1/results/{}:unpin", handle, json_body={})

    def result_page(self, handle, offset=0, limit=None, csv=False):
        """Returns one ResultPage of rows [offset, offset+limit).

        With csv=True the server answers text/csv and the page is
        {"handle", "csv", "total_rows", "next_offset", "done"}, its position
        read from the X-Total-Rows, X-Next-Offset and X-Done headers.
        """
        params = {"offset": offset, "format": "csv" if csv else "json"}
        if limit:
            params["limit"] = limit
        if not csv:
            return self._request("GET", "/v1/results/{}/rows", handle, params=params)
        resp = self._send("GET", "/v1/results/{}/rows", handle, params=params)
        if resp.status_code >= 400:
            self._decode(resp)  # raises MrswarmError
        return {"handle": handle, "csv": resp.text, "total_rows": to_int(resp.headers.get("X-Total-Rows")),
                "next_offset": to_int(resp.headers.get("X-Next-Offset")),
                "done": resp.headers.get("X-Done") == "true"}

    def result_rows(self, handle, page_size=1000, limit=None):
        """Returns (columns, rows) of a result, fetching page after page."""
        columns, rows, offset = [], [], 0
        while limit is None or len(rows) < limit:
            want = page_size if limit is None else min(page_size, limit - len(rows))
            page = self.result_page(handle, offset, want)
            columns = page.get("columns") or columns
            rows.extend(page.get("rows") or [])
            nxt = to_int(page.get("next_offset")) or 0
            if page.get("done") or nxt <= offset:
                break
            offset = nxt
        return columns, rows

    def result_frame(self, handle, page_size=1000, limit=None):
        """Returns a result as a pandas DataFrame with typed columns.

        Rows are fetched in pages of page_size; limit caps the rows read.
        """
        if isinstance(handle, dict):
            handle = handle.get("handle") or handle["result"]["handle"]
        columns, rows = self.result_rows(handle, page_size, limit)
        names = [c["name"] for c in columns]
        df = pd.DataFrame(rows, columns=names)
        for col in columns:
            df[col["name"]] = _typed(df[col["name"]], col.get("type", ""))
        return df

    def result_csv(self, handle, limit=None):
        """Returns a result as CSV text with a header line."""
        if limit:
            return self.result_page(handle, 0, limit, csv=True).get("csv", "")
        out, offset, header_seen = io.StringIO(), 0, False
        while True:
            page = self.result_page(handle, offset, 10000, csv=True)
            text = page.get("csv", "")
            if header_seen:
                text = text.split("\n", 1)[1] if "\n" in text else ""
            out.write(text)
            header_seen = True
            nxt = to_int(page.get("next_offset")) or 0
            if page.get("done") or nxt <= offset:
                return out.getvalue()
            offset = nxt

    # --- pipelines and runs --------------------------------------------------

    def agents(self):
        """Lists the built-in agents."""
        return self._request("GET", "/v1/agents").get("agents", [])

    def presets(self):
        """Lists the preset pipelines."""
        return self._request("GET", "/v1/presets").get("presets", [])

    def validate(self, dataset, preset=None, pipeline=None, agents=None):
        """Validates a pipeline; returns its stages or raises INVALID_ARGUMENT."""
        body = {"dataset": dataset, "agents": agents or []}
        body.update(_source(preset, pipeline))
        return self._request("POST", "/v1/pipelines:validate", json_body=body)

    def start_run(self, dataset, preset=None, pipeline=None, inputs=None, options=None,
                  agents=None, **input_fields):
        """Starts a run; returns the StartRunResponse ({"run_id", "pipeline", "stages"}).

        inputs holds RunInputs fields (target_audience, budget, duration,
        campaign_goals, analysis_focus, brands, extra); they may also come as
        keywords. options holds RunOptions fields (force, max_parallel,
        context_mode, tool_mode, model).
        """
        body = _run_body(dataset, preset, pipeline, inputs, options, agents, input_fields)
        return self._request("POST", "/v1/runs", json_body=body)

    def run_stream(self, dataset, preset=None, pipeline=None, inputs=None, options=None,
                   agents=None, **input_fields):
        """Starts a run and yields its events (dicts) until run_finished.

        Uses the streaming endpoint; when the connection drops mid-run it
        re-attaches from the last event seen, missing nothing.
        """
        body = _run_body(dataset, preset, pipeline, inputs, options, agents, input_fields)
        last, run_id = 0, None
        try:
            for ev in self._stream("POST", "/v1/runs:stream", json_body=body):
                run_id, last = ev.get("run_id", run_id), to_int(ev.get("seq")) or last
                yield ev
                if ev.get("type") == RUN_FINISHED:
                    return
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            if run_id is None:
                raise
        if run_id is None:
            raise MrswarmError("UNAVAILABLE", "the run stream ended before its first event")
        yield from self.watch(run_id, last)

    def watch(self, run_id, after_seq=0):
        """Yields a run's events with seq > after_seq, then live ones, until run_finished.

        A dropped connection or an early end of stream re-attaches from the last
        event yielded (up to `reattach` times in a row without progress). Ends
        quietly when the run is over without a run_finished event (interrupted).
        """
        last, failures = after_seq, 0
        while True:
            progressed = False
            try:
                for ev in self._stream("GET", "/v1/runs/{}/events", run_id, params={"after_seq": last}):
                    seq = to_int(ev.get("seq")) or 0
                    if seq <= last:
                        continue
                    last, progressed = seq, True
                    yield ev
                    if ev.get("type") == RUN_FINISHED:
                        return
                err = None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
                err = MrswarmError("UNAVAILABLE", f"event stream broke: {e}")
            except MrswarmError as e:
                if e.code != "UNAVAILABLE":
                    raise
                err = e
            if err is None:
                try:
                    over = self.run(run_id).get("status") in TERMINAL_RUN_STATUSES
                except MrswarmError as e:
                    if e.code != "UNAVAILABLE":
                        raise
                    over, err = False, e
                if over:
                    yield from self._drain(run_id, last)
                    return
            failures = 0 if progressed else failures + 1
            if failures > self.reattach:
                raise err or MrswarmError("UNAVAILABLE", "event stream keeps ending early")
            time.sleep(min(0.1 * 2 ** failures, 2.0))

    def _drain(self, run_id, last):
        for ev in self._stream("GET", "/v1/runs/{}/events", run_id, params={"after_seq": last}):
            if (to_int(ev.get("seq")) or 0) > last:
                yield ev

    def run(self, run_id):
        """Returns a run with its steps, tokens and profile."""
        return self._request("GET", "/v1/runs/{}", run_id)

    get_run = run

    def runs(self, limit=None):
        """Lists recent runs, newest first."""
        params = {"limit": limit} if limit else None
        return self._request("GET", "/v1/runs", params=params).get("runs", [])

    def cancel(self, run_id):
        """Cancels a run, stopping its in-flight LLM calls; returns the run."""
        return self._request("POST", "/v1/runs/{}:cancel", run_id, json_body={})

    def report(self, run_id):
        """Returns the run's report: {"run_id", "handle", "markdown"}."""
        return self._request("GET", "/v1/runs/{}/report", run_id)

    def report_markdown(self, run_id):
        """Returns the markdown text of a run's report."""
        return self.report(run_id).get("markdown", "")

    def report_html(self, run_id):
        """Returns a run's report as one self-contained HTML document (inline CSS
        and SVG charts, nothing loaded from elsewhere, print-friendly).

        In Jupyter: IPython.display.HTML(c.report_html(run_id)); or save it and
        open it in a browser.
        """
        resp = self._send("GET", "/v1/runs/{}/report", run_id, params={"format": "html"})
        if resp.status_code >= 400:
            self._decode(resp)  # raises MrswarmError
        resp.encoding = "utf-8"
        return resp.text

    def chart_svg(self, handle, kind=None):
        """Returns a result drawn as an SVG chart (bar, line, forecast,
        seasonality or budget; None: the kind that fits best)."""
        resp = self._send("GET", "/v1/results/{}/chart.svg", handle, params={"kind": kind} if kind else None)
        if resp.status_code >= 400:
            self._decode(resp)  # raises MrswarmError
        resp.encoding = "utf-8"
        return resp.text


def _source(preset, pipeline):
    if (preset is None) == (pipeline is None):
        raise ValueError("give exactly one of preset or pipeline")
    return {"preset": preset} if preset is not None else {"pipeline": pipeline}


def _run_body(dataset, preset, pipeline, inputs, options, agents, input_fields):
    body = {"dataset": dataset, "inputs": dict(inputs or {}, **input_fields),
            "options": dict(options or {}), "agents": agents or []}
    body.update(_source(preset, pipeline))
    return body


_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
              "USMALLINT", "UINTEGER", "UBIGINT", "INT", "LONG")
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC")


def _typed(series, duckdb_type):
    """Converts a column of JSON values to the pandas dtype of its DuckDB type."""
    t = duckdb_type.upper()
    base = t.split("(", 1)[0].strip()
    if base in _INT_TYPES:
        return pd.to_numeric(series).astype("Int64")
    if base in _FLOAT_TYPES:
        return pd.to_numeric(series).astype("float64")
    if base == "BOOLEAN":
        return series.astype("boolean")
    if base in ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "DATETIME"):
        return pd.to_datetime(series)
    if base in ("VARCHAR", "TEXT", "STRING"):
        return series.astype("string")
    return series
