"""More SAM applications in the style of AWS's published deployable apps (serverless-patterns,
aws-sam-cli-app-templates, serverless-samples, sessions-with-aws-sam), written here, modelled on the
constructs those repositories use: Globals, policy templates, connectors, state machines with
policies, HttpApi/Api auth, layers, every kind of event, dead-letter queues, destinations,
AutoPublishAlias with DeploymentPreference, Conditions, Mappings, nested applications,
``AWS::StackName``, samconfig environments, parameters without defaults, SSM parameter types and
``Fn::ImportValue``.

Each app is a set of files (template, samconfig, definitions); ``src/app.py`` is added by the
tests. ``MISTAKES`` names the apps whose authors made a real mistake in their own statement and
must stay blocked at ``--fail-on high``, with the rule and the action that must be reported.
Used by tests/test_check_public_apps.py and benchmarks/gate_sam_apps.py."""

from __future__ import annotations

HEAD = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: "{description}"
"""

GLOBALS_PY = """Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
    CodeUri: src/
    Timeout: 15
    MemorySize: 256
    Tracing: Active
    Architectures: [arm64]
"""

GLOBALS_NODE = """Globals:
  Function:
    Runtime: nodejs20.x
    Handler: app.handler
    CodeUri: src/
    Timeout: 6
    Environment:
      Variables:
        POWERTOOLS_SERVICE_NAME: !Ref AWS::StackName
        LOG_LEVEL: INFO
"""

# -- APIs ----------------------------------------------------------------------------------------

HTTP_JWT = HEAD.format(description="HTTP API with a Cognito JWT authorizer over a DynamoDB table") + GLOBALS_NODE + """Resources:
  UserPool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: !Sub "${AWS::StackName}-users"
      AutoVerifiedAttributes: [email]
  UserPoolClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref UserPool
      GenerateSecret: false
  NotesApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: CognitoJwt
        Authorizers:
          CognitoJwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: !Sub "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
              audience: [!Ref UserPoolClient]
  NotesTable:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {Name: noteId, Type: String}
  ListNotesFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          TABLE: !Ref NotesTable
      Policies:
        - DynamoDBReadPolicy:
            TableName: !Ref NotesTable
      Events:
        List:
          Type: HttpApi
          Properties:
            ApiId: !Ref NotesApi
            Path: /notes
            Method: GET
  SaveNoteFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          TABLE: !Ref NotesTable
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref NotesTable
      Events:
        Save:
          Type: HttpApi
          Properties:
            ApiId: !Ref NotesApi
            Path: /notes
            Method: POST
Outputs:
  Endpoint:
    Value: !Sub "https://${NotesApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
"""

REST_TOKEN_AUTH = HEAD.format(description="REST API with a Lambda TOKEN authorizer and usage plan") + GLOBALS_PY + """Resources:
  ShopApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      TracingEnabled: true
      Auth:
        DefaultAuthorizer: TokenCheck
        ApiKeyRequired: false
        Authorizers:
          TokenCheck:
            FunctionArn: !GetAtt AuthorizerFunction.Arn
            Identity:
              Header: Authorization
              ReauthorizeEvery: 300
  AuthorizerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: auth.handler
      Policies:
        - SSMParameterReadPolicy:
            ParameterName: !Sub "${AWS::StackName}/signing-key"
  CatalogFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - S3ReadPolicy:
            BucketName: !Sub "${AWS::StackName}-catalog-${AWS::AccountId}"
      Events:
        Products:
          Type: Api
          Properties:
            RestApiId: !Ref ShopApi
            Path: /products
            Method: get
        Health:
          Type: Api
          Properties:
            RestApiId: !Ref ShopApi
            Path: /health
            Method: get
            Auth:
              Authorizer: NONE
"""

REST_IAM_AUTH = HEAD.format(description="Private REST API with IAM auth and a resource policy") + GLOBALS_PY + """Resources:
  InternalApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      EndpointConfiguration:
        Type: REGIONAL
      Auth:
        DefaultAuthorizer: AWS_IAM
        ResourcePolicy:
          AwsAccountWhitelist: [!Ref AWS::AccountId]
  ReportFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - AthenaQueryPolicy:
            WorkGroupName: primary
        - S3CrudPolicy:
            BucketName: !Sub "${AWS::StackName}-athena-results"
        - Statement:
            - Sid: ReadCatalog
              Effect: Allow
              Action: [glue:GetTable, glue:GetDatabase, glue:GetPartitions]
              Resource:
                - !Sub "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog"
                - !Sub "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:database/reports"
                - !Sub "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/reports/*"
      Events:
        Run:
          Type: Api
          Properties:
            RestApiId: !Ref InternalApi
            Path: /reports/{name}
            Method: post
