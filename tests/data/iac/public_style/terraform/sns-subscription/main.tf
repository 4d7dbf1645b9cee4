resource "aws_sns_topic" "alerts" {
  name = "ops-alerts"
}

resource "aws_iam_role" "pager" {
  name = "pager"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "pager_logs" {
  role       = aws_iam_role.pager.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "pager" {
  role = aws_iam_role.pager.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "secretsmanager:GetSecretValue"
      Resource = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pager-token-*"
    }]
  })
}

resource "aws_lambda_function" "pager" {
  function_name = "pager"
  role          = aws_iam_role.pager.arn
  handler       = "pager.handler"
  runtime       = "python3.12"
  filename      = "pager.zip"
}

resource "aws_sns_topic_subscription" "pager" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.pager.arn
}

resource "aws_lambda_permission" "sns" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.pager.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.alerts.arn
}
