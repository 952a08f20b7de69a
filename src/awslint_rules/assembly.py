"""CDK cloud assemblies: construct paths of resources (`aws:cdk:path` metadata)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

CDK_PATH = "aws:cdk:path"
# The id CDK gives the CloudFormation resource under an L2 construct: the construct the user
# wrote is its parent (`Orders/OrdersQueue/Resource` is `new sqs.Queue(this, 'OrdersQueue')`).
_DEFAULT_CHILD = re.compile(r"/(?:Resource|Default)$")
_QUOTED_ID = re.compile(r"'([A-Za-z0-9]+)'")


def construct_path(data: Mapping[str, Any], logical_id: str | None) -> str | None:
    """The construct path CDK recorded for a resource, without its default child id."""
    resources = data.get("Resources") if logical_id else None
    body = resources.get(logical_id) if isinstance(resources, dict) else None
    metadata = body.get("Metadata") if isinstance(body, dict) else None
    path = metadata.get(CDK_PATH) if isinstance(metadata, dict) else None
    return _DEFAULT_CHILD.sub("", path) if isinstance(path, str) and path else None


def with_construct_paths(message: str, data: Mapping[str, Any]) -> str:
    """Each quoted logical id of a resource CDK made, followed by its construct path:
    `Queue 'OrdersQueue3DFA1D51' (construct Orders/OrdersQueue) ...`."""
    if "Resources" not in data:
        return message

    def named(match: re.Match[str]) -> str:
        path = construct_path(data, match.group(1))
        return f"{match.group(0)} (construct {path})" if path else match.group(0)

    return _QUOTED_ID.sub(named, message)