"""

FUNCTION_URL = HEAD.format(description="Function URL with IAM auth streaming a Bedrock answer") + """Globals:
  Function:
    Runtime: nodejs20.x
    Timeout: 60
Resources:
  AnswerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      FunctionUrlConfig:
        AuthType: AWS_IAM
        InvokeMode: RESPONSE_STREAM
      Policies:
        - Statement:
            - Effect: Allow
              Action: [bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream]
              Resource: !Sub "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
"""

# -- events of every kind -----------------------------------------------------------------------

EVENTBRIDGE_RULE_DLQ = HEAD.format(description="EventBridge rule with a dead-letter queue and retry policy") + GLOBALS_PY + """Resources:
  OrdersBus:
    Type: AWS::Events::EventBus
    Properties:
      Name: !Sub "${AWS::StackName}-orders"
  RuleDeadLetters:
    Type: AWS::SQS::Queue
  ShipFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - EventBridgePutEventsPolicy:
            EventBusName: !Ref OrdersBus
      Events:
        OrderPlaced:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref OrdersBus
            Pattern:
              source: [shop.orders]
              detail-type: [OrderPlaced]
            RetryPolicy:
              MaximumRetryAttempts: 2
              MaximumEventAgeInSeconds: 900
            DeadLetterConfig:
              Arn: !GetAtt RuleDeadLetters.Arn
        Legacy:
          Type: CloudWatchEvent
          Properties:
            Pattern:
              source: [aws.s3]
"""

SCHEDULE_V2 = HEAD.format(description="EventBridge Scheduler with a generated dead-letter queue") + GLOBALS_PY + """Resources:
  CleanupFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Sub "${AWS::StackName}-sessions"
      Events:
        Hourly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(1 hour)
            FlexibleTimeWindow:
              Mode: FLEXIBLE
              MaximumWindowInMinutes: 5
            DeadLetterConfig:
              Type: SQS
        Nightly:
          Type: Schedule
          Properties:
            Schedule: cron(0 2 * * ? *)
            Enabled: true
"""

COGNITO_TRIGGER = HEAD.format(description="Cognito user pool triggers writing profiles") + GLOBALS_NODE + """Resources:
  Profiles:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: userId, AttributeType: S}]
      KeySchema: [{AttributeName: userId, KeyType: HASH}]
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: !Sub "${AWS::StackName}-pool"
  PostConfirmFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - DynamoDBWritePolicy:
            TableName: !Ref Profiles
      Events:
        Confirmed:
          Type: Cognito
          Properties:
            UserPool: !Ref Pool
            Trigger: [PostConfirmation, PreSignUp]
"""

LOGS_AND_IOT = HEAD.format(description="Log subscription and IoT rule consumers") + GLOBALS_PY + """Resources:
  AppLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/app/${AWS::StackName}"
      RetentionInDays: 14
  ErrorsFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - FilterLogEventsPolicy:
            LogGroupName: !Ref AppLogs
        - CloudWatchPutMetricPolicy: {}
      Events:
        Errors:
          Type: CloudWatchLogs
          Properties:
            LogGroupName: !Ref AppLogs
            FilterPattern: ERROR
  TelemetryFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - KinesisCrudPolicy:
            StreamName: !Sub "${AWS::StackName}-telemetry"
      Events:
        Readings:
          Type: IoTRule
          Properties:
            Sql: "SELECT * FROM 'sensors/+/readings'"
            AwsIotSqlVersion: '2016-03-23'
"""

S3_PIPELINE = HEAD.format(description="Image pipeline: S3 upload, Rekognition labels, results bucket") + """Parameters:
  SourceBucketName:
    Type: String
  ResultsBucketName:
    Type: String
Globals:
  Function:
    Runtime: python3.11
    CodeUri: src/
    Handler: app.handler
    Timeout: 30
Resources:
  SourceBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Ref SourceBucketName
  ResultsBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Ref ResultsBucketName
  LabelFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - S3ReadPolicy:
            BucketName: !Ref SourceBucketName
        - S3WritePolicy:
            BucketName: !Ref ResultsBucketName
        - RekognitionDetectOnlyPolicy: {}
        - RekognitionLabelsPolicy: {}
      Events:
        Uploaded:
          Type: S3
          Properties:
            Bucket: !Ref SourceBucket
            Events: s3:ObjectCreated:*
            Filter:
              S3Key:
                Rules:
                  - Name: suffix
                    Value: .jpg
