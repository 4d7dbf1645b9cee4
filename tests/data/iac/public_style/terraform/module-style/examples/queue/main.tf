provider "aws" {
  region = "eu-west-1"

  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_credentials_validation = true
}

module "lambda_function" {
  source = "../../"

  function_name = "queue-consumer"
  handler       = "index.lambda_handler"
  runtime       = "python3.12"
  timeout       = 30

  event_source_mapping = {
    sqs = {
      event_source_arn = aws_sqs_queue.this.arn
      batch_size       = 10
    }
  }

  attach_policy_statements = true
  policy_statements = {
    sqs_failure = {
      effect    = "Allow",
      actions   = ["sqs:SendMessage"],
      resources = [aws_sqs_queue.failure.arn]
    }
    tagged_reads = {
      effect    = "Allow"
      actions   = ["dynamodb:GetItem"]
      resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/lookup"]
      condition = {
        only_tagged = {
          test     = "StringEquals"
          variable = "aws:ResourceTag/team"
          values   = ["queue"]
        }
      }
    }
  }

  attach_policies    = true
  number_of_policies = 1
  policies = [
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
  ]
}

resource "aws_sqs_queue" "this" {
  name = "queue-consumer-input"
}

resource "aws_sqs_queue" "failure" {
  name = "queue-consumer-failure"
}
