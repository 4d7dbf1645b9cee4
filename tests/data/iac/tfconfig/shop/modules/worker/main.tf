variable "name" { type = string }
variable "queue" { type = string }
variable "timeout" {
  type    = number
  default = 10
}
variable "table_arn" { type = string }
variable "bucket" { type = string }

resource "aws_sqs_queue" "this" {
  name                       = var.queue
  visibility_timeout_seconds = var.timeout * 6
}

resource "aws_iam_role" "this" {
  name = "${var.name}-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "this" {
  name = "worker"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
        Resource = aws_sqs_queue.this.arn
      }],
      [for a in ["dynamodb:PutItem", "dynamodb:UpdateItem"] : {
        Effect   = "Allow"
        Action   = a
        Resource = var.table_arn
      }]
    )
  })
}

resource "aws_lambda_function" "this" {
  function_name = var.name
  role          = aws_iam_role.this.arn
  handler       = "worker.handler"
  runtime       = "nodejs20.x"
  timeout       = var.timeout
  environment {
    variables = {
      QUEUE_URL = aws_sqs_queue.this.url
      BUCKET    = var.bucket
    }
  }
}

resource "aws_lambda_event_source_mapping" "queue" {
  event_source_arn = aws_sqs_queue.this.arn
  function_name    = aws_lambda_function.this.arn
  batch_size       = 5
}

output "function_arn" {
  value = aws_lambda_function.this.arn
}