"""

S3_PIPELINE_CONFIG = """version = 0.1
[default]
[default.global.parameters]
stack_name = "image-labels"

[default.deploy.parameters]
capabilities = "CAPABILITY_IAM"
confirm_changeset = true
resolve_s3 = true
parameter_overrides = "SourceBucketName=\\"image-labels-in\\" ResultsBucketName=\\"image-labels-out\\""

[prod.deploy.parameters]
stack_name = "image-labels-prod"
parameter_overrides = "SourceBucketName=images-prod-in ResultsBucketName=images-prod-out"
"""

KINESIS_DESTINATION = HEAD.format(description="Kinesis consumer with an on-failure destination and bisect") + GLOBALS_PY + """Resources:
  ClickStream:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: !Sub "${AWS::StackName}-clicks"
      StreamModeDetails: {StreamMode: ON_DEMAND}
  FailedBatches:
    Type: AWS::SNS::Topic
  AggregateFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - KinesisStreamReadPolicy:
            StreamName: !Ref ClickStream
        - FirehoseWritePolicy:
            DeliveryStreamName: !Sub "${AWS::StackName}-archive"
      Events:
        Clicks:
          Type: Kinesis
          Properties:
            Stream: !GetAtt ClickStream.Arn
            StartingPosition: TRIM_HORIZON
            BatchSize: 100
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: 3
            DestinationConfig:
              OnFailure:
                Type: SNS
                Destination: !Ref FailedBatches
"""

DDB_FILTER = HEAD.format(description="DynamoDB stream with filter criteria and an SQS on-failure destination") + GLOBALS_NODE + """Resources:
  CartTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${AWS::StackName}-carts"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: sk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  StreamFailures:
    Type: AWS::SQS::Queue
  AbandonedCartFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - DynamoDBReadPolicy:
            TableName: !Ref CartTable
        - SESCrudPolicy:
            IdentityName: shop.example.com
      Events:
        Removed:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt CartTable.StreamArn
            StartingPosition: LATEST
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["REMOVE"]}'
            DestinationConfig:
              OnFailure:
                Destination: !GetAtt StreamFailures.Arn
"""

FIFO_SQS = HEAD.format(description="FIFO queue producer and consumer with a redrive queue") + """Parameters:
  QueueBaseName:
    Type: String
    Default: payments
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
    Handler: app.handler
Resources:
  PaymentsDlq:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${QueueBaseName}-dlq.fifo"
      FifoQueue: true
  PaymentsQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${QueueBaseName}.fifo"
      FifoQueue: true
      ContentBasedDeduplication: true
      VisibilityTimeout: 180
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt PaymentsDlq.Arn
        maxReceiveCount: 3
  ProducerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          QUEUE_URL: !Ref PaymentsQueue
      Policies:
        - SQSSendMessagePolicy:
            QueueName: !GetAtt PaymentsQueue.QueueName
  ConsumerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 30
      Policies:
        - SQSPollerPolicy:
            QueueName: !GetAtt PaymentsQueue.QueueName
      Events:
        Payments:
          Type: SQS
          Properties:
            Queue: !GetAtt PaymentsQueue.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
            ScalingConfig:
              MaximumConcurrency: 5
"""

SNS_FILTERED = HEAD.format(description="SNS topic with filtered subscriptions and an SQS subscription") + GLOBALS_PY + """Resources:
  OrdersTopic:
    Type: AWS::SNS::Topic
  PriorityFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - SNSCrudPolicy:
            TopicName: !GetAtt OrdersTopic.TopicName
      Events:
        Priority:
          Type: SNS
          Properties:
            Topic: !Ref OrdersTopic
            FilterPolicy:
              priority: [high]
            SqsSubscription: true
"""

# -- destinations, DLQs, deployments ------------------------------------------------------------

DESTINATIONS = HEAD.format(description="Asynchronous invocation with success and failure destinations") + GLOBALS_PY + """Resources:
  Succeeded:
    Type: AWS::SNS::Topic
  Failed:
    Type: AWS::SQS::Queue
  ProcessFunction:
    Type: AWS::Serverless::Function
    Properties:
      EventInvokeConfig:
        MaximumEventAgeInSeconds: 3600
        MaximumRetryAttempts: 1
        DestinationConfig:
          OnSuccess:
            Type: SNS
            Destination: !Ref Succeeded
          OnFailure:
            Type: SQS
            Destination: !GetAtt Failed.Arn
  ChainFunction:
    Type: AWS::Serverless::Function
    Properties:
      EventInvokeConfig:
        DestinationConfig:
          OnSuccess:
            Type: Lambda
            Destination: !GetAtt ProcessFunction.Arn
          OnFailure:
            Type: EventBridge
            Destination: !Sub "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
