"""awslint-rules: an architecture linter for AWS CloudFormation and SAM templates."""

__version__ = "0.1.0"
