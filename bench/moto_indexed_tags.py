#!/usr/bin/env python3
"""For measurement only, never for the tests or `make bench`: the pinned
emulator's server with one change, an EC2 object's tags looked up by its id.

moto finds an object's tags by scanning every tag in the region with a
regular expression (`TagBackend.describe_tags`), for every object it
describes or creates, so each such object costs time in proportion to the
number of tags the emulator holds. AWS has no such cost. terrane writes two
tags on every object it makes (`terrane:stack`, `terrane:address`), so
against moto its requests slow down as its stack grows, where Terraform's,
with fewer tags, barely do. Running both servers on the same stack shows
how much of a run is that scan (docs/performance.md).

Usage: .venv/bin/python bench/moto_indexed_tags.py -H 127.0.0.1 -p PORT
"""
import sys

from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix


def tags_by_id(self):
    if not self.id:
        return []
    kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
    return [
        {"resource_id": self.id, "key": key, "value": value, "resource_type": kind}
        for key, value in self.ec2_backend.tags.get(self.id, {}).items()
    ]


TaggedEC2Resource.get_tags = tags_by_id

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
