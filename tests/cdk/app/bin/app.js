#!/usr/bin/env node
// Typical CDK stacks, each with the findings awslint-rules is meant to report on them.
// tests/test_cdk.py (INTENDED) lists them by stack, rule and logical id.
// ../synth.sh synthesizes the app and keeps the templates and manifest.json in ../cdk.out.
const cdk = require('aws-cdk-lib');
const { Duration } = cdk;
const apigw = require('aws-cdk-lib/aws-apigateway');
const apigwv2 = require('aws-cdk-lib/aws-apigatewayv2');
const { HttpLambdaIntegration } = require('aws-cdk-lib/aws-apigatewayv2-integrations');
const dynamodb = require('aws-cdk-lib/aws-dynamodb');
const events = require('aws-cdk-lib/aws-events');
const targets = require('aws-cdk-lib/aws-events-targets');
const kinesis = require('aws-cdk-lib/aws-kinesis');
const lambda = require('aws-cdk-lib/aws-lambda');
const destinations = require('aws-cdk-lib/aws-lambda-destinations');
const sources = require('aws-cdk-lib/aws-lambda-event-sources');
const s3 = require('aws-cdk-lib/aws-s3');
const s3n = require('aws-cdk-lib/aws-s3-notifications');
const sns = require('aws-cdk-lib/aws-sns');
const subs = require('aws-cdk-lib/aws-sns-subscriptions');
const sqs = require('aws-cdk-lib/aws-sqs');
const ssm = require('aws-cdk-lib/aws-ssm');

function handler(scope, id, props = {}) {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
    ...props,
  });
}

function queueWithDlq(scope, id, props = {}) {
  const dlq = new sqs.Queue(scope, `${id}Dlq`, { retentionPeriod: Duration.days(14) });
  return new sqs.Queue(scope, id, { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 }, ...props });
}

// 1. SQS event sources, one of them on an alias (FunctionName is Select/Split over the alias ARN).
class OrdersStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const orders = new sqs.Queue(this, 'OrdersQueue', { visibilityTimeout: Duration.seconds(30) });
    const processor = handler(this, 'OrderProcessor', { timeout: Duration.seconds(120) });
    const live = new lambda.Alias(this, 'Live', { aliasName: 'live', version: processor.currentVersion });
    live.addEventSource(new sources.SqsEventSource(orders)); // EA3001, WA3003

    const shipping = queueWithDlq(this, 'ShippingQueue', { visibilityTimeout: Duration.seconds(60) });
    handler(this, 'Shipper', { timeout: Duration.seconds(30) })
      .addEventSource(new sources.SqsEventSource(shipping)); // WA3002

    // No Lambda consumer: IA3004, suppressed on the queue's CloudFormation resource.
    const reports = new sqs.Queue(this, 'ReportsQueue');
    reports.node.defaultChild.addMetadata('awslint-rules', {
      ignore: [{ rule: 'IA3004', reason: 'drained by the reporting service, which parks failures in S3' }],
    });

    // The same with an override, as on any L1 resource.
    const audit = new sqs.Queue(this, 'AuditQueue');
    audit.node.defaultChild.addOverride('Metadata.awslint-rules', {
      ignore: [{ rule: 'IA3004', reason: 'read by the auditors, who keep what they cannot parse' }],
    });

    const payments = queueWithDlq(this, 'PaymentsQueue', { visibilityTimeout: Duration.seconds(180) });
    handler(this, 'PaymentHandler', { timeout: Duration.seconds(30) })
      .addEventSource(new sources.SqsEventSource(payments)); // fine
  }
}

// 2. SNS subscriptions.
class NotificationsStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const alerts = new sns.Topic(this, 'AlertsTopic');
    alerts.addSubscription(new subs.LambdaSubscription(handler(this, 'Pager'))); // WA4001, WA1001

    const undelivered = new sqs.Queue(this, 'UndeliveredAlerts');
    const auditor = handler(this, 'Auditor', { deadLetterQueueEnabled: true });
    alerts.addSubscription(new subs.LambdaSubscription(auditor, { deadLetterQueue: undelivered })); // fine

    const archive = queueWithDlq(this, 'AlertArchive');
    alerts.addSubscription(new subs.SqsSubscription(archive)); // WA4001
  }
}

