"""Unit tests of mrswarm_client against a real server.

Run by python_test.go, which starts the server and sets MRSWARM_URL,
MRSWARM_DATA_FILE (the beverage CSV's path under the data root) and
MRSWARM_LOCAL_CSV (the same file on the local disk). The server's model holds
every chat until the run is canceled, so agent steps stay running on demand.
"""

import csv
import io
import os
import re
import socket
import threading
import unittest

import pandas as pd

from mrswarm_client import Client, MrswarmError, enum_name, event_type, to_int, token_counts, tokens_text

DATA_FILE = os.environ.get("MRSWARM_DATA_FILE", "beverage_sales.csv")
LOCAL_CSV = os.environ.get("MRSWARM_LOCAL_CSV", "")


def local_rows():
    with open(LOCAL_CSV, newline="") as f:
        return list(csv.DictReader(f))


def tool_sql_pipeline(limit, report=False):
    steps = [
        {"id": "kpi", "tool": {"tool": "kpi_summary", "args": {}}},
        {"id": "top", "depends_on": ["kpi"], "sql": {"sql":
            "SELECT brand, sum(total_revenue) AS revenue FROM beverage "
            f"GROUP BY brand ORDER BY revenue DESC LIMIT {limit}"}},
    ]
    if report:
        steps.append({"id": "report", "depends_on": ["kpi", "top"], "report": {"title": "Test report"}})
    return {"name": "tool_then_sql", "steps": steps}


def agent_pipeline():
    return {"name": "tool_then_agent", "steps": [
        {"id": "kpi", "tool": {"tool": "kpi_summary", "args": {}}},
        {"id": "analyst", "depends_on": ["kpi"], "agent": {"agent": "market_research_analyst"}},
    ]}


def step_statuses(events):
    last = events[-1]
    assert event_type(last) == "run_finished", event_type(last)
    return {s["id"]: s["status"] for s in last["run"]["steps"]}


