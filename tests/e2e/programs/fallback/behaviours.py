"""A dynamic resource whose create fails or hangs (with a child process), and a failing helper."""

import os
import subprocess

from pulumi.dynamic import CreateResult, Resource, ResourceProvider


def broken_helper():
    raise ValueError("the program broke in a helper")


class StepProvider(ResourceProvider):
    def create(self, props):
        if props["how"] == "fail":
            raise RuntimeError("create refused by the test provider")
        # "slow": a child process that would outlive us if nothing ended it, and a marker the test waits for
        child = subprocess.Popen(["sleep", "600"])
        with open(os.environ["FALLBACK_TEST_MARKER"], "w") as f:
            f.write(f"{os.getpid()} {child.pid}\n")
        child.wait()
        return CreateResult("never", {})


class Step(Resource, module="test", name="Step"):
    def __init__(self, name, how, opts=None):
        super().__init__(StepProvider(), name, {"how": how}, opts)
