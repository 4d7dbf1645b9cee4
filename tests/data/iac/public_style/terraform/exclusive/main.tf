resource "aws_iam_role" "gate" {
  name = "gatekeeper"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "tokens" {
  name = "tokens"
  role = aws_iam_role.gate.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["kms:Sign", "kms:GetPublicKey"], Resource = "arn:aws:kms:us-east-1:123456789012:key/abcd-1234" }]
  })
}

resource "aws_iam_role_policies_exclusive" "gate" {
  role_name    = aws_iam_role.gate.name
  policy_names = [aws_iam_role_policy.tokens.name]
}

resource "aws_iam_role_policy_attachments_exclusive" "gate" {
  role_name   = aws_iam_role.gate.name
  policy_arns = ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
}

resource "aws_lambda_function" "gate" {
  function_name = "gatekeeper"
  role          = aws_iam_role.gate.arn
  handler       = "g.handler"
  runtime       = "nodejs20.x"
  filename      = "g.zip"
}

resource "aws_lambda_function_url" "gate" {
  function_name      = aws_lambda_function.gate.function_name
  authorization_type = "AWS_IAM"
}
