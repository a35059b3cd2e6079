import pulumi

from cwtenants.resources.noop import Noop

config = pulumi.Config()
count = config.get_int("count") or 1
value = config.get("value") or "hello"
resources = [Noop(f"noop-{i}", value) for i in range(count)]
pulumi.export("ids", [r.id for r in resources])
