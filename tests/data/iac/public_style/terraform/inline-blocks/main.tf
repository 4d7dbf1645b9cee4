resource "aws_iam_role" "mailer" {
  name = "mailer"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
  managed_policy_arns = [
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
  ]

  inline_policy {
    name = "send"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Action    = ["ses:SendEmail", "ses:SendRawEmail"]
        Resource  = "*"
        Condition = { StringEquals = { "ses:FromAddress" = "noreply@example.com" } }
      }]
    })
  }

  inline_policy {
    name = "templates"
    policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::mail-templates/*" }]
    })
  }
}

resource "aws_lambda_function" "mailer" {
  function_name = "mailer"
  role          = aws_iam_role.mailer.arn
  handler       = "mailer.handler"
  runtime       = "python3.12"
  filename      = "mailer.zip"
}
