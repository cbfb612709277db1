# Auto Scaling groups for the PHP workers outside Kubernetes: one on-demand,
# one all spot above an on-demand base.

resource "aws_launch_template" "app" {
  name_prefix            = "${var.name}-app-"
  image_id               = var.node_ami_id
  instance_type          = var.on_demand_instance_type
  vpc_security_group_ids = [aws_security_group.nodes.id]
  update_default_version = true

  # IMDSv2 only: a stolen-credentials request needs a session token.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = "${var.name}-app"
    }
  }
}

resource "aws_autoscaling_group" "on_demand" {
  name                = "${var.name}-app-on-demand"
  min_size            = var.on_demand_capacity.min
  max_size            = var.on_demand_capacity.max
  desired_capacity    = var.on_demand_capacity.desired
  vpc_zone_identifier = aws_subnet.private[*].id
  health_check_type   = "EC2"

  launch_template {
    id      = aws_launch_template.app.id
    version = "$Latest"
  }

  tag {
    key                 = "Name"
    value               = "${var.name}-app-on-demand"
    propagate_at_launch = true
  }
}

resource "aws_autoscaling_group" "spot" {
  name                = "${var.name}-app-spot"
  min_size            = var.spot_capacity.min
  max_size            = var.spot_capacity.max
  desired_capacity    = var.spot_capacity.desired
  vpc_zone_identifier = aws_subnet.private[*].id
  capacity_rebalance  = true

  mixed_instances_policy {
    instances_distribution {
      on_demand_base_capacity                  = 1
      on_demand_percentage_above_base_capacity = 0
      spot_allocation_strategy                 = "price-capacity-optimized"
    }

    launch_template {
      launch_template_specification {
        launch_template_id = aws_launch_template.app.id
        version            = "$Latest"
      }

      override {
        instance_type = var.spot_instance_types[0]
      }

      override {
        instance_type = var.spot_instance_types[1]
      }

      override {
        instance_type = var.spot_instance_types[2]
      }
    }
  }

  tag {
    key                 = "Name"
    value               = "${var.name}-app-spot"
    propagate_at_launch = true
  }
}
