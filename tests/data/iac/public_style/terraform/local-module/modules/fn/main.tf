variable "name" {
  type = string
}

variable "actions" {
  type = list(string)
}

variable "arns" {
  type = list(string)
}

resource "aws_iam_role" "this" {
  name = "${var.name}-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "this" {
  role = aws_iam_role.this.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = var.actions, Resource = var.arns }]
  })
}

resource "aws_lambda_function" "this" {
  function_name = var.name
  role          = aws_iam_role.this.arn
  handler       = "main.handler"
  runtime       = "python3.12"
  filename      = "${path.module}/${var.name}.zip"
}

output "role_name" {
  value = aws_iam_role.this.name
}

output "function_arn" {
  value = aws_lambda_function.this.arn
}
