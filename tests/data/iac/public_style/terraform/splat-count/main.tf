variable "shards" {
  type    = list(string)
  default = ["eu", "us"]
}

resource "aws_dynamodb_table" "shard" {
  count        = length(var.shards)
  name         = "sessions-${var.shards[count.index]}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
}

resource "aws_iam_role" "sessions" {
  name = "sessions"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "sessions" {
  role = aws_iam_role.sessions.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:PutItem"]
      Resource = aws_dynamodb_table.shard[*].arn
    }]
  })
}

resource "aws_lambda_function" "sessions" {
  count         = 2
  function_name = "sessions-${count.index}"
  role          = aws_iam_role.sessions.arn
  handler       = "s.handler"
  runtime       = "python3.12"
  filename      = "s.zip"
  depends_on    = [aws_iam_role_policy.sessions]
}
