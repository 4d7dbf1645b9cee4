locals {
  create_role = var.create && var.create_role
  role_name   = coalesce(var.role_name, var.function_name)
  log_group   = "/aws/lambda/${var.function_name}"
}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume_role" {
  count = local.create_role ? 1 : 0

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  count              = local.create_role ? 1 : 0
  name               = local.role_name
  assume_role_policy = data.aws_iam_policy_document.assume_role[0].json
  tags               = var.tags
}

data "aws_iam_policy_document" "logs" {
  count = local.create_role && var.attach_cloudwatch_logs_policy ? 1 : 0

  statement {
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${data.aws_partition.current.partition}:logs:*:*:log-group:${local.log_group}:*"]
  }
}

resource "aws_iam_policy" "logs" {
  count  = local.create_role && var.attach_cloudwatch_logs_policy ? 1 : 0
  name   = "${local.role_name}-logs"
  policy = data.aws_iam_policy_document.logs[0].json
}

resource "aws_iam_role_policy_attachment" "logs" {
  count      = local.create_role && var.attach_cloudwatch_logs_policy ? 1 : 0
  role       = aws_iam_role.lambda[0].name
  policy_arn = aws_iam_policy.logs[0].arn
}

data "aws_iam_policy_document" "additional_inline" {
  count = local.create_role && var.attach_policy_statements ? 1 : 0

  dynamic "statement" {
    for_each = var.policy_statements

    content {
      sid           = try(statement.value.sid, replace(statement.key, "/[^0-9A-Za-z]*/", ""))
      effect        = try(statement.value.effect, null)
      actions       = try(statement.value.actions, null)
      not_actions   = try(statement.value.not_actions, null)
      resources     = try(statement.value.resources, null)
      not_resources = try(statement.value.not_resources, null)

      dynamic "condition" {
        for_each = try(statement.value.condition, [])
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_policy" "additional_inline" {
  count  = local.create_role && var.attach_policy_statements ? 1 : 0
  name   = "${local.role_name}-inline"
  policy = data.aws_iam_policy_document.additional_inline[0].json
}

resource "aws_iam_role_policy_attachment" "additional_inline" {
  count      = local.create_role && var.attach_policy_statements ? 1 : 0
  role       = aws_iam_role.lambda[0].name
  policy_arn = aws_iam_policy.additional_inline[0].arn
}

resource "aws_iam_role_policy_attachment" "additional_many" {
  count      = local.create_role && var.attach_policies ? var.number_of_policies : 0
  role       = aws_iam_role.lambda[0].name
  policy_arn = var.policies[count.index]
}

resource "aws_lambda_function" "this" {
  count         = var.create ? 1 : 0
  function_name = var.function_name
  handler       = var.handler
  runtime       = var.runtime
  role          = local.create_role ? aws_iam_role.lambda[0].arn : var.lambda_role
  filename      = "${path.module}/src/package.zip"
  timeout       = var.timeout
}

resource "aws_lambda_event_source_mapping" "this" {
  for_each         = { for k, v in var.event_source_mapping : k => v if var.create }
  function_name    = aws_lambda_function.this[0].arn
  event_source_arn = try(each.value.event_source_arn, null)
  batch_size       = try(each.value.batch_size, null)
}
