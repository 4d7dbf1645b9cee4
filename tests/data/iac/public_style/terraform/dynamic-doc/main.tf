variable "statements" {
  type = map(object({
    actions   = list(string)
    resources = list(string)
  }))
  default = {
    read_table = {
      actions   = ["dynamodb:GetItem", "dynamodb:Query"]
      resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/catalog"]
    }
    publish = {
      actions   = ["sns:Publish"]
      resources = ["arn:aws:sns:us-east-1:123456789012:catalog-changes"]
    }
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "app" {
  dynamic "statement" {
    for_each = var.statements
    content {
      sid       = replace(statement.key, "_", "")
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:*:*:log-group:/aws/lambda/catalog:*"]
  }
}

resource "aws_iam_role" "catalog" {
  name               = "catalog-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_policy" "catalog" {
  name   = "catalog-access"
  policy = data.aws_iam_policy_document.app.json
}

resource "aws_iam_role_policy_attachment" "catalog" {
  role       = aws_iam_role.catalog.name
  policy_arn = aws_iam_policy.catalog.arn
}

resource "aws_lambda_function" "catalog" {
  function_name = "catalog"
  filename      = "catalog.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  role          = aws_iam_role.catalog.arn
}