"""

SNS_DLQ = HEAD.format(description="Asynchronous function with an SNS dead-letter topic and KMS-encrypted variables") + GLOBALS_PY + """Resources:
  EnvKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: '*'
  DeadLetters:
    Type: AWS::SNS::Topic
  WebhookFunction:
    Type: AWS::Serverless::Function
    Properties:
      KmsKeyArn: !GetAtt EnvKey.Arn
      Environment:
        Variables:
          WEBHOOK_HOST: hooks.example.com
      DeadLetterQueue:
        Type: SNS
        TargetArn: !Ref DeadLetters
      Policies:
        - KMSDecryptPolicy:
            KeyId: !Ref EnvKey
"""

CANARY = HEAD.format(description="Gradual deployment with CodeDeploy hooks and alarms") + GLOBALS_NODE + """Resources:
  PriceFunction:
    Type: AWS::Serverless::Function
    Properties:
      AutoPublishAlias: live
      DeploymentPreference:
        Type: Canary10Percent5Minutes
        Alarms:
          - !Ref PriceErrors
        Hooks:
          PreTraffic: !Ref PreTrafficHook
      Policies:
        - DynamoDBReadPolicy:
            TableName: !Sub "${AWS::StackName}-prices"
      Events:
        Get:
          Type: Api
          Properties:
            Path: /price/{sku}
            Method: get
  PriceErrors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: errors on the new version
      ComparisonOperator: GreaterThanThreshold
      EvaluationPeriods: 2
      MetricName: Errors
      Namespace: AWS/Lambda
      Period: 60
      Statistic: Sum
      Threshold: 0
      Dimensions:
        - Name: FunctionName
          Value: !Ref PriceFunction
  PreTrafficHook:
    Type: AWS::Serverless::Function
    Properties:
      Handler: hooks.pre
      FunctionName: !Sub "CodeDeployHook_${AWS::StackName}-pre"
      DeploymentPreference:
        Enabled: false
      Environment:
        Variables:
          NEW_VERSION: !Ref PriceFunction.Version
      Policies:
        - Version: '2012-10-17'
          Statement:
            - Effect: Allow
              Action: codedeploy:PutLifecycleEventHookExecutionStatus
              Resource: !Sub "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentgroup:${ServerlessDeploymentApplication}/*"
        - LambdaInvokePolicy:
            FunctionName: !Ref PriceFunction
"""

LAYERS = HEAD.format(description="Shared layer, a custom role with a managed policy ARN from the partition") + """Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
    Handler: app.handler
    Layers:
      - !Ref DependenciesLayer
      - !Sub "arn:${AWS::Partition}:lambda:${AWS::Region}:017000801446:layer:AWSLambdaPowertoolsPythonV2:68"
Resources:
  DependenciesLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      LayerName: !Sub "${AWS::StackName}-deps"
      ContentUri: layer/
      CompatibleRuntimes: [python3.12]
      RetentionPolicy: Retain
    Metadata:
      BuildMethod: python3.12
  ExportRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: [lambda.amazonaws.com]}
            Action: ['sts:AssumeRole']
      ManagedPolicyArns:
        - !Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        - !Sub "arn:${AWS::Partition}:iam::aws:policy/AWSXrayWriteOnlyAccess"
      Policies:
        - PolicyName: export
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: [s3:PutObject, s3:PutObjectTagging]
                Resource: !Sub "arn:${AWS::Partition}:s3:::${AWS::StackName}-exports/*"
              - Effect: Allow
                Action: dynamodb:Scan
                Resource: !Sub "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AWS::StackName}-items"
  ExportFunction:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt ExportRole.Arn
      Events:
        Weekly:
          Type: Schedule
          Properties:
            Schedule: rate(7 days)