// 3. EventBridge rules.
class SchedulesStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const nightly = new events.Rule(this, 'NightlyRule', { schedule: events.Schedule.cron({ hour: '2', minute: '0' }) });
    nightly.addTarget(new targets.LambdaFunction(handler(this, 'NightlyReport'))); // WA5001, WA1001

    const failed = new sqs.Queue(this, 'FailedEvents');
    const onFailure = new sqs.Queue(this, 'FailedInvocations');
    const billing = handler(this, 'BillingListener', { onFailure: new destinations.SqsDestination(onFailure) });
    new events.Rule(this, 'InvoicePaidRule', { eventPattern: { source: ['billing'], detailType: ['InvoicePaid'] } })
      .addTarget(new targets.LambdaFunction(billing, { deadLetterQueue: failed, retryAttempts: 4 })); // fine
  }
}

// 4. Stream event sources.
class StreamsStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const clicks = new kinesis.Stream(this, 'ClickStream');
    handler(this, 'ClickCounter').addEventSource(
      new sources.KinesisEventSource(clicks, { startingPosition: lambda.StartingPosition.LATEST })); // WA6001, WA6002

    const table = new dynamodb.Table(this, 'CartTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    const failures = new sqs.Queue(this, 'CartStreamFailures');
    handler(this, 'CartProjector').addEventSource(new sources.DynamoEventSource(table, {
      startingPosition: lambda.StartingPosition.LATEST,
      retryAttempts: 3,
      onFailure: new sources.SqsDlq(failures),
    })); // fine
  }
}

// 5. A REST API.
class RestApiStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const api = new apigw.LambdaRestApi(this, 'StoreApi', {
      handler: handler(this, 'StoreHandler', { timeout: Duration.seconds(60) }), // WA2001
      deployOptions: { cacheClusterEnabled: true, cacheClusterSize: '0.5' }, // IA2005
      proxy: false,
    });
    api.root.addMethod('ANY');
    api.root.addResource('health').addMethod('GET', new apigw.LambdaIntegration(
      handler(this, 'HealthCheck', { timeout: Duration.seconds(5) }))); // fine
    handler(this, 'Maintenance', { reservedConcurrentExecutions: 0 }); // WA1004
  }
}

// 6. An HTTP API and a function URL.
class HttpApiStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const api = new apigwv2.HttpApi(this, 'PublicApi');
    api.addRoutes({
      path: '/search', methods: [apigwv2.HttpMethod.GET],
      integration: new HttpLambdaIntegration('Search', handler(this, 'SearchHandler', { timeout: Duration.seconds(45) })), // WA2001
    });
    const failures = new sqs.Queue(this, 'ProfileFailures');
    const profile = handler(this, 'ProfileHandler', { onFailure: new destinations.SqsDestination(failures) }); // IA1002
    api.addRoutes({ path: '/profile', methods: [apigwv2.HttpMethod.GET], integration: new HttpLambdaIntegration('Profile', profile) });
    handler(this, 'Webhook').addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE }); // WA1009
  }
}

// 7. S3 notifications and destinations.
class UploadsStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const uploads = new s3.Bucket(this, 'UploadsBucket');
    uploads.addEventNotification(s3.EventType.OBJECT_CREATED,
      new s3n.LambdaDestination(handler(this, 'Thumbnailer'))); // WA1001
    const failures = new sqs.Queue(this, 'ScanFailures');
    uploads.addEventNotification(s3.EventType.OBJECT_REMOVED, new s3n.LambdaDestination(
      handler(this, 'Scanner', { onFailure: new destinations.SqsDestination(failures) }))); // fine
  }
}

