# Kubernetes secrets are encrypted with a key of the stack's own.
resource "aws_kms_key" "eks" {
  description             = "${var.name}-eks secrets"
  deletion_window_in_days = 30
  enable_key_rotation     = true
}

resource "aws_kms_alias" "eks" {
  name          = "alias/${var.name}-eks"
  target_key_id = aws_kms_key.eks.key_id
}

# EKS writes its control-plane logs here; made first, so their retention
# is the stack's rather than "never expire".
resource "aws_cloudwatch_log_group" "eks" {
  name              = "/aws/eks/${var.name}-eks/cluster"
  retention_in_days = 30
}

resource "aws_eks_cluster" "main" {
  name     = "${var.name}-eks"
  role_arn = aws_iam_role.cluster.arn
  version  = var.cluster_version

  enabled_cluster_log_types = ["api", "audit", "authenticator"]

  encryption_config {
    resources = ["secrets"]

    provider {
      key_arn = aws_kms_key.eks.arn
    }
  }

  vpc_config {
    subnet_ids              = aws_subnet.private[*].id
    security_group_ids      = [aws_security_group.cluster.id]
    endpoint_private_access = true
    endpoint_public_access  = true
    public_access_cidrs     = var.cluster_api_cidrs
  }

  timeouts {
    create = "30m"
    delete = "15m"
  }

  depends_on = [aws_iam_role_policy_attachment.cluster, aws_cloudwatch_log_group.eks]
}

resource "aws_eks_node_group" "on_demand" {
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = "${var.name}-on-demand"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = aws_subnet.private[*].id
  capacity_type   = "ON_DEMAND"
  instance_types  = [var.on_demand_instance_type]

  scaling_config {
    min_size     = var.on_demand_capacity.min
    desired_size = var.on_demand_capacity.desired
    max_size     = var.on_demand_capacity.max
  }

  labels = {
    capacity = "on-demand"
  }

  depends_on = [aws_iam_role_policy_attachment.node]
}

resource "aws_eks_node_group" "spot" {
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = "${var.name}-spot"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = aws_subnet.private[*].id
  capacity_type   = "SPOT"
  instance_types  = var.spot_instance_types

  scaling_config {
    min_size     = var.spot_capacity.min
    desired_size = var.spot_capacity.desired
    max_size     = var.spot_capacity.max
  }

  labels = {
    capacity = "spot"
  }

  depends_on = [aws_iam_role_policy_attachment.node]
}
