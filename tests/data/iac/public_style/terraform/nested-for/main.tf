variable "functions" {
  default = {
    alpha = { policies = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"], tables = ["a1", "a2"] }
    beta  = { policies = [], tables = ["b1"] }
  }
}

locals {
  attachments = { for pair in flatten([for fn, cfg in var.functions : [for p in cfg.policies : { fn = fn, arn = p }]]) : "${pair.fn}-${basename(pair.arn)}" => pair }
  table_arns  = { for fn, cfg in var.functions : fn => formatlist("arn:aws:dynamodb:us-east-1:123456789012:table/%s", cfg.tables) }
  combos      = setproduct(["x"], ["y", "z"])
}

resource "aws_iam_role" "fn" {
  for_each = var.functions
  name     = "svc-${each.key}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "extra" {
  for_each   = local.attachments
  role       = aws_iam_role.fn[each.value.fn].name
  policy_arn = each.value.arn
}

resource "aws_iam_role_policy" "tables" {
  for_each = var.functions
  role     = aws_iam_role.fn[each.key].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["dynamodb:GetItem"], Resource = local.table_arns[each.key] }]
  })
}

resource "aws_lambda_function" "fn" {
  for_each      = var.functions
  function_name = "svc-${each.key}"
  role          = aws_iam_role.fn[each.key].arn
  handler       = "h.h"
  runtime       = "python3.12"
  filename      = "f.zip"
  description   = "${length(local.combos)} ${endswith("abc", "c")} ${startswith("abc", "a")} ${trimprefix("xab", "x")}"
}
