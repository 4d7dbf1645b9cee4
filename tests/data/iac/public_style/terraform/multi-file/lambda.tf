resource "aws_kinesis_stream" "events" {
  name        = "${var.prefix}-events"
  shard_count = 1
}

resource "aws_lambda_function" "worker" {
  count         = var.enabled ? 1 : 0
  function_name = "${var.prefix}-worker"
  role          = try(aws_iam_role.worker[0].arn, var.fallback_role)
  handler       = "w.handler"
  runtime       = "python3.12"
  filename      = "w.zip"
}