class Proxy:
    """A TCP proxy whose connections can all be cut at once."""

    def __init__(self, target):
        self.target = target
        self.lis = socket.create_server(("127.0.0.1", 0))
        self.port = self.lis.getsockname()[1]
        self.lock = threading.Lock()
        self.socks, self.accepted = [], 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lis.accept()
            except OSError:
                return
            s = socket.create_connection(self.target)
            with self.lock:
                self.socks += [c, s]
                self.accepted += 1
            threading.Thread(target=self._pipe, args=(c, s), daemon=True).start()
            threading.Thread(target=self._pipe, args=(s, c), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            for sock in self.socks:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.socks = []

    def close(self):
        self.lis.close()
        self.cut()


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Client()
        cls.loaded = cls.c.load_dataset("beverage", DATA_FILE)
        cls.rows = local_rows()

    def test_load_is_cached(self):
        self.assertEqual(to_int(self.loaded["dataset"]["row_count"]), len(self.rows))
        again = self.c.load_dataset("beverage", DATA_FILE)
        self.assertTrue(again["cache_hit"])
        self.assertEqual(again["dataset"]["fingerprint"], self.loaded["dataset"]["fingerprint"])

    def test_upload_bytes_path_and_file(self):
        with open(LOCAL_CSV, "rb") as f:
            data = f.read()
        by_bytes = self.c.upload_dataset("up_bytes", data, filename="sales.csv")
        by_path = self.c.upload_dataset("up_path", LOCAL_CSV)
        by_file = self.c.upload_dataset("up_file", io.BytesIO(data), filename="x.csv", format="csv")
        for resp in (by_bytes, by_path, by_file):
            self.assertEqual(to_int(resp["dataset"]["row_count"]), len(self.rows))
            self.assertEqual(resp["dataset"]["fingerprint"], self.loaded["dataset"]["fingerprint"])
        names = {d["name"] for d in self.c.datasets()}
        self.assertTrue({"beverage", "up_bytes", "up_path", "up_file"} <= names, names)
        for name in ("up_bytes", "up_path", "up_file"):
            self.c.drop_dataset(name)
        with self.assertRaises(MrswarmError) as cm:
            self.c.dataset("up_bytes")
        self.assertEqual((cm.exception.code, cm.exception.http_status), ("NOT_FOUND", 404))

    def test_upload_with_roles_and_set_roles(self):
        df = pd.DataFrame({"day": ["2024-01-01", "2024-01-02", "2024-02-01"],
                           "label": ["a", "b", "a"], "amount": [1.5, 2.0, 3.25]})
        resp = self.c.upload_dataset("tiny", df.to_csv(index=False).encode(), filename="tiny.csv",
                                     roles={"brand": "label", "revenue": "amount"})
        roles = resp["dataset"]["roles"]
        self.assertEqual((roles.get("brand"), roles.get("revenue")), ("label", "amount"))
        ds = self.c.set_roles("tiny", {"brand": ""})
        self.assertNotIn("brand", {k for k, v in ds["roles"].items() if v})
        self.c.drop_dataset("tiny")

    def test_tools(self):
        tools = {t["name"]: t for t in self.c.tools("beverage")}
        self.assertTrue(tools["brand_performance"]["available"])
        self.assertIn("properties", tools["brand_performance"]["args_schema"])
        resp = self.c.call_tool("beverage", "kpi_summary")
        self.assertEqual(to_int(resp["result"]["row_count"]), 1)
        frame = self.c.result_frame(resp["result"]["handle"])
        revenue = sum(float(r["total_revenue"]) for r in self.rows)
        col = [c for c in frame.columns if "revenue" in c][0]
        self.assertAlmostEqual(float(frame[col].iloc[0]), revenue, delta=abs(revenue) * 1e-9)

    def test_sql_frame_pages_and_types(self):
        resp = self.c.sql("SELECT region, count(*) AS n, sum(total_revenue) AS revenue, "
                          "min(sale_date) AS first_day FROM beverage GROUP BY region ORDER BY region")
        handle = resp["result"]["handle"]
        df = self.c.result_frame(handle, page_size=3)
        want = {}
        for r in self.rows:
            want[r["region"]] = want.get(r["region"], 0) + 1
        self.assertEqual(dict(zip(df["region"], df["n"])), want)
        self.assertEqual(str(df["n"].dtype), "Int64")
        self.assertEqual(str(df["revenue"].dtype), "float64")
        self.assertEqual(str(df["region"].dtype), "string")
        self.assertTrue(pd.api.types.is_datetime64_any_dtype(df["first_day"]), df.dtypes)
        self.assertEqual(len(self.c.result_frame(handle, limit=5)), 5)
        page = self.c.result_page(handle, offset=2, limit=3, csv=True)
        self.assertEqual((page["total_rows"], page["next_offset"], page["done"]), (len(want), 5, len(want) <= 5))
        self.assertEqual(list(pd.read_csv(io.StringIO(page["csv"]))["region"]), list(df["region"][2:5]))
        text = self.c.result_csv(handle)
        back = pd.read_csv(io.StringIO(text))
        self.assertEqual(list(back["region"]), list(df["region"]))
        self.assertEqual(list(back["n"]), list(df["n"]))

    def test_pin_and_unpin(self):
        handle = self.c.sql("SELECT 42 AS answer")["result"]["handle"]
        self.assertFalse(self.c.result(handle)["pinned"])
        self.c.pin_result(handle)
        self.assertTrue(self.c.result(handle)["pinned"])
        self.assertIn(handle, [r["handle"] for r in self.c.results() if r["pinned"]])
        self.c.unpin_result(handle)
        self.assertFalse(self.c.result(handle)["pinned"])
        with self.assertRaises(MrswarmError) as cm:
            self.c.pin_result("res_00000000")
        self.assertEqual((cm.exception.code, cm.exception.http_status), ("NOT_FOUND", 404))

    def test_readable_enums_and_tokens(self):
        self.assertEqual([enum_name(v) for v in ("STEP_STATUS_CACHED", "RUN_STATUS_PARTIALLY_FAILED",
                                                 "EVENT_TYPE_LLM_CALL", "", None)],
                         ["cached", "partially_failed", "llm_call", "", ""])
        tokens = {"prompt_tokens": "1200", "completion_tokens": "34", "total_tokens": "1234", "llm_calls": 2}
        self.assertEqual(token_counts(tokens), {"prompt_tokens": 1200, "completion_tokens": 34,
                                                "total_tokens": 1234, "llm_calls": 2})
        self.assertEqual(tokens_text(tokens), "1,234 tokens (1,200 prompt + 34 completion) in 2 LLM calls")
        self.assertEqual(tokens_text({}), "0 tokens (0 prompt + 0 completion) in 0 LLM calls")

    def test_errors(self):
        cases = [
            ("unknown dataset", lambda: self.c.tools("nope"), "NOT_FOUND", 404),
            ("write sql", lambda: self.c.sql("DROP TABLE beverage"), "INVALID_ARGUMENT", 400),
            ("outside data root", lambda: self.c.load_dataset("x", "../../../etc/passwd"), "PERMISSION_DENIED", 403),
            ("unknown run", lambda: self.c.run("run_nope"), "NOT_FOUND", 404),
        ]
        for name, call, code, http in cases:
            with self.subTest(name):
                with self.assertRaises(MrswarmError) as cm:
                    call()
                self.assertEqual((cm.exception.code, cm.exception.http_status), (code, http))
                self.assertTrue(cm.exception.message)

    def test_run_stream_memo_and_report(self):
        first = list(self.c.run_stream("beverage", pipeline=tool_sql_pipeline(3, report=True),
                                       options={"force": True}))
        self.assertEqual([to_int(e["seq"]) for e in first], list(range(1, len(first) + 1)))
        self.assertEqual(event_type(first[0]), "run_started")
        self.assertEqual(set(step_statuses(first).values()), {"STEP_STATUS_SUCCEEDED"})
        run_id = first[0]["run_id"]
        again = list(self.c.run_stream("beverage", pipeline=tool_sql_pipeline(3, report=True)))
        self.assertEqual(set(step_statuses(again).values()), {"STEP_STATUS_CACHED"})
        changed = list(self.c.run_stream("beverage", pipeline=tool_sql_pipeline(4, report=True)))
        self.assertEqual(step_statuses(changed), {"kpi": "STEP_STATUS_CACHED", "top": "STEP_STATUS_SUCCEEDED",
                                                  "report": "STEP_STATUS_SUCCEEDED"})
        run = self.c.run(run_id)
        self.assertEqual(run["status"], "RUN_STATUS_SUCCEEDED")
        self.assertIn(run_id, [r["id"] for r in self.c.runs()])
        md = self.c.report_markdown(run_id)
        self.assertIn("Test report", md)
        self.assertEqual(self.c.report(run_id)["handle"], run["report_handle"])
        doc = self.c.report_html(run_id)
        self.assertTrue(doc.startswith("<!DOCTYPE html>"), doc[:80])
        self.assertIn("<title>Test report</title>", doc)
        charts = re.findall(r"\]\((/v1/results/res_[0-9a-z]+/chart\.svg[^)]*)\)", md)
        self.assertEqual(len(charts), 1, md)  # the SQL step's brands; the KPI row has no chart
        self.assertEqual(doc.count("<svg"), len(charts))
        self.assertNotIn(" src=", doc)
        svg = self.c.chart_svg(re.search(r"res_[0-9a-z]+", charts[0]).group(0))
        self.assertIn("<svg", svg)
        with self.assertRaises(MrswarmError) as cm:
            self.c.chart_svg(run["report_handle"], kind="forecast")
        self.assertEqual((cm.exception.code, cm.exception.http_status), ("FAILED_PRECONDITION", 400))
        with self.assertRaises(MrswarmError) as cm:
            self.c.report_html("run_nope")
        self.assertEqual(cm.exception.code, "NOT_FOUND")

    def test_watch_from_seq(self):
        events = list(self.c.run_stream("beverage", pipeline=tool_sql_pipeline(2), options={"force": True}))
        run_id = events[0]["run_id"]
        later = list(self.c.watch(run_id, after_seq=3))
        self.assertEqual([e["seq"] for e in later], [e["seq"] for e in events[3:]])

    def test_start_then_watch(self):
        started = self.c.start_run("beverage", pipeline=tool_sql_pipeline(6), options={"force": True},
                                   target_audience="students", brands=["Red Bull"])
        self.assertEqual([s["step_ids"] for s in started["stages"]], [["kpi"], ["top"]])
        events = list(self.c.watch(started["run_id"]))
        self.assertEqual(event_type(events[-1]), "run_finished")
        run = self.c.run(started["run_id"])
        self.assertEqual((run["inputs"]["target_audience"], run["inputs"]["brands"]), ("students", ["Red Bull"]))
        top = next(s for s in run["steps"] if s["id"] == "top")
        self.assertEqual(len(self.c.result_frame(top["result_handle"])), 6)
        self.assertEqual(len(self.c.result_csv(top["result_handle"], limit=2).strip().splitlines()), 3)

    def test_validate_lists_every_problem(self):
        self.assertIn("campaign_optimization", [p["name"] for p in self.c.presets()])
        stages = self.c.validate("beverage", preset="campaign_optimization")["stages"]
        # Two analysts and the roi and budget tool steps start together.
        self.assertEqual(len(stages[0]["step_ids"]), 4)
        bad = {"name": "bad", "steps": [
            {"id": "a", "depends_on": ["b"], "sql": {"sql": "SELECT 1"}},
            {"id": "b", "depends_on": ["a"], "sql": {"sql": "SELECT 2"}},
            {"id": "c", "depends_on": ["nowhere"], "tool": {"tool": "no_such_tool"}},
        ]}
        with self.assertRaises(MrswarmError) as cm:
            self.c.validate("beverage", pipeline=bad)
        self.assertEqual((cm.exception.code, cm.exception.http_status), ("INVALID_ARGUMENT", 400))
        for word in ("cycle", "nowhere", "no_such_tool"):
            self.assertIn(word, cm.exception.message)
        with self.assertRaises(ValueError):
            self.c.start_run("beverage")

    def test_cancel_and_reattach(self):
        proxy = Proxy(self.c.base_url.rsplit("//", 1)[1].rsplit(":", 1))
        proxy.target = (proxy.target[0], int(proxy.target[1]))
        try:
            via = Client(f"http://127.0.0.1:{proxy.port}")
            events, cut = [], False
            for ev in via.run_stream("beverage", pipeline=agent_pipeline(), options={"force": True}):
                events.append(ev)
                if event_type(ev) == "step_started" and ev["step_id"] == "analyst" and not cut:
                    proxy.cut()
                    self.c.cancel(ev["run_id"])
                    cut = True
        finally:
            proxy.close()
        self.assertTrue(cut, "the agent step never started")
        self.assertEqual([to_int(e["seq"]) for e in events], list(range(1, len(events) + 1)))
        self.assertEqual(event_type(events[-1]), "run_finished")
        self.assertEqual(events[-1]["run"]["status"], "RUN_STATUS_CANCELED")
        self.assertGreaterEqual(proxy.accepted, 2)


if __name__ == "__main__":
    unittest.main()
