variable "name" {
  description = "Name prefix for every object"
  type        = string
  default     = "shop"
}

variable "region" {
  description = "AWS region"
  type        = string
  default     = "us-east-1"
}

variable "vpc_cidr" {
  description = "The VPC's address range"
  type        = string
  default     = "10.20.0.0/16"
}

variable "az_count" {
  description = "How many availability zones to spread over"
  type        = number
  default     = 3
}

variable "domain" {
  description = "The public DNS zone the application is served under"
  type        = string
  default     = "shop.example.com"
}

variable "cluster_api_cidrs" {
  description = "Where the Kubernetes API may be reached from over the internet: the operators' and CI's ranges"
  type        = list(string)
  default     = ["198.51.100.0/24"]
}

variable "cluster_version" {
  description = "Kubernetes version of the EKS cluster"
  type        = string
  default     = "1.30"
}

variable "node_ami_id" {
  description = "AMI for the Auto Scaling groups' instances"
  type        = string
  default     = "ami-04681a1dbd79675a5"
}

variable "on_demand_instance_type" {
  description = "Instance type of the on-demand capacity"
  type        = string
  default     = "m5.large"
}

variable "spot_instance_types" {
  description = "Instance types the spot capacity may use"
  type        = list(string)
  default     = ["m5.large", "m5a.large", "m6i.large"]
}

variable "on_demand_capacity" {
  description = "Size of the on-demand Auto Scaling group and node group"
  type        = object({ min = number, desired = number, max = number })
  default     = { min = 2, desired = 3, max = 6 }
}

variable "spot_capacity" {
  description = "Size of the spot Auto Scaling group and node group"
  type        = object({ min = number, desired = number, max = number })
  default     = { min = 0, desired = 3, max = 12 }
}
