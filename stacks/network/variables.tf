variable "region" {
  description = "AWS region to build the network in"
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix for every object's Name tag"
  type        = string
  default     = "demo"
}

variable "vpc_cidr" {
  description = "The VPC's address range; subnets are /24s carved from it"
  type        = string
  default     = "10.0.0.0/16"
}

variable "az_count" {
  description = "How many availability zones to spread over"
  type        = number
  default     = 3
}
