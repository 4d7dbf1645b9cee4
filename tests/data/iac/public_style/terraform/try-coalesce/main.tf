variable "table_name" {
  type    = string
  default = ""
}

variable "enable_writes" {
  type    = bool
  default = true
}

variable "settings" {
  type    = any
  default = {}
}

locals {
  table   = coalesce(var.table_name, "orders")
  bucket  = try(var.settings.bucket, "orders-exports")
  reads   = ["dynamodb:GetItem", "dynamodb:Query"]
  writes  = var.enable_writes ? ["dynamodb:PutItem", "dynamodb:DeleteItem"] : []
  actions = concat(local.reads, local.writes)
}

resource "aws_iam_role" "orders" {
  name = "orders-fn"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "orders" {
  role = aws_iam_role.orders.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = local.actions, Resource = "arn:aws:dynamodb:us-east-1:123456789012:table/${local.table}" },
      { Effect = "Allow", Action = ["s3:PutObject"], Resource = "arn:aws:s3:::${local.bucket}/*" },
    ]
  })
}

resource "aws_lambda_function" "orders" {
  function_name = "orders"
  role          = aws_iam_role.orders.arn
  handler       = "orders.handler"
  runtime       = "nodejs20.x"
  filename      = "orders.zip"
  tracing_config {
    mode = var.enable_writes ? "Active" : "PassThrough"
  }
}
