resource "aws_iam_role" "reports" {
  count              = var.enable_reports ? 1 : 0
  name               = "${local.prefix}-reports"
  assume_role_policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"Service": "lambda.amazonaws.com"},
      "Action": "sts:AssumeRole"
    }
  ]
}
EOF   
  inline_policy {
    name   = "reports"
    policy = templatefile("${path.module}/policies/reports.json.tpl", { table_arn = local.table_arn, bucket = aws_s3_bucket.uploads.arn })
  }
  managed_policy_arns = ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
}

resource "aws_lambda_function" "reports" {
  count         = var.enable_reports ? 1 : 0
  function_name = "${local.prefix}-reports"
  role          = aws_iam_role.reports[0].arn
  handler       = "reports.handler"
  runtime       = "python3.12"
}

resource "aws_cloudwatch_event_rule" "nightly" {
  name                = "${local.prefix}-nightly"
  schedule_expression = "cron(0 3 * * ? *)"
}

resource "aws_cloudwatch_event_target" "nightly" {
  count = length(aws_lambda_function.reports)
  rule  = aws_cloudwatch_event_rule.nightly.name
  arn   = aws_lambda_function.reports[count.index].arn
}

resource "aws_iam_policy" "stream" {
  name   = "${local.prefix}-stream"
  policy = file("${path.module}/policies/stream.json")
}

resource "aws_iam_role_policy_attachment" "reports_stream" {
  role       = aws_iam_role.reports[0].name
  policy_arn = aws_iam_policy.stream.arn
}

resource "aws_lambda_event_source_mapping" "orders_stream" {
  event_source_arn  = aws_dynamodb_table.orders.stream_arn
  function_name     = aws_lambda_function.reports[0].arn
  starting_position = "LATEST"
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  lambda_function {
    lambda_function_arn = aws_lambda_function.reports[0].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "incoming/"
  }
}

resource "aws_sns_topic_subscription" "reports" {
  topic_arn = aws_sns_topic.events.arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.reports[0].arn
}
