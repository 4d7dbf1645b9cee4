# iam-analyzer's stand-in for the registry module terraform-aws-modules/lambda/aws, read only when
# `terraform init` has not installed the real one: the function, its role and the policies the
# module's documented inputs attach (written here from the module's README, not copied from it).
# Inputs it does not model are listed by the reader as unresolved.

locals {
  create_role   = var.create && var.create_function && var.create_role
  role_name     = coalesce(var.role_name, var.function_name)
  log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/${var.function_name}"
  destinations  = compact([var.destination_on_failure, var.destination_on_success])
}

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_iam_role" "lambda" {
  count                = local.create_role ? 1 : 0
  name                 = local.role_name
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "logs" {
  count = local.create_role && var.attach_cloudwatch_logs_policy ? 1 : 0
  name  = "${local.role_name}-logs"
  role  = aws_iam_role.lambda[0].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = concat(var.use_existing_cloudwatch_log_group ? [] : ["logs:CreateLogGroup"], ["logs:CreateLogStream", "logs:PutLogEvents"])
      Resource = ["${local.log_group_arn}:*", "${local.log_group_arn}:*:*"]
    }]
  })
}

resource "aws_iam_role_policy" "dead_letter" {
  count = local.create_role && var.attach_dead_letter_policy ? 1 : 0
  name  = "${local.role_name}-dl"
  role  = aws_iam_role.lambda[0].name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["sns:Publish", "sqs:SendMessage"], Resource = var.dead_letter_target_arn }]
  })
}

resource "aws_iam_role_policy" "async" {
  count = local.create_role && var.attach_async_event_policy && length(local.destinations) > 0 ? 1 : 0
  name  = "${local.role_name}-async"
  role  = aws_iam_role.lambda[0].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["sns:Publish", "sqs:SendMessage", "events:PutEvents", "lambda:InvokeFunction"]
      Resource = local.destinations
    }]
  })
}

resource "aws_iam_role_policy_attachment" "tracing" {
  count      = local.create_role && var.attach_tracing_policy ? 1 : 0
  role       = aws_iam_role.lambda[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_iam_role_policy_attachment" "network" {
  count      = local.create_role && var.attach_network_policy ? 1 : 0
  role       = aws_iam_role.lambda[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"
}

resource "aws_iam_role_policy" "json" {
  count  = local.create_role && var.attach_policy_json ? 1 : 0
  name   = local.role_name
  role   = aws_iam_role.lambda[0].name
  policy = var.policy_json
}

resource "aws_iam_role_policy" "jsons" {
  count  = local.create_role && var.attach_policy_jsons ? var.number_of_policy_jsons : 0
  name   = "${local.role_name}-${count.index}"
  role   = aws_iam_role.lambda[0].name
  policy = var.policy_jsons[count.index]
}

resource "aws_iam_role_policy_attachment" "policy" {
  count      = local.create_role && var.attach_policy ? 1 : 0
  role       = aws_iam_role.lambda[0].name
  policy_arn = var.policy
}

resource "aws_iam_role_policy_attachment" "policies" {
  count      = local.create_role && var.attach_policies ? var.number_of_policies : 0
  role       = aws_iam_role.lambda[0].name
  policy_arn = var.policies[count.index]
}

data "aws_iam_policy_document" "statements" {
  count = local.create_role && var.attach_policy_statements ? 1 : 0

  dynamic "statement" {
    for_each = var.policy_statements
    content {
      effect        = try(statement.value.effect, null)
      actions       = try(statement.value.actions, null)
      not_actions   = try(statement.value.not_actions, null)
      resources     = try(statement.value.resources, null)
      not_resources = try(statement.value.not_resources, null)

      dynamic "principals" {
        for_each = try(statement.value.principals, [])
        content {
          type        = principals.value.type
          identifiers = principals.value.identifiers
        }
      }

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

resource "aws_iam_role_policy" "statements" {
  count  = local.create_role && var.attach_policy_statements ? 1 : 0
  name   = "${local.role_name}-inline"
  role   = aws_iam_role.lambda[0].name
  policy = data.aws_iam_policy_document.statements[0].json
}

resource "aws_lambda_function" "this" {
  count         = var.create && var.create_function ? 1 : 0
  function_name = var.function_name
  description   = var.description
  handler       = var.handler
  runtime       = var.runtime
  memory_size   = var.memory_size
  timeout       = var.timeout
  package_type  = var.package_type
  image_uri     = var.image_uri
  layers        = var.layers
  kms_key_arn   = var.kms_key_arn
  role          = local.create_role ? aws_iam_role.lambda[0].arn : var.lambda_role
  filename      = "${path.module}/stand-in.zip"

  dynamic "environment" {
    for_each = length(keys(var.environment_variables)) == 0 ? [] : [true]
    content {
      variables = var.environment_variables
    }
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_target_arn == null ? [] : [true]
    content {
      target_arn = var.dead_letter_target_arn
    }
  }

  dynamic "tracing_config" {
    for_each = var.tracing_mode == null ? [] : [true]
    content {
      mode = var.tracing_mode
    }
  }

  dynamic "vpc_config" {
    for_each = var.vpc_subnet_ids != null && var.vpc_security_group_ids != null ? [true] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }
}

resource "aws_lambda_event_source_mapping" "this" {
  for_each          = { for k, v in var.event_source_mapping : k => v if var.create && var.create_function }
  function_name     = aws_lambda_function.this[0].arn
  event_source_arn  = try(each.value.event_source_arn, null)
  batch_size        = try(each.value.batch_size, null)
  starting_position = try(each.value.starting_position, null)
}

resource "aws_lambda_permission" "triggers" {
  for_each      = { for k, v in var.allowed_triggers : k => v if var.create && var.create_function }
  function_name = aws_lambda_function.this[0].function_name
  statement_id  = try(each.value.statement_id, each.key)
  action        = try(each.value.action, "lambda:InvokeFunction")
  principal     = try(each.value.principal, format("%s.amazonaws.com", try(each.value.service, "")))
  source_arn    = try(each.value.source_arn, null)
}

resource "aws_lambda_function_url" "this" {
  count              = var.create && var.create_function && var.create_lambda_function_url ? 1 : 0
  function_name      = aws_lambda_function.this[0].function_name
  authorization_type = var.authorization_type
}
