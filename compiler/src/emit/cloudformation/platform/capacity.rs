//! EC2 capacity for target `ecs`: ECS-optimized Amazon Linux 2023 instances (the arm64 image on
//! Graviton instance types) in an Auto Scaling group, scaled by an ECS capacity provider that is
//! the cluster's default.

use serde_json::Value;

use crate::emit::literal::value;

use super::{Cluster, Network, SecurityGroups, depends_on, export, named_tags, workspace_tags};
use crate::emit::cloudformation::{Context, Template, attribute, exports, reference};
use crate::instance_types::Architecture;

const ROLE: &str = "InstanceRole";
const PROFILE: &str = "InstanceProfile";
const LAUNCH_TEMPLATE: &str = "LaunchTemplate";
const GROUP: &str = "AutoScalingGroup";
const PROVIDER: &str = "ClusterCapacityProvider";

/// The current ECS-optimized Amazon Linux 2023 AMI for x86-64, resolved at each deploy.
const IMAGE: &str =
    "{{resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id}}";
/// The same for arm64 (Graviton).
const ARM_IMAGE: &str =
    "{{resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id}}";

/// The instance role and profile, launch template, Auto Scaling group, capacity provider and
/// its association with the cluster.
pub(super) fn capacity(
    context: &Context<'_>,
    template: &mut Template,
    network: &Network,
    groups: &SecurityGroups,
    cluster: &Cluster,
) {
    let capacity = &context.workspace.ecs;
    template.resource(
        ROLE,
        "AWS::IAM::Role",
        value!({
            "RoleName": context.naming.platform_role("instance"),
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "ec2.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                }],
            },
            "ManagedPolicyArns": [{
                "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
            }],
            "Tags": workspace_tags(context),
        }),
    );
    template.resource(
        PROFILE,
        "AWS::IAM::InstanceProfile",
        value!({ "Roles": [reference(ROLE)] }),
    );
    let instance_tags = named_tags(context, &context.naming.prefix());
    // Tasks must not borrow the instance role: one metadata hop keeps bridge-mode containers
    // out, and the agent blocks metadata for awsvpc tasks.
    let user_data = format!(
        "#!/bin/bash\necho ECS_CLUSTER=${{{}}} >> /etc/ecs/ecs.config\necho ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config\n",
        cluster.id
    );
    let mut data = value!({
        "ImageId": match context.architecture {
            Architecture::X86_64 => IMAGE,
            Architecture::Arm64 => ARM_IMAGE,
        },
        "InstanceType": &capacity.instance_type.value,
        "IamInstanceProfile": { "Arn": attribute(PROFILE, "Arn") },
        "MetadataOptions": {
            "HttpEndpoint": "enabled",
            "HttpTokens": "required",
            "HttpPutResponseHopLimit": 1,
        },
        "BlockDeviceMappings": [{
            "DeviceName": "/dev/xvda",
            "Ebs": { "Encrypted": true, "VolumeType": "gp3", "DeleteOnTermination": true },
        }],
        "UserData": { "Fn::Base64": { "Fn::Sub": user_data } },
        "TagSpecifications": [
            { "ResourceType": "instance", "Tags": &instance_tags },
            { "ResourceType": "volume", "Tags": instance_tags },
        ],
    });
    let interface = if context.assign_public_ip {
        // Without NAT the instances need a public address to reach ECS and the registries.
        value!({ "NetworkInterfaces": [{
            "DeviceIndex": 0,
            "AssociatePublicIpAddress": true,
            "Groups": [groups.workload.clone()],
        }] })
    } else {
        value!({ "SecurityGroupIds": [groups.workload.clone()] })
    };
    if let (Some(target), Value::Object(extra)) = (data.as_object_mut(), interface) {
        target.extend(extra);
    }
    template.resource(
        LAUNCH_TEMPLATE,
        "AWS::EC2::LaunchTemplate",
        value!({
            "LaunchTemplateData": data,
            "TagSpecifications": [{ "ResourceType": "launch-template", "Tags": workspace_tags(context) }],
        }),
    );
    let group_tags: Vec<Value> = match workspace_tags(context) {
        Value::Array(tags) => tags
            .into_iter()
            .map(|mut tag| {
                if let Some(tag) = tag.as_object_mut() {
                    tag.insert("PropagateAtLaunch".into(), value!(false));
                }
                tag
            })
            .collect(),
        _ => Vec::new(),
    };
    template.resource_with(
        GROUP,
        "AWS::AutoScaling::AutoScalingGroup",
        value!({
            "MinSize": capacity.min.to_string(),
            "MaxSize": capacity.max.to_string(),
            "VPCZoneIdentifier": &network.workload_subnets,
            "LaunchTemplate": {
                "LaunchTemplateId": reference(LAUNCH_TEMPLATE),
                "Version": attribute(LAUNCH_TEMPLATE, "LatestVersionNumber"),
            },
            "NewInstancesProtectedFromScaleIn": false,
            "Tags": group_tags,
        }),
        // Instances start once they can reach ECS, and stop before their route goes.
        depends_on(network.workload_routes.iter()),
    );
    template.resource(
        PROVIDER,
        "AWS::ECS::CapacityProvider",
        value!({
            "AutoScalingGroupProvider": {
                "AutoScalingGroupArn": reference(GROUP),
                "ManagedScaling": { "Status": "ENABLED", "TargetCapacity": 100 },
                "ManagedTerminationProtection": "DISABLED",
                "ManagedDraining": "ENABLED",
            },
            "Tags": workspace_tags(context),
        }),
    );
    template.resource(
        "ClusterCapacityProviderAssociations",
        "AWS::ECS::ClusterCapacityProviderAssociations",
        value!({
            "Cluster": reference(&cluster.id),
            "CapacityProviders": [reference(PROVIDER)],
            "DefaultCapacityProviderStrategy": [
                { "CapacityProvider": reference(PROVIDER), "Base": 0, "Weight": 1 },
            ],
        }),
    );
    export(
        context,
        template,
        exports::CAPACITY_PROVIDER,
        reference(PROVIDER),
    );
}