"""

# -- Step Functions -------------------------------------------------------------------------------

STATE_MACHINE_FILE = HEAD.format(description="Order workflow from a definition file with substitutions") + GLOBALS_PY + """Resources:
  OrdersTable:
    Type: AWS::Serverless::SimpleTable
  ValidateFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: validate.handler
  ChargeFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: charge.handler
      Policies:
        - AWSSecretsManagerGetSecretValuePolicy:
            SecretArn: !Sub "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:payments/*"
  OrderWorkflow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: STANDARD
      DefinitionUri: statemachine/order.asl.json
      DefinitionSubstitutions:
        ValidateArn: !GetAtt ValidateFunction.Arn
        ChargeArn: !GetAtt ChargeFunction.Arn
        Table: !Ref OrdersTable
      Logging:
        Level: ERROR
        IncludeExecutionData: false
        Destinations:
          - CloudWatchLogsLogGroup:
              LogGroupArn: !GetAtt WorkflowLogs.Arn
      Tracing:
        Enabled: true
      Policies:
        - LambdaInvokePolicy:
            FunctionName: !Ref ValidateFunction
        - LambdaInvokePolicy:
            FunctionName: !Ref ChargeFunction
        - DynamoDBWritePolicy:
            TableName: !Ref OrdersTable
        - CloudWatchLogsFullAccess
      Events:
        Every10:
          Type: Schedule
          Properties:
            Schedule: rate(10 minutes)
        Placed:
          Type: EventBridgeRule
          Properties:
            Pattern:
              source: [shop]
  WorkflowLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/aws/vendedlogs/states/${AWS::StackName}-orders"
"""

ORDER_ASL = """{
  "Comment": "Validate, charge and record an order",
  "StartAt": "Validate",
  "States": {
    "Validate": {"Type": "Task", "Resource": "${ValidateArn}", "Next": "Charge"},
    "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
               "Parameters": {"FunctionName": "${ChargeArn}", "Payload.$": "$"}, "Next": "Record"},
    "Record": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
               "Parameters": {"TableName": "${Table}", "Item": {"id": {"S.$": "$.id"}}}, "End": true}
  }
}
"""

EXPRESS_CONNECTORS = HEAD.format(description="Express workflow wired with connectors, started by a function") + GLOBALS_NODE + """Resources:
  Inbox:
    Type: AWS::SQS::Queue
  Archive:
    Type: AWS::S3::Bucket
  EnrichFunction:
    Type: AWS::Serverless::Function
  StartFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          MACHINE: !Ref Pipeline
    Connectors:
      ToPipeline:
        Properties:
          Destination:
            Id: Pipeline
          Permissions: [Write]
  Pipeline:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: EXPRESS
      Definition:
        StartAt: Enrich
        States:
          Enrich:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters:
              FunctionName: !GetAtt EnrichFunction.Arn
            Next: Notify
          Notify:
            Type: Task
            Resource: arn:aws:states:::sqs:sendMessage
            Parameters:
              QueueUrl: !Ref Inbox
              MessageBody.$: $
            End: true
    Connectors:
      ToEnrich:
        Properties:
          Destination:
            Id: EnrichFunction
          Permissions: [Write]
      ToInbox:
        Properties:
          Destination:
            Id: Inbox
          Permissions: [Write]
  EnrichToArchive:
    Type: AWS::Serverless::Connector
    Properties:
      Source:
        Id: EnrichFunction
      Destination:
        - Id: Archive
        - Id: Inbox
      Permissions: [Read, Write]
"""

# -- parameters, mappings, conditions, imports, nested apps --------------------------------------

MAPPINGS_CONDITIONS = HEAD.format(description="Stage settings from Mappings, resources only in production") + """Parameters:
  Stage:
    Type: String
    AllowedValues: [dev, prod]
  AlertEmail:
    Type: String
    Default: ''
Mappings:
  StageSettings:
    dev:
      Memory: 128
      LogLevel: DEBUG
    prod:
      Memory: 1024
      LogLevel: WARN
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  HasAlertEmail: !Not [!Equals [!Ref AlertEmail, '']]
  ProdWithAlerts: !And [!Condition IsProd, !Condition HasAlertEmail]
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
    Handler: app.handler
    MemorySize: !FindInMap [StageSettings, !Ref Stage, Memory]
    Environment:
      Variables:
        LOG_LEVEL: !FindInMap [StageSettings, !Ref Stage, LogLevel]
Resources:
  AlertsTopic:
    Type: AWS::SNS::Topic
    Condition: ProdWithAlerts
    Properties:
      Subscription:
        - Protocol: email
          Endpoint: !Ref AlertEmail
  AuditTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${AWS::StackName}-${Stage}-audit"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  AuditFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          TOPIC: !If [ProdWithAlerts, !Ref AlertsTopic, !Ref AWS::NoValue]
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref AuditTable
        - !If
          - ProdWithAlerts
          - SNSPublishMessagePolicy:
              TopicName: !GetAtt AlertsTopic.TopicName
          - !Ref AWS::NoValue
        - Version: '2012-10-17'
          Statement:
            - !If
              - IsProd
              - Effect: Allow
                Action: dynamodb:CreateBackup
                Resource: !GetAtt AuditTable.Arn
              - !Ref AWS::NoValue
