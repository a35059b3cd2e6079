"""Moved: the fallback dynamic-provider host is ``fallback_hosts.provider_host``.

Kept only for launchers written by an older ``scripts/build-pulumi.sh`` (``python -m
cwtenants.provider_host``); nothing in the product package imports it. Delete it after that.
"""

from fallback_hosts.provider_host import main

if __name__ == "__main__":
    main()
