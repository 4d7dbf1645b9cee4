variable "execution_role_arn" {
  type        = string
  description = "Role made by the platform team"
}

variable "create" {
  type    = bool
  default = true
}

resource "aws_lambda_function" "probe" {
  count         = var.create ? 1 : 0
  function_name = "health-probe"
  role          = var.execution_role_arn
  handler       = "probe.handler"
  runtime       = "nodejs20.x"
  filename      = "probe.zip"
}