"""

MAPPINGS_CONFIG = """version = 0.1
[default.deploy.parameters]
stack_name = "audit-dev"
parameter_overrides = "Stage=dev"

[prod.deploy.parameters]
stack_name = "audit-prod"
parameter_overrides = ["Stage=prod", "AlertEmail=ops@example.com"]
"""

SSM_PARAMS = HEAD.format(description="Configuration from SSM parameter types and exports of another stack") + GLOBALS_PY + """Parameters:
  SharedTableName:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /shared/tables/customers
  ApiKeyParameter:
    Type: String
    Default: /integrations/crm/api-key
  NetworkStack:
    Type: String
    Default: core-network
Resources:
  SyncFunction:
    Type: AWS::Serverless::Function
    Properties:
      VpcConfig:
        SecurityGroupIds:
          - Fn::ImportValue: !Sub "${NetworkStack}-LambdaSecurityGroup"
        SubnetIds: !Split [",", !ImportValue core-network-PrivateSubnets]
      Environment:
        Variables:
          TABLE: !Ref SharedTableName
          EVENTS_BUS: !ImportValue core-events-BusName
          CRM_API_KEY_PARAMETER: !Ref ApiKeyParameter
          DB_PASSWORD_PARAM_NAME: !Sub "${AWS::StackName}-db-password"
          CRM_TOKEN_SECRET_ARN: !Sub "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:crm-token"
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref SharedTableName
        - SSMParameterReadPolicy:
            ParameterName: integrations/crm/api-key
        - SSMParameterWithSlashPrefixReadPolicy:
            ParameterName: !Ref ApiKeyParameter
        - EventBridgePutEventsPolicy:
            EventBusName: !ImportValue core-events-BusName
        - VPCAccessPolicy: {}
"""

NESTED_APPS = HEAD.format(description="Nested applications from the Serverless Application Repository and a local folder") + GLOBALS_PY + """Resources:
  Alarms:
    Type: AWS::Serverless::Application
    Properties:
      Location:
        ApplicationId: arn:aws:serverlessrepo:us-east-1:123456789012:applications/lambda-alarms
        SemanticVersion: 1.2.0
      Parameters:
        FunctionName: !Ref IngestFunction
  Storage:
    Type: AWS::Serverless::Application
    Properties:
      Location: storage/template.yaml
      Parameters:
        Prefix: !Ref AWS::StackName
  IngestFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          BUCKET: !GetAtt Storage.Outputs.BucketName
      Policies:
        - S3CrudPolicy:
            BucketName: !GetAtt Storage.Outputs.BucketName
"""

NESTED_STORAGE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Prefix:
    Type: String
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${Prefix}-store"
  CompactFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: ../src/
      Handler: app.handler
      Policies:
        - S3CrudPolicy:
            BucketName: !Sub "${Prefix}-store"
Outputs:
  BucketName:
    Value: !Ref Bucket
"""

MANY_TEMPLATES = HEAD.format(description="Media services: Polly, Translate, Comprehend, Textract, SES templates") + GLOBALS_PY + """Resources:
  SpeakFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - PollyFullAccessPolicy:
            LexiconName: names
        - ComprehendBasicAccessPolicy: {}
        - Statement:
            - Effect: Allow
              Action: [translate:TranslateText, comprehend:DetectDominantLanguage]
              Resource: '*'
  DocumentFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - TextractDetectAnalyzePolicy: {}
        - TextractGetResultPolicy: {}
        - S3ReadPolicy:
            BucketName: !Sub "${AWS::StackName}-documents"
  MailFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - SESBulkTemplatedCrudPolicy_v2:
            IdentityName: example.com
            TemplateName: welcome
        - SESEmailTemplateCrudPolicy: {}
        - SESSendBouncePolicy:
            IdentityName: example.com
"""

OPS_TEMPLATES = HEAD.format(description="Operations helpers: describe policies, Step Functions callbacks, ECS tasks") + GLOBALS_PY + """Resources:
  InventoryFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - EC2DescribePolicy: {}
        - AMIDescribePolicy: {}
        - CloudFormationDescribeStacksPolicy: {}
        - CloudWatchDescribeAlarmHistoryPolicy: {}
        - CostExplorerReadOnlyPolicy: {}
        - OrganizationsListAccountsPolicy: {}
  CallbackFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - StepFunctionsCallbackPolicy:
            StateMachineName: !Sub "${AWS::StackName}-approvals"
        - StepFunctionsExecutionPolicy_v2:
            StateMachineName: !Sub "${AWS::StackName}-approvals"
        - EcsRunTaskPolicy:
            TaskDefinition: report-task
        - Statement:
            - Effect: Allow
              Action: iam:PassRole
              Resource: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-task"
              Condition:
                StringEquals:
                  iam:PassedToService: ecs-tasks.amazonaws.com
"""

