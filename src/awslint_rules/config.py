"""Project configuration: `.awslint-rules.yaml` or `[tool.awslint-rules]` in `pyproject.toml`.

The file is looked for from the working directory upwards; in one directory
`.awslint-rules.yaml` wins over `pyproject.toml`, and a `pyproject.toml` without a
`[tool.awslint-rules]` table is passed over. Finding the file costs a few `stat` calls; TOML and
YAML are only parsed when a file exists. Every mistake is a ConfigError naming the file and key.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .findings import FAIL_LEVELS, LEVELS

YAML_NAMES = (".awslint-rules.yaml", ".awslint-rules.yml")
PYPROJECT = "pyproject.toml"
TOML_TABLE = "tool.awslint-rules"
TOP_LEVEL_KEYS = ("select", "extend-select", "ignore", "exclude", "parameters", "rules",
                  "fail-level", "region")
# An AWS Region code: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-5...
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


class ConfigError(Exception):
    def __init__(self, file: str | os.PathLike[str], key: str, message: str) -> None:
        where = f"{file}: {key}: " if key else f"{file}: "
        super().__init__(where + message)
        self.file = str(file)
        self.key = key


@dataclass
class RuleConfig:
    level: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Config:
    file: str  # the configuration file this came from
    select: list[str] | None = None
    ignore: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)  # added to `select`, as in ruff
    exclude: list[str] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)
    rules: dict[str, RuleConfig] = field(default_factory=dict)
    fail_level: str | None = None
    region: str | None = None  # the Region the stacks are deployed to (EA8002, EA8007)
    _prefix: str = ""  # "tool.awslint-rules." in pyproject.toml, for error messages

    @property
    def root(self) -> str:
        """Exclude globs are relative to the directory holding the configuration file."""
        return os.path.dirname(os.path.abspath(self.file))

    def key(self, *parts: str) -> str:
        return self._prefix + ".".join(parts)

    def apply(self, catalog: Mapping[str, Any]) -> dict[str, Any]:
        """The catalog with each configured rule's level and options replaced; validates both."""
        rules = dict(catalog)
        for rule_id, rule_config in self.rules.items():
            rule = catalog.get(rule_id)
            if rule is None:
                raise ConfigError(self.file, self.key("rules", rule_id),
                                  "unknown rule id (see `awslint-rules rules`)")
            options = dict(rule.options)
            for name, value in rule_config.options.items():
                options[name] = _checked_option(self, rule, name, value)
            rules[rule_id] = replace(rule, level=rule_config.level or rule.level, options=options)
        return rules

    def check_patterns(self, catalog: Mapping[str, Any]) -> None:
        from .catalog import unmatched_pattern

        for name in ("select", "extend_select", "ignore"):
            pattern = unmatched_pattern(getattr(self, name) or (), catalog)
            if pattern is not None:
                raise ConfigError(self.file, self.key(name.replace("_", "-")),
                                  f"'{pattern}' matches no rule id")

    def excluded_by(self, file: str) -> str | None:
        """The first `exclude` pattern that matches `file`, or None."""
        if not self.exclude or file == "-":
            return None
        return excluding_pattern(file, self.exclude, self.root)


def excluding_pattern(file: str, patterns: Iterable[str], root: str) -> str | None:
    """The first of `patterns` that excludes `file`, or None. gitignore-like: a pattern without
    '/' matches any path component (`cdk.out`, `*.generated.yaml`); one with '/' matches the
    path relative to `root` or a leading part of it (`tests/fixtures`,
    `templates/legacy/*.yaml`)."""
    absolute = os.path.abspath(file)
    relative = os.path.relpath(absolute, root)
    if relative.startswith(".."):
        relative = absolute
    parts = relative.replace(os.sep, "/").strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for written in patterns:
        pattern = written.strip().rstrip("/").removeprefix("./")
        candidates = prefixes if "/" in pattern else parts
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
            return written
    return None


