"""Run AWS's SAM translator (aws-sam-translator) offline, as the reference for SAM expansion.

Test-only: the linter never imports this module or samtranslator. `translate` works without AWS
credentials or network: the region and partition are fixed (us-east-1, aws), boto3 sessions and
clients are stubbed, the managed-policy map and the Serverless Application Repository are
stubbed, and any socket connection attempted while translating raises `NetworkAttempt` (a
BaseException, so the translator cannot swallow it and the test fails loudly).

Templates are prepared the way a deployment prepares them: `sam package` turns local artifact
paths (`CodeUri: src/`) into S3 URIs, which the translator requires.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

REGION = "us-east-1"
PARTITION = "aws"
ACCOUNT = "123456789012"
ARTIFACT_KEYS = ("CodeUri", "ContentUri", "DefinitionUri", "SchemaUri")
SHORT_TAGS = (
    "Ref", "Condition", "GetAtt", "Sub", "If", "Join", "Select", "Split", "Equals", "And", "Or",
    "Not", "FindInMap", "Base64", "Cidr", "GetAZs", "ImportValue", "Transform", "Length",
    "ToJsonString", "ForEach",
)  # fmt: skip


class NetworkAttempt(BaseException):
    """The translator tried to open a connection: the offline stubs are incomplete."""


# -- loading (independent of awslint_rules.load, so the reference does not share its bugs) -------


class _Loader(yaml.SafeLoader):
    pass


def _short_form(tag: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        if tag in ("Ref", "Condition"):
            return {tag: value}
        if tag == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{tag}": value}

    return construct


for _tag in SHORT_TAGS:
    _Loader.add_constructor(f"!{_tag}", _short_form(_tag))
# CloudFormation keeps dates as strings.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}


def load_template(path: Path) -> Any:
    text = path.read_text(encoding="utf-8", errors="replace")
    if text.lstrip().startswith("{"):
        return json.loads(text)
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass


def is_sam(template: Any) -> bool:
    """A template the SAM transform applies to: Resources with a Serverless resource/transform."""
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        return False
    serverless = any(
        isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::Serverless::")
        for r in template["Resources"].values()
    )
    return serverless or "Serverless" in str(template.get("Transform"))


# -- `sam package` emulation ---------------------------------------------------------------------


def _localize(props: dict[str, Any]) -> None:
    for key in ARTIFACT_KEYS:
        value = props.get(key)
        if isinstance(value, str) and not value.startswith("s3://"):
            props[key] = "s3://bucket/" + (value.strip("./") or "root")


def package(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of `template` with local artifact paths replaced by S3 URIs, as `sam package` does."""
    template = copy.deepcopy(template)
    globals_ = template.get("Globals") if isinstance(template.get("Globals"), dict) else {}
    for section in globals_.values():
        if isinstance(section, dict):
            _localize(section)
    function_globals = globals_.get("Function")
    function_globals = function_globals if isinstance(function_globals, dict) else {}
    for resource in template["Resources"].values():
        if not isinstance(resource, dict):
            continue
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and resource.get("Properties") is None:
            resource["Properties"] = {}
        props = resource.get("Properties")
        if not isinstance(props, dict):
            continue
        _localize(props)
        if kind == "AWS::Serverless::Function":
            if props.get("PackageType", function_globals.get("PackageType")) == "Image":
                props.setdefault("ImageUri", f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/repo:tag")
            elif not any(
                key in props or key in function_globals
                for key in ("CodeUri", "InlineCode", "ImageUri")
            ):
                props["CodeUri"] = "s3://bucket/root"  # sam package uploads the template folder
        elif kind == "AWS::Serverless::Application" and isinstance(props.get("Location"), str):
            props["Location"] = "https://s3.amazonaws.com/bucket/app.yaml"
        elif kind == "AWS::Serverless::GraphQLApi":
            for function in (props.get("Functions") or {}).values():
                if isinstance(function, dict):
                    _localize(function)
            for fields in (props.get("Resolvers") or {}).values():
                for resolver in (fields or {}).values():
                    if isinstance(resolver, dict):
                        _localize(resolver)
    return template


# -- offline translation -------------------------------------------------------------------------


class _ManagedPolicies(dict):  # type: ignore[type-arg]
    """Every AWS managed policy name exists and maps to its ARN (no IAM ListPolicies call)."""

    def __missing__(self, name: str) -> str:
        return f"arn:{PARTITION}:iam::aws:policy/{name}"

    def __contains__(self, name: object) -> bool:
        return True


class _PolicyLoader:
    def load(self) -> dict[str, str]:
        return _ManagedPolicies()


class _Session:
    """Stands in for boto3.session.Session: a fixed region, no credentials, no clients."""

    region_name = REGION

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def client(self, *args: Any, **kwargs: Any) -> Any:
        raise NetworkAttempt(f"boto3 client requested: {args}")

    def get_available_regions(self, service: str, partition_name: str = PARTITION) -> list[str]:
        return [REGION]  # asked for the Serverless Application Repository, which us-east-1 has


def _no_client(*args: Any, **kwargs: Any) -> Any:
    raise NetworkAttempt(f"boto3 client requested: {args}")


def _no_socket(*args: Any, **kwargs: Any) -> Any:
    raise NetworkAttempt(f"network connection attempted: {args[:2]}")


def _sar_application(plugin: Any, call: Any, logical_id: str, *args: Any) -> dict[str, Any]:
    """An active SAR application template for any ApplicationId/SemanticVersion."""
    app_id, version = args[0], args[1]
    return {
        "ApplicationId": app_id,
        "SemanticVersion": version,
        "Status": "ACTIVE",
        "TemplateId": "template-id",
        "TemplateUrl": "https://awsserverlessrepo-changesets.s3.amazonaws.com/template.yaml",
    }


@contextlib.contextmanager
def offline() -> Iterator[None]:
    """Patch everything through which the translator could reach AWS or the network."""
    sar = "samtranslator.plugins.application.serverless_app_plugin.ServerlessAppPlugin"
    templates = "samtranslator.policy_template_processor.processor.PolicyTemplatesProcessor"
    with contextlib.ExitStack() as stack:
        for target, value in (
            ("boto3.session.Session", _Session),
            ("boto3.Session", _Session),
            ("boto3.DEFAULT_SESSION", None),
            ("boto3.client", _no_client),
            ("socket.socket.connect", _no_socket),
            ("socket.socket.connect_ex", _no_socket),
            ("socket.create_connection", _no_socket),
            ("socket.getaddrinfo", _no_socket),
            (f"{sar}._sar_service_call", _sar_application),
            # The bundled policy templates are validated against their JSON schema on every
            # call (half of the translation time); they are the package's own constant data.
            (f"{templates}._is_valid_templates_dict", staticmethod(lambda *a, **k: True)),
            ("samtranslator.translator.arn_generator.ArnGenerator.BOTO_SESSION_REGION_NAME",
             REGION),
        ):
            stack.enter_context(mock.patch(target, value))
        yield


def translate(template: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation template the SAM transform makes of `template` (packaged first).

    Raises whatever the translator raises for a template it rejects (InvalidDocumentException,
    ...), and NetworkAttempt if it tried to go online.
    """
    from samtranslator.translator.transform import transform

    logging.getLogger("samtranslator").setLevel(logging.CRITICAL)  # it logs every rejection
    with offline():
        return transform(package(template), {}, _PolicyLoader())  # type: ignore[arg-type]
