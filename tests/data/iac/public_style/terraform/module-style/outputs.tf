output "lambda_function_arn" {
  value = try(aws_lambda_function.this[0].arn, "")
}

output "lambda_role_name" {
  value = try(aws_iam_role.lambda[0].name, "")
}
