variable "create" {
  type    = bool
  default = true
}

variable "create_role" {
  type    = bool
  default = true
}

variable "function_name" {
  type    = string
  default = ""
}

variable "role_name" {
  type    = string
  default = null
}

variable "lambda_role" {
  type    = string
  default = ""
}

variable "handler" {
  type    = string
  default = ""
}

variable "runtime" {
  type    = string
  default = ""
}

variable "timeout" {
  type    = number
  default = 3
}

variable "tags" {
  type    = map(string)
  default = {}
}

variable "attach_cloudwatch_logs_policy" {
  type    = bool
  default = true
}

variable "attach_policy_statements" {
  type    = bool
  default = false
}

variable "policy_statements" {
  type    = any
  default = {}
}

variable "attach_policies" {
  type    = bool
  default = false
}

variable "number_of_policies" {
  type    = number
  default = 0
}

variable "policies" {
  type    = list(string)
  default = []
}

variable "event_source_mapping" {
  type    = any
  default = {}
}
