output "lambda_function_arn" {
  value = try(aws_lambda_function.this[0].arn, "")
}

output "lambda_function_name" {
  value = try(aws_lambda_function.this[0].function_name, "")
}

output "lambda_function_invoke_arn" {
  value = try(aws_lambda_function.this[0].invoke_arn, "")
}

output "lambda_role_arn" {
  value = try(aws_iam_role.lambda[0].arn, "")
}

output "lambda_role_name" {
  value = try(aws_iam_role.lambda[0].name, "")
}
