import pulumi

import behaviours

mode = pulumi.Config().require("mode")
if mode == "raise":
    behaviours.broken_helper()
elif mode == "fail-create":
    behaviours.Step("one", "fail")
elif mode == "slow-create":
    behaviours.Step("one", "slow")
