data "aws_iam_policy" "basic" {
  name = "AWSLambdaBasicExecutionRole"
}

data "aws_iam_policy" "vpc" {
  arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

data "aws_iam_policy" "team_boundary" {
  name = "team-boundary"
}

resource "aws_iam_role" "db" {
  name                 = "db-migrator"
  permissions_boundary = data.aws_iam_policy.team_boundary.arn
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "basic" {
  role       = aws_iam_role.db.name
  policy_arn = data.aws_iam_policy.basic.arn
}

resource "aws_iam_role_policy_attachment" "vpc" {
  role       = aws_iam_role.db.name
  policy_arn = data.aws_iam_policy.vpc.arn
}

resource "aws_iam_role_policy" "secret" {
  role = aws_iam_role.db.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-*" }]
  })
}

resource "aws_lambda_function" "db" {
  function_name = "db-migrator"
  role          = aws_iam_role.db.arn
  handler       = "m.handler"
  runtime       = "python3.12"
  filename      = "m.zip"
  vpc_config {
    subnet_ids         = ["subnet-0abc", "subnet-0def"]
    security_group_ids = ["sg-0123"]
  }
}
