terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
    random = {
      source = "hashicorp/random"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      project = "greeter"
    }
  }
}

resource "random_pet" "bucket_name" {
  prefix = "greeter-functions"
  length = 4
}

resource "aws_s3_bucket" "code" {
  bucket = random_pet.bucket_name.id
}

data "archive_file" "greeter" {
  type        = "zip"
  source_dir  = "${path.module}/greeter"
  output_path = "${path.module}/greeter.zip"
}

resource "aws_s3_object" "greeter" {
  bucket = aws_s3_bucket.code.id
  key    = "greeter.zip"
  source = data.archive_file.greeter.output_path
  etag   = filemd5(data.archive_file.greeter.output_path)
}

resource "aws_lambda_function" "greeter" {
  function_name    = "Greeter"
  s3_bucket        = aws_s3_bucket.code.id
  s3_key           = aws_s3_object.greeter.key
  runtime          = "nodejs20.x"
  handler          = "hello.handler"
  source_code_hash = data.archive_file.greeter.output_base64sha256
  role             = aws_iam_role.lambda_exec.arn
}

resource "aws_cloudwatch_log_group" "greeter" {
  name              = "/aws/lambda/${aws_lambda_function.greeter.function_name}"
  retention_in_days = 30
}

resource "aws_iam_role" "lambda_exec" {
  name = "serverless_lambda"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Action = "sts:AssumeRole"
      Effect = "Allow"
      Sid    = ""
      Principal = {
        Service = "lambda.amazonaws.com"
      }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "lambda_policy" {
  role       = aws_iam_role.lambda_exec.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_apigatewayv2_api" "lambda" {
  name          = "serverless_lambda_gw"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "lambda" {
  api_id      = aws_apigatewayv2_api.lambda.id
  name        = "serverless_lambda_stage"
  auto_deploy = true
}

resource "aws_apigatewayv2_integration" "greeter" {
  api_id             = aws_apigatewayv2_api.lambda.id
  integration_uri    = aws_lambda_function.greeter.invoke_arn
  integration_type   = "AWS_PROXY"
  integration_method = "POST"
}

resource "aws_apigatewayv2_route" "greeter" {
  api_id    = aws_apigatewayv2_api.lambda.id
  route_key = "GET /hello"
  target    = "integrations/${aws_apigatewayv2_integration.greeter.id}"
}

resource "aws_lambda_permission" "api_gw" {
  statement_id  = "AllowExecutionFromAPIGateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.greeter.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.lambda.execution_arn}/*/*"
}
