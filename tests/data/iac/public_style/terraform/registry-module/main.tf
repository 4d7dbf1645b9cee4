provider "aws" {
  region = "us-east-1"
}

module "sqs" {
  source  = "terraform-aws-modules/sqs/aws"
  version = "~> 4.0"
  name    = "orders-in"
}

module "lambda_function" {
  source  = "terraform-aws-modules/lambda/aws"
  version = "~> 7.0"

  function_name = "orders-consumer"
  description   = "Consumes orders"
  handler       = "index.lambda_handler"
  runtime       = "python3.12"
  publish       = true
  source_path   = "${path.module}/src"
  tracing_mode  = "Active"

  attach_tracing_policy    = true
  attach_policy_statements = true
  policy_statements = {
    dynamodb = {
      effect    = "Allow"
      actions   = ["dynamodb:PutItem"]
      resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"]
    }
  }

  attach_policies    = true
  number_of_policies = 1
  policies           = ["arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"]

  event_source_mapping = {
    sqs = {
      event_source_arn = module.sqs.queue_arn
    }
  }

  allowed_triggers = {
    sqs = {
      service    = "sqs"
      source_arn = module.sqs.queue_arn
    }
  }

  assume_role_policy_statements = {
    account_root = {
      effect  = "Allow"
      actions = ["sts:AssumeRole"]
      principals = {
        account_principal = {
          type        = "AWS"
          identifiers = ["arn:aws:iam::123456789012:root"]
        }
      }
    }
  }
}