// 8. A nested stack consuming a queue of its parent (the queue's ARN is a nested-stack parameter).
class WorkersNestedStack extends cdk.NestedStack {
  constructor(scope, id, props) {
    super(scope, id, props);
    handler(this, 'JobRunner', { timeout: Duration.seconds(120) })
      .addEventSource(new sources.SqsEventSource(props.jobs)); // EA3001, WA3003 on the parent's queue
  }
}

class PlatformStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const jobs = new sqs.Queue(this, 'JobsQueue', { visibilityTimeout: Duration.seconds(30) });
    new WorkersNestedStack(this, 'Workers', { jobs });
  }
}

// 13. Sibling nested stacks: a queue of one consumed in the other (the parent passes the first
// one's output as the second one's parameter), and in the parent (Fn::GetAtt Outputs.X).
class QueuesNestedStack extends cdk.NestedStack {
  constructor(scope, id, props) {
    super(scope, id, props);
    this.events = new sqs.Queue(this, 'EventsQueue', { visibilityTimeout: Duration.seconds(30) });
    this.audit = new sqs.Queue(this, 'AuditQueue', { visibilityTimeout: Duration.seconds(10) });
  }
}

class ConsumersNestedStack extends cdk.NestedStack {
  constructor(scope, id, props) {
    super(scope, id, props);
    handler(this, 'EventHandler', { timeout: Duration.seconds(100) })
      .addEventSource(new sources.SqsEventSource(props.events)); // EA3001, WA3003 on the sibling's queue
  }
}

class PipelineStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const queues = new QueuesNestedStack(this, 'Queues');
    new ConsumersNestedStack(this, 'Consumers', { events: queues.events });
    handler(this, 'AuditHandler', { timeout: Duration.seconds(50) })
      .addEventSource(new sources.SqsEventSource(queues.audit)); // EA3001, WA3003 on the nested queue
  }
}

// 14. A stage: its stacks are a cloud assembly of their own (assembly-Staging/).
class StagingStage extends cdk.Stage {
  constructor(scope, id, props) {
    super(scope, id, props);
    new StreamsStack(this, 'Streams'); // WA6001, WA6002
  }
}

// 9 and 10. A queue exported by one stack and consumed in another (Export / Fn::ImportValue).
class SharedStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    this.invoices = new sqs.Queue(this, 'InvoicesQueue', { visibilityTimeout: Duration.seconds(30) });
  }
}

class BillingStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    handler(this, 'InvoiceMailer', { timeout: Duration.seconds(60) })
      .addEventSource(new sources.SqsEventSource(props.invoices)); // EA3001, WA3003 on the shared queue
  }
}

// 12. A rule suppressed for a whole stack (the template's Metadata).
class ArchiveStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    this.templateOptions.metadata = {
      'awslint-rules': { ignore: [{ rule: 'IA3004', reason: 'archive queues are read by hand' }] },
    };
    new sqs.Queue(this, 'ColdQueue');
    new sqs.Queue(this, 'FrozenQueue');
  }
}

// 11. A stack near the 500-resource limit.
class CatalogStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    for (let i = 0; i < 455; i++) {
      new ssm.StringParameter(this, `Setting${i}`, { stringValue: `value-${i}` });
    } // WA0011
  }
}

const app = new cdk.App();
new OrdersStack(app, 'Orders');
new NotificationsStack(app, 'Notifications');
new SchedulesStack(app, 'Schedules');
new StreamsStack(app, 'Streams');
new RestApiStack(app, 'RestApi');
new HttpApiStack(app, 'HttpApi');
new UploadsStack(app, 'Uploads');
new PlatformStack(app, 'Platform');
const shared = new SharedStack(app, 'Shared');
new BillingStack(app, 'Billing', { invoices: shared.invoices });
new CatalogStack(app, 'Catalog');
new ArchiveStack(app, 'Archive');
new PipelineStack(app, 'Pipeline');
new StagingStage(app, 'Staging');
