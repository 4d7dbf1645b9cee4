locals {
  prefix = "billing-${terraform.workspace}"
  functions = {
    invoice = {
      handler = "invoice.handler"
      actions = ["dynamodb:PutItem"]
      table   = "invoices"
    }
    refund = {
      handler = "refund.handler"
      actions = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
      table   = "payments"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

resource "aws_iam_role" "fn" {
  for_each = local.functions
  name     = "${local.prefix}-${each.key}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "fn" {
  for_each = local.functions
  name     = "table-access"
  role     = aws_iam_role.fn[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = each.value.actions
        Resource = "arn:aws:dynamodb:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:table/${each.value.table}"
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "logs" {
  for_each   = aws_iam_role.fn
  role       = each.value.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "fn" {
  for_each      = local.functions
  function_name = "${local.prefix}-${each.key}"
  handler       = each.value.handler
  runtime       = "python3.12"
  filename      = "${path.module}/build/${each.key}.zip"
  role          = aws_iam_role.fn[each.key].arn
}
