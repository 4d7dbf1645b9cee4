variable "account_id" {
  type    = string
  default = "123456789012"
}

locals {
  name = format("%s-%s", "cleanup", "nightly")
}

resource "aws_iam_role" "cleanup" {
  name = local.name
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "cleanup" {
  role = aws_iam_role.cleanup.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["ec2:DescribeSnapshots", "ec2:DeleteSnapshot"]
      Resource = "*"
    }, {
      Effect   = "Allow"
      Action   = ["sns:Publish"]
      Resource = format("arn:aws:sns:us-east-1:%s:%s", var.account_id, "cleanup-report")
    }]
  })
}

resource "aws_lambda_function" "cleanup" {
  function_name = local.name
  role          = aws_iam_role.cleanup.arn
  handler       = "c.handler"
  runtime       = "python3.12"
  filename      = "c.zip"
}

resource "aws_cloudwatch_event_rule" "nightly" {
  name                = "cleanup-nightly"
  schedule_expression = "cron(0 3 * * ? *)"
}

resource "aws_cloudwatch_event_target" "nightly" {
  rule = aws_cloudwatch_event_rule.nightly.name
  arn  = aws_lambda_function.cleanup.arn
}

resource "aws_lambda_permission" "events" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.cleanup.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.nightly.arn
}
