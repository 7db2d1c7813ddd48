"""The demo's --trace output, read by a real JSON parser: what Perfetto UI will see.

Runs examples/asyncio_demo --clock=virtual --trace=FILE and checks the Chrome trace-event
structure: one named track per task, every slice within the run, the sleepers waking in the
order 2, 5, 10, and the run ending at exactly 10 s.
"""

import json
import os
import subprocess
import tempfile
import unittest

SECOND_US = 1_000_000


def demo_binary():
    here = os.path.dirname(os.path.abspath(__file__))
    if os.environ.get("SIMTIME_DEMO"):  # the CMake build says where the demo is
        return os.environ["SIMTIME_DEMO"]
    for candidate in (
        os.path.join(os.environ.get("TEST_SRCDIR", ""), os.environ.get("TEST_WORKSPACE", "simtime"),
                     "examples", "asyncio_demo"),
        os.path.join(here, "..", "examples", "asyncio_demo"),
    ):
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError("examples/asyncio_demo not found in the test's runfiles")


class DemoTrace(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "demo.json")
            subprocess.run([demo_binary(), "--clock=virtual", "--trace=" + path], check=True,
                           stdout=subprocess.DEVNULL)
            with open(path, encoding="utf-8") as file:
                cls.trace = json.load(file)
        cls.events = cls.trace["traceEvents"]

    def tracks(self):
        return {e["tid"]: e["args"]["name"] for e in self.events if e["ph"] == "M" and e["name"] == "thread_name"}

    def test_has_one_named_track_per_task(self):
        self.assertEqual(sorted(self.tracks().values()), sorted(["Task-1", "sleep 2", "sleep 10", "sleep 5"]))
        used = {e["tid"] for e in self.events if e["ph"] != "M"}
        self.assertEqual(used, set(self.tracks()))

    def test_keeps_every_slice_within_the_run(self):
        slices = [e for e in self.events if e["ph"] == "X"]
        self.assertTrue(slices)
        for e in slices:
            self.assertGreaterEqual(e["ts"], 0)
            self.assertLessEqual(e["ts"] + e["dur"], 10 * SECOND_US)
            self.assertEqual(e["args"]["end_ns"] - e["args"]["begin_ns"], round(e["dur"] * 1000))

    def test_shows_the_sleepers_waking_in_the_order_two_five_ten(self):
        names = self.tracks()
        sleeps = [e for e in self.events if e["ph"] == "X" and e["cat"] == "wait" and
                  e["name"].startswith("sleep until") and names[e["tid"]].startswith("sleep ")]
        sleeps.sort(key=lambda e: e["ts"] + e["dur"])
        self.assertEqual([names[e["tid"]] for e in sleeps], ["sleep 2", "sleep 5", "sleep 10"])
        self.assertEqual([e["args"]["end_ns"] for e in sleeps], [2_000_000_000, 5_000_000_000, 10_000_000_000])

    def test_ends_at_exactly_ten_seconds(self):
        names = self.tracks()
        ends = {names[e["tid"]]: e for e in self.events if e["ph"] == "i" and e["cat"] == "end"}
        self.assertEqual(ends["Task-1"]["name"], "returned")
        self.assertEqual(ends["Task-1"]["args"]["ns"], 10_000_000_000)
        self.assertEqual(max(e["ts"] + e.get("dur", 0) for e in self.events if e["ph"] != "M"), 10 * SECOND_US)


if __name__ == "__main__":
    unittest.main()