def find_config(start: str | None = None) -> str | None:
    """The nearest configuration file from `start` (the working directory) upwards."""
    directory = os.path.abspath(start or os.getcwd())
    while True:
        for name in YAML_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
        candidate = os.path.join(directory, PYPROJECT)
        if os.path.isfile(candidate) and _declares_table(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


# `[tool.awslint-rules]` or `[tool.awslint-rules.rules.WA3002]`
_TABLE_HEADER = re.compile(r'^\s*\[\s*tool\s*\.\s*"?awslint-rules"?\s*[\].]', re.M)
# `awslint-rules = {...}` or `awslint-rules.select = [...]`: also how a dependency is written
_KEY = re.compile(r'^\s*"?awslint-rules"?\s*[.=]', re.M)


def _declares_table(pyproject: str) -> bool:
    """Whether the file configures awslint-rules: a pyproject.toml that merely depends on it
    does not stop the search for a configuration further up. TOML is parsed only when a key
    could be either."""
    try:
        with open(pyproject, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return False
    if _TABLE_HEADER.search(text):
        return True
    if not _KEY.search(text):
        return False
    import tomllib

    try:
        tool = tomllib.loads(text).get("tool")
    except tomllib.TOMLDecodeError:
        return False
    return isinstance(tool, dict) and "awslint-rules" in tool


def load_config(file: str) -> Config:
    """Parse and validate one configuration file (rule ids and options: Config.apply)."""
    if os.path.basename(file) == PYPROJECT or file.endswith(".toml"):
        data, prefix = _toml_table(file), f"{TOML_TABLE}."
    else:
        data, prefix = _yaml_mapping(file), ""
    config = Config(file=file, _prefix=prefix)
    for key, value in data.items():
        if key not in TOP_LEVEL_KEYS:
            raise ConfigError(file, prefix + str(key),
                              f"unknown key (expected one of: {', '.join(TOP_LEVEL_KEYS)})")
        if key in ("select", "extend-select", "ignore", "exclude"):
            values = _strings(config, key, value)
            if key == "exclude":
                config.exclude = values
            elif key == "extend-select":
                config.extend_select = values
            else:
                setattr(config, key, [v.upper() for v in values])
        elif key == "parameters":
            config.parameters = _parameters(config, value)
        elif key == "rules":
            config.rules = _rules(config, value)
        elif key == "fail-level":
            value = value.lower() if isinstance(value, str) else value
            if value not in FAIL_LEVELS:
                raise ConfigError(file, config.key(key),
                                  f"{value!r} is not one of: {', '.join(FAIL_LEVELS)}")
            config.fail_level = value
        elif key == "region":
            if not isinstance(value, str) or region_problem(value) is not None:
                raise ConfigError(file, config.key(key), region_problem(str(value)) or "")
            config.region = value.strip().lower()
    return config


def region_problem(region: str) -> str | None:
    """Why `region` is not an AWS Region code, or None when it is one."""
    if REGION.match(region.strip().lower()):
        return None
    return f"{region!r} is not an AWS Region code (such as us-east-1 or eu-west-1)"


def _toml_table(file: str) -> dict[str, Any]:
    import tomllib

    try:
        with open(file, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(file, "", f"cannot read TOML: {error}") from None
    tool = document.get("tool")
    table = tool.get("awslint-rules") if isinstance(tool, dict) else None
    if table is None:
        raise ConfigError(file, TOML_TABLE, "no such table in this file")
    if not isinstance(table, dict):
        raise ConfigError(file, TOML_TABLE, "must be a table")
    return table


def _yaml_mapping(file: str) -> dict[str, Any]:
    import yaml

    try:
        from yaml import CSafeLoader as Loader
    except ImportError:  # pragma: no cover
        from yaml import SafeLoader as Loader  # type: ignore[assignment]
    try:
        with open(file, "rb") as handle:
            data = yaml.load(handle, Loader=Loader)
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(file, "", f"cannot read YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(file, "", "the configuration must be a mapping of keys to values")
    return data


def _strings(config: Config, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(config.file, config.key(key), "must be a list of strings")
    return [v.strip() for v in value if v.strip()]


def _parameters(config: Config, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(config.file, config.key("parameters"),
                          "must be a mapping of parameter names to values")
    parameters = {}
    for name, setting in value.items():
        if isinstance(setting, list) and all(_is_scalar(v) for v in setting):
            setting = ",".join(_text(v) for v in setting)  # CommaDelimitedList
        if not _is_scalar(setting):
            raise ConfigError(config.file, config.key("parameters", str(name)),
                              "must be a string, number, boolean or list of those")
        parameters[str(name)] = _text(setting)
    return parameters


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _rules(config: Config, value: Any) -> dict[str, RuleConfig]:
    if not isinstance(value, dict):
        raise ConfigError(config.file, config.key("rules"),
                          "must be a mapping of rule ids to settings")
    rules = {}
    for rule_id, settings in value.items():
        key = config.key("rules", str(rule_id))
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            raise ConfigError(config.file, key,
                              "must be a mapping of `level` and the rule's options")
        rule_config = RuleConfig()
        for name, setting in settings.items():
            if name == "level":
                setting = setting.lower() if isinstance(setting, str) else setting
                if setting not in LEVELS:
                    raise ConfigError(config.file, f"{key}.level",
                                      f"{setting!r} is not one of: {', '.join(LEVELS)}")
                rule_config.level = setting
            else:
                rule_config.options[str(name)] = setting
        rules[str(rule_id).upper()] = rule_config
    return rules


def _checked_option(config: Config, rule: Any, name: str, value: Any) -> Any:
    key = config.key("rules", rule.id, name)
    if name not in rule.options:
        declared = ", ".join(rule.options) or "none"
        raise ConfigError(config.file, key,
                          f"unknown option for {rule.id} (its options: {declared}; "
                          "see `awslint-rules explain " + rule.id + "`)")
    default = rule.options[name]
    if default is None:
        return value
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        expected = "true or false"
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        expected = "an integer"
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        expected = "a number"
        value = float(value) if ok else value
    else:
        ok = isinstance(value, type(default))
        expected = f"a {type(default).__name__}"
    if not ok:
        raise ConfigError(config.file, key,
                          f"{value!r} is not {expected} (the default is {default!r})")
    return value
