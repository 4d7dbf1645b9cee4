locals {
  fns = {
    thumbs = { handler = "t.handler", actions = ["s3:GetObject"] }
    mails  = { handler = "m.handler", actions = ["ses:SendEmail"] }
  }
}

module "fn" {
  for_each = local.fns
  source   = "registry.terraform.io/terraform-aws-modules/lambda/aws"
  version  = "7.2.0"

  function_name = "app-${each.key}"
  handler       = each.value.handler
  runtime       = "python3.12"
  create_package         = false
  local_existing_package = "${path.module}/dist/${each.key}.zip"

  attach_policy_statements = true
  policy_statements = {
    main = { effect = "Allow", actions = each.value.actions, resources = ["*"] }
  }
  vpc_subnet_ids         = ["subnet-1"]
  vpc_security_group_ids = ["sg-1"]
  attach_network_policy  = true
}

module "alias" {
  source        = "terraform-aws-modules/lambda/aws//modules/alias"
  function_name = module.fn["thumbs"].lambda_function_name
  name          = "live"
}