JSON_TEMPLATE = """{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Transform": "AWS::Serverless-2016-10-31",
  "Description": "A JSON template: queue to table",
  "Resources": {
    "Queue": {"Type": "AWS::SQS::Queue"},
    "Table": {"Type": "AWS::Serverless::SimpleTable"},
    "Worker": {
      "Type": "AWS::Serverless::Function",
      "Properties": {
        "Runtime": "nodejs20.x",
        "Handler": "app.handler",
        "CodeUri": "src/",
        "Policies": [
          {"DynamoDBWritePolicy": {"TableName": {"Ref": "Table"}}},
          {"SQSPollerPolicy": {"QueueName": {"Fn::GetAtt": ["Queue", "QueueName"]}}}
        ],
        "Events": {"Q": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["Queue", "Arn"]}}}}
      }
    }
  }
}
"""

PLAIN_CFN = """AWSTemplateFormatVersion: '2010-09-09'
Description: Plain CloudFormation function with its own role, log group and event source mapping
Parameters:
  Env:
    Type: String
    Default: test
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-${Env}-in"
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: logs
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: [logs:CreateLogStream, logs:PutLogEvents]
                Resource: !GetAtt LogGroup.Arn
        - PolicyName: queue
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes]
                Resource: !GetAtt Queue.Arn
  LogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/aws/lambda/${AWS::StackName}-reader"
      RetentionInDays: 7
  Reader:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-reader"
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: |
          def handler(event, context):
              return len(event["Records"])
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Queue.Arn
      FunctionName: !Ref Reader
      BatchSize: 10
"""

EDGE_AND_IMAGE = HEAD.format(description="Lambda@Edge viewer function and a container-image worker") + """Resources:
  EdgeFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: edge.handler
      CodeUri: src/
      AutoPublishAlias: live
      MemorySize: 128
      Timeout: 5
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Service: [lambda.amazonaws.com, edgelambda.amazonaws.com]
            Action: sts:AssumeRole
  ImageWorker:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      Timeout: 120
      Policies:
        - S3CrudPolicy:
            BucketName: !Sub "${AWS::StackName}-renders"
        - SQSPollerPolicy:
            QueueName: !Select [5, !Split [":", !ImportValue shared-RenderQueueArn]]
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !ImportValue shared-RenderQueueArn
    Metadata:
      Dockerfile: Dockerfile
      DockerContext: ./src
      DockerTag: python3.12-v1
"""

LANGUAGE_EXTENSIONS = """AWSTemplateFormatVersion: '2010-09-09'
Transform:
  - AWS::LanguageExtensions
  - AWS::Serverless-2016-10-31
Description: "Queues made with Fn::ForEach, a Rules section and Fn::ToJsonString"
Metadata:
  cfn-lint:
    config:
      ignore_checks: [W3005]
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev
  Queues:
    Type: CommaDelimitedList
    Default: "orders,refunds"
Rules:
  ProdOnlyInUsEast1:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Equals [!Ref AWS::Region, us-east-1]
        AssertDescription: prod runs in us-east-1
Resources:
  Fn::ForEach::Queues:
    - Name
    - !Ref Queues
    - ${Name}Queue:
        Type: AWS::SQS::Queue
        DeletionPolicy: Retain
        UpdateReplacePolicy: Retain
        Properties:
          QueueName: !Sub "${AWS::StackName}-${Name}"
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          CONFIG: !ToJsonString {env: !Ref Env, queues: !Ref Queues}
      Policies:
        - SQSPollerPolicy:
            QueueName: !GetAtt ordersQueue.QueueName
        - SQSSendMessagePolicy:
            QueueName: !GetAtt refundsQueue.QueueName
      Events:
        Orders:
          Type: SQS
          Properties:
            Queue: !GetAtt ordersQueue.Arn
Outputs:
  WorkerArn:
    Value: !GetAtt Worker.Arn
    Export:
      Name: !Sub "${AWS::StackName}-WorkerArn"
"""

# -- real mistakes in the author's own statement --------------------------------------------------

