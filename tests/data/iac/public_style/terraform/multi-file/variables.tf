variable "prefix" {
  type = string
}

variable "enabled" {
  type    = bool
  default = true
}

variable "fallback_role" {
  type    = string
  default = ""
}
