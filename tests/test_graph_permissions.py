"""Permits edges that EA2008 relies on: SAM connectors, permissions by function name, principals
written with intrinsics."""

from __future__ import annotations

from awslint_rules.graph import ANY_QUALIFIER, INVOKES, PERMITS, UNKNOWN_PRINCIPAL, build_graph
from awslint_rules.load import load_document
from awslint_rules.template import Template

FUNCTION = """
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: orders-handler
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "x"}
"""


def _permits(resources: str) -> list[tuple[str | None, str | None, str]]:
    text = f"Transform: AWS::Serverless-2016-10-31\nResources:{FUNCTION}{resources}"
    graph = build_graph(Template(load_document("t.yaml", text.encode())))
    return sorted((e.target, e.principal, e.owner) for e in graph.of_kind(PERMITS))


def test_a_connector_from_an_api_permits_api_gateway_on_its_destination_function():
    assert _permits("""
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: a, ProtocolType: HTTP}
  Link:
    Type: AWS::Serverless::Connector
    Properties:
      Source: {Id: Api}
      Destination: [{Id: Fn}]
      Permissions: [Write]
  ReadOnly:
    Type: AWS::Serverless::Connector
    Properties:
      Source: {Id: Api}
      Destination: {Id: Fn}
      Permissions: [Read]
""") == [("Fn", "apigateway.amazonaws.com", "Link")]


def test_an_embedded_connector_has_its_resource_as_source():
    assert _permits("""
  Topic:
    Type: AWS::SNS::Topic
    Connectors:
      ToFn:
        Properties:
          Destination: {Id: Fn}
          Permissions: [Write]
""") == [("Fn", "sns.amazonaws.com", "Topic")]


def test_a_permission_by_function_name_and_an_intrinsic_principal_are_edges():
    assert _permits("""
  ByName:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: orders-handler
      Principal: !Sub apigateway.${AWS::URLSuffix}
  Unknown:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn
      Principal: !GetAtt Fn.Arn
""") == [("Fn", UNKNOWN_PRINCIPAL, "Unknown"), ("Fn", "apigateway.{AWS.URLSuffix}", "ByName")]


def test_a_stage_variable_qualifier_may_be_any_alias():
    text = """Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: i.h, Role: r, Code: {ZipFile: x}}
  Method:
    Type: AWS::ApiGateway::Method
    Properties:
      HttpMethod: GET
      Integration:
        Type: AWS_PROXY
        Uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/\\
          arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Fn}:${!stageVariables.alias}\\
          /invocations"
"""
    graph = build_graph(Template(load_document("t.yaml", text.encode())))
    assert [(e.target, e.qualifier) for e in graph.of_kind(INVOKES)] == [("Fn", ANY_QUALIFIER)]


def test_a_permission_by_name_with_qualifier_or_partial_arn_names_the_function():
    graph = build_graph(Template(load_document("t.yaml", f"""Resources:{FUNCTION}
  Alias:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: orders-handler:live
      Principal: apigateway.amazonaws.com
  Partial:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Sub ${{AWS::AccountId}}:function:orders-handler:$LATEST
      Principal: apigateway.amazonaws.com
  Other:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: billing-handler:live
      Principal: apigateway.amazonaws.com
""".encode())))
    assert sorted((e.owner, e.target, e.qualifier) for e in graph.of_kind(PERMITS)) == [
        ("Alias", "Fn", "live"), ("Partial", "Fn", None)]


def test_lambda_authorizers_are_invocations_by_their_api():
    text = """Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: i.h, Role: r, Code: {ZipFile: x}}
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: rest}
  RestAuthorizer:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Rest
      Type: TOKEN
      AuthorizerUri: URI
  Imported:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Body:
        openapi: "3.0"
        components:
          securitySchemes:
            Custom:
              x-amazon-apigateway-authorizer:
                type: request
                authorizerUri: URI
  Sam:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        Authorizers:
          Managed: {FunctionArn: !GetAtt Fn.Arn}
      DefinitionBody:
        swagger: "2.0"
        securityDefinitions:
          Managed:
            x-amazon-apigateway-authorizer:
              authorizerUri: URI
          Own:
            x-amazon-apigateway-authorizer:
              authorizerUri: URI
"""
    uri = "!Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}" \
        "/invocations"
    graph = build_graph(Template(load_document("t.yaml", text.replace("URI", uri).encode())))
    assert sorted((e.owner, e.source, e.target, e.origin, e.path[-2]) for e in
                  graph.of_kind(INVOKES)) == [
        ("Imported", "Imported", "Fn", "http-api-authorizer", "x-amazon-apigateway-authorizer"),
        ("RestAuthorizer", "Rest", "Fn", "rest-api-authorizer", "Properties"),
        ("Sam", "Sam", "Fn", "rest-api-authorizer", "x-amazon-apigateway-authorizer"),
    ]
    sam = next(e for e in graph.of_kind(INVOKES) if e.owner == "Sam")
    assert "Own" in sam.path
