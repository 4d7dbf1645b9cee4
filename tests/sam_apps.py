"""SAM applications shaped like the deployable samples AWS publishes (our own templates):
policy templates, event sources, dead-letter queues, connectors, names from AWS::StackName,
Fn::If. Used by the CI gate's real-repository tests and by benchmarks/gate_sam_apps.py."""

from __future__ import annotations

HEAD = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: {description}
Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
    CodeUri: src/
    Timeout: 10
"""

UPLOADS = HEAD.format(description="Thumbnails for uploaded images") + """Resources:
  UploadsBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-uploads"
  ThumbnailFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - S3CrudPolicy:
            BucketName: !Sub "${AWS::StackName}-uploads"
      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref UploadsBucket
            Events: s3:ObjectCreated:*
"""

SQS_WORKER = HEAD.format(description="Queue worker with a dead-letter queue") + """Resources:
  JobsQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-jobs"
  FailedQueue:
    Type: AWS::SQS::Queue
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      DeadLetterQueue:
        Type: SQS
        TargetArn: !GetAtt FailedQueue.Arn
      Policies:
        - SQSPollerPolicy:
            QueueName: !GetAtt JobsQueue.QueueName
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt JobsQueue.Arn
            BatchSize: 10
"""

SQS_SENDER = HEAD.format(description="API that queues orders in batches") + """Resources:
  OrdersQueue:
    Type: AWS::SQS::Queue
  EnqueueFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          QUEUE_URL: !Ref OrdersQueue
      Policies:
        - Version: '2012-10-17'
          Statement:
            - Effect: Allow
              Action: [sqs:SendMessage, sqs:SendMessageBatch]
              Resource: !GetAtt OrdersQueue.Arn
      Events:
        Post:
          Type: HttpApi
          Properties:
            Path: /orders
            Method: post
"""

CRUD_API = HEAD.format(description="CRUD API over a DynamoDB table, with a connector") + """Resources:
  ItemsTable:
    Type: AWS::Serverless::SimpleTable
  ReadFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - DynamoDBReadPolicy:
            TableName: !Ref ItemsTable
      Events:
        Get:
          Type: Api
          Properties:
            Path: /items/{id}
            Method: get
  WriteFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Put:
          Type: Api
          Properties:
            Path: /items
            Method: put
  WriteConnector:
    Type: AWS::Serverless::Connector
    Properties:
      Source:
        Id: WriteFunction
      Destination:
        Id: ItemsTable
      Permissions: [Read, Write]
"""

STREAM = HEAD.format(description="Kinesis stream consumer writing to DynamoDB") + """Resources:
  EventsStream:
    Type: AWS::Kinesis::Stream
    Properties:
      ShardCount: 1
  ResultsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${AWS::StackName}-results"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  ConsumerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - KinesisStreamReadPolicy:
            StreamName: !Ref EventsStream
        - DynamoDBWritePolicy:
            TableName: !Ref ResultsTable
      Events:
        Stream:
          Type: Kinesis
          Properties:
            Stream: !GetAtt EventsStream.Arn
            StartingPosition: LATEST
"""

# a real mistake in the author's own statement: Firehose actions on a Kinesis stream ARN
FIREHOSE_MISTAKE = HEAD.format(description="Forwards records to Firehose") + """Resources:
  IngestStream:
    Type: AWS::Kinesis::Stream
    Properties:
      ShardCount: 1
  ForwardFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Version: '2012-10-17'
          Statement:
            - Effect: Allow
              Action: [firehose:PutRecord, firehose:PutRecordBatch]
              Resource: !GetAtt IngestStream.Arn
"""

# a real mistake: EventBridge rule actions granted on an event bus ARN
EVENTBRIDGE_MISTAKE = HEAD.format(description="Schedules rules on a custom bus") + """Resources:
  AppBus:
    Type: AWS::Events::EventBus
    Properties:
      Name: !Sub "${AWS::StackName}-bus"
  SchedulerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Version: '2012-10-17'
          Statement:
            - Effect: Allow
              Action: [events:PutRule, events:PutTargets]
              Resource: !GetAtt AppBus.Arn
        - EventBridgePutEventsPolicy:
            EventBusName: !Ref AppBus
"""

CONDITIONAL = HEAD.format(description="Rotation only in production") + """Parameters:
  Stage:
    Type: String
    Default: dev
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  AppSecret:
    Type: AWS::SecretsManager::Secret
  RotateFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Fn::If:
            - IsProd
            - AWSSecretsManagerRotationPolicy:
                FunctionName: !Sub "${AWS::StackName}-rotate"
            - !Ref AWS::NoValue
        - AWSSecretsManagerGetSecretValuePolicy:
            SecretArn: !Ref AppSecret
"""

STATE_MACHINE = HEAD.format(description="Step Functions workflow with a task function") + """Resources:
  TaskFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - StepFunctionsExecutionPolicy:
            StateMachineName: !GetAtt Workflow.Name
  Workflow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Task
        States:
          Task:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters:
              FunctionName: !GetAtt TaskFunction.Arn
            End: true
      Policies:
        - LambdaInvokePolicy:
            FunctionName: !Ref TaskFunction
"""

SNS_FANOUT = HEAD.format(description="SNS fan-out to a notifier") + """Resources:
  AlertsTopic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub "${AWS::StackName}-alerts"
  NotifyFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - SNSPublishMessagePolicy:
            TopicName: !GetAtt AlertsTopic.TopicName
      Events:
        Alert:
          Type: SNS
          Properties:
            Topic: !Ref AlertsTopic
"""

SCHEDULED = HEAD.format(description="Nightly job reading a secret, with an EventBridge schedule") + """Resources:
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub "${AWS::StackName}/db"
  NightlyFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - AWSSecretsManagerGetSecretValuePolicy:
            SecretArn: !Ref DbSecret
        - CloudWatchPutMetricPolicy: {}
      Events:
        Nightly:
          Type: Schedule
          Properties:
            Schedule: cron(0 3 * * ? *)
"""

DDB_STREAM = HEAD.format(description="DynamoDB stream to EventBridge") + """Resources:
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  PublishFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - DynamoDBStreamReadPolicy:
            TableName: !Ref OrdersTable
            StreamName: !Select [3, !Split ["/", !GetAtt OrdersTable.StreamArn]]
        - EventBridgePutEventsPolicy:
            EventBusName: default
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt OrdersTable.StreamArn
            StartingPosition: TRIM_HORIZON
"""

APPS = {
    "uploads": UPLOADS, "sqs-worker": SQS_WORKER, "sqs-sender": SQS_SENDER, "crud-api": CRUD_API,
    "stream": STREAM, "firehose-mistake": FIREHOSE_MISTAKE, "eventbridge-mistake": EVENTBRIDGE_MISTAKE,
    "conditional": CONDITIONAL, "state-machine": STATE_MACHINE, "sns-fanout": SNS_FANOUT, "scheduled": SCHEDULED,
    "ddb-stream": DDB_STREAM,
}
# the apps whose authors made a real mistake in their own statements (they must stay blocked)
MISTAKES = {"firehose-mistake", "eventbridge-mistake"}
