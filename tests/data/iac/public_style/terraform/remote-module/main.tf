module "image_resizer" {
  source  = "terraform-aws-modules/lambda/aws"
  version = "~> 7.0"

  function_name = "image-resizer"
  handler       = "index.handler"
  runtime       = "nodejs20.x"
}

resource "aws_iam_role" "audit" {
  name = "audit-trail-reader"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "audit" {
  role = aws_iam_role.audit.id
  policy = templatefile("${path.module}/templates/audit.json.tftpl", {
    buckets = ["trail-a", "trail-b"]
  })
}

resource "aws_lambda_function" "audit" {
  function_name = "audit-trail-reader"
  role          = aws_iam_role.audit.arn
  handler       = "a.handler"
  runtime       = "python3.12"
  filename      = "a.zip"
  environment {
    variables = {
      RESIZER = module.image_resizer.lambda_function_arn
    }
  }
}
