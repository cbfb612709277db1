# Disaster recovery: a standby network kept in a second region, built from
# the module in modules/standby-network through the provider alias aws.dr.
# Off by default; `--var standby=true` keeps it. See
# docs/disaster-recovery.md for failing over and for rebuilding the whole
# environment in another region or account.

variable "standby" {
  description = "Keep a standby network in dr_region"
  type        = bool
  default     = false
}

variable "dr_region" {
  description = "The region of the standby network"
  type        = string
  default     = "us-west-2"
}

variable "dr_vpc_cidr" {
  description = "The standby VPC's address range (apart from vpc_cidr, so the two can be peered)"
  type        = string
  default     = "10.21.0.0/16"
}

provider "aws" {
  alias  = "dr"
  region = var.dr_region

  default_tags {
    tags = {
      Project     = var.name
      Environment = "standby"
      ManagedBy   = "terrane"
    }
  }
}

module "standby_network" {
  source = "./modules/standby-network"
  count  = var.standby ? 1 : 0

  providers = {
    aws = aws.dr
  }

  name     = "${var.name}-standby"
  vpc_cidr = var.dr_vpc_cidr
  az_count = var.az_count
}

output "standby_vpc_id" {
  value = one(module.standby_network[*].vpc_id)
}