# SNS actions granted on an SQS queue ARN: the resource type is wrong for the action
WRONG_RESOURCE_TYPE = HEAD.format(description="Notifier that publishes to the wrong resource") + GLOBALS_PY + """Resources:
  NotifyQueue:
    Type: AWS::SQS::Queue
  NotifyFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - SQSSendMessagePolicy:
            QueueName: !GetAtt NotifyQueue.QueueName
        - Statement:
            - Effect: Allow
              Action: sns:Publish
              Resource: !GetAtt NotifyQueue.Arn
"""

# an action the author wrote that IAM does not have
UNKNOWN_ACTION = HEAD.format(description="Reader with a misspelt action") + GLOBALS_NODE + """Resources:
  ItemsTable:
    Type: AWS::Serverless::SimpleTable
  ReaderFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:QueryItems]
              Resource: !GetAtt ItemsTable.Arn
"""

# Resource "*" on actions that have resource types, where the author could scope them: reading every
# secret is an error (IAM006); writing every bucket a warning (IAM003/PL009, it works but is risky)
STAR_RESOURCE = HEAD.format(description="Uploader granted every bucket and every secret") + GLOBALS_PY + """Resources:
  UploadBucket:
    Type: AWS::S3::Bucket
  UploaderFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          BUCKET: !Ref UploadBucket
      Policies:
        - Statement:
            - Effect: Allow
              Action: [s3:PutObject, s3:DeleteObject, secretsmanager:GetSecretValue]
              Resource: '*'
"""

APPS: dict[str, dict[str, str]] = {
    "http-jwt": {"template.yaml": HTTP_JWT},
    "rest-token-auth": {"template.yaml": REST_TOKEN_AUTH},
    "rest-iam-auth": {"template.yaml": REST_IAM_AUTH},
    "function-url": {"template.yaml": FUNCTION_URL},
    "eventbridge-rule-dlq": {"template.yaml": EVENTBRIDGE_RULE_DLQ},
    "schedule-v2": {"template.yaml": SCHEDULE_V2},
    "cognito-trigger": {"template.yaml": COGNITO_TRIGGER},
    "logs-and-iot": {"template.yaml": LOGS_AND_IOT},
    "s3-pipeline": {"template.yaml": S3_PIPELINE, "samconfig.toml": S3_PIPELINE_CONFIG},
    "kinesis-destination": {"template.yaml": KINESIS_DESTINATION},
    "ddb-filter": {"template.yaml": DDB_FILTER},
    "fifo-sqs": {"template.yaml": FIFO_SQS},
    "sns-filtered": {"template.yaml": SNS_FILTERED},
    "destinations": {"template.yaml": DESTINATIONS},
    "sns-dlq-kms": {"template.yaml": SNS_DLQ},
    "canary": {"template.yaml": CANARY},
    "layers-custom-role": {"template.yaml": LAYERS, "layer/requirements.txt": "requests>=2\n"},
    "state-machine-file": {"template.yaml": STATE_MACHINE_FILE, "statemachine/order.asl.json": ORDER_ASL},
    "express-connectors": {"template.yaml": EXPRESS_CONNECTORS},
    "mappings-conditions": {"template.yaml": MAPPINGS_CONDITIONS, "samconfig.toml": MAPPINGS_CONFIG},
    "ssm-imports": {"template.yaml": SSM_PARAMS},
    "nested-apps": {"template.yaml": NESTED_APPS, "storage/template.yaml": NESTED_STORAGE},
    "media-templates": {"template.yaml": MANY_TEMPLATES},
    "ops-templates": {"template.yaml": OPS_TEMPLATES},
    "json-template": {"template.json": JSON_TEMPLATE},
    "plain-cloudformation": {"template.yaml": PLAIN_CFN},
    "edge-and-image": {"template.yaml": EDGE_AND_IMAGE, "src/Dockerfile": "FROM public.ecr.aws/lambda/python:3.12\n"},
    "language-extensions": {"template.yaml": LANGUAGE_EXTENSIONS},
    "wrong-resource-type": {"template.yaml": WRONG_RESOURCE_TYPE},
    "unknown-action": {"template.yaml": UNKNOWN_ACTION},
    "star-resource": {"template.yaml": STAR_RESOURCE},
}

# app -> (rule, action) that must be reported at high (or above) about the author's own statement
MISTAKES: dict[str, tuple[str, str]] = {
    "wrong-resource-type": ("PL005", "sns:Publish"),
    "unknown-action": ("PL004", "dynamodb:QueryItems"),
    "star-resource": ("IAM006", "secretsmanager:GetSecretValue"),
}


def template_of(name: str) -> str:
    """The app's main template file (relative to its repository)."""
    return next(p for p in APPS[name] if p.startswith("template."))
