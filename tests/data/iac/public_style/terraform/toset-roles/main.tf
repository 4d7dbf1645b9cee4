locals {
  env = {
    LOG_LEVEL = "info"
  }
  queues = toset(["emails", "texts"])
  extra  = { emails = ["ses:SendEmail"], texts = ["sns:Publish"] }
}

resource "aws_sqs_queue" "q" {
  for_each = local.queues
  name     = "notify-${each.value}"
}

resource "aws_iam_role" "sender" {
  for_each = local.queues
  name     = "notify-${each.key}-sender"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = {
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }
  })

  dynamic "inline_policy" {
    for_each = [each.key]
    content {
      name = "send-${inline_policy.value}"
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = {
          Effect   = "Allow"
          Action   = concat(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], lookup(local.extra, each.key, []))
          Resource = "*"
        }
      })
    }
  }
}

resource "aws_lambda_function" "sender" {
  for_each      = local.queues
  function_name = "notify-${each.key}"
  role          = aws_iam_role.sender[each.key].arn
  handler       = "send.handler"
  runtime       = "python3.12"
  filename      = "send.zip"
  environment {
    variables = merge(local.env, { QUEUE = aws_sqs_queue.q[each.key].url })
  }
}

resource "aws_lambda_event_source_mapping" "sender" {
  for_each         = local.queues
  event_source_arn = aws_sqs_queue.q[each.key].arn
  function_name    = aws_lambda_function.sender[each.key].function_name
}
