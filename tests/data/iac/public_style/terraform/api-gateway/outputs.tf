output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.greeter.function_name
}

output "base_url" {
  value = aws_apigatewayv2_stage.lambda.invoke_url
}
