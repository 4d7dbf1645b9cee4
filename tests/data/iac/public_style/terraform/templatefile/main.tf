variable "bucket" {
  type    = string
  default = "media-assets"
}

variable "env" {
  type = string
}

resource "aws_iam_role" "this" {
  name               = "assets-${var.env}"
  assume_role_policy = file("${path.module}/policies/trust.json")
}

resource "aws_iam_role_policy" "this" {
  name = "assets"
  role = aws_iam_role.this.id
  policy = templatefile("${path.module}/policies/assets.json.tpl", {
    bucket = var.bucket
    prefix = "public"
  })
}

resource "aws_lambda_function" "this" {
  function_name = "assets-${var.env}"
  role          = aws_iam_role.this.arn
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  filename      = "assets.zip"
  environment {
    variables = {
      BUCKET = var.bucket
    }
  }
}
