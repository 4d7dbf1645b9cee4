resource "aws_iam_role" "etl" {
  name = "etl-runner"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_policy" "glue" {
  name        = "etl-glue"
  description = "Start and watch the nightly jobs"
  policy      = <<EOT
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["glue:StartJobRun", "glue:GetJobRun"],
      "Resource": "arn:aws:glue:us-east-1:123456789012:job/nightly-*"
    }
  ]
}
EOT  
}

resource "aws_iam_policy_attachment" "glue" {
  name       = "etl-glue"
  roles      = [aws_iam_role.etl.name]
  policy_arn = aws_iam_policy.glue.arn
}

resource "aws_lambda_function" "etl" {
  function_name = "etl-runner"
  role          = aws_iam_role.etl.arn
  handler       = "etl.handler"
  runtime       = "python3.12"
  filename      = "etl.zip"
}
