// The AWS CDK app berth is compared with: the shape of a generated berth workspace on Fargate
// (a VPC, a cluster, one shared load balancer, and N services with a task definition, secrets,
// logs, health checks and CPU autoscaling; 90 of them routed by path), synthesised to a cloud
// assembly in OUT. Run by peers.sh; never committed output.
const cdk = require('aws-cdk-lib');
const ec2 = require('aws-cdk-lib/aws-ec2');
const ecs = require('aws-cdk-lib/aws-ecs');
const elbv2 = require('aws-cdk-lib/aws-elasticloadbalancingv2');
const logs = require('aws-cdk-lib/aws-logs');
const ssm = require('aws-cdk-lib/aws-ssm');

const count = Number(process.env.N || '10');
const app = new cdk.App({ outdir: process.env.OUT || 'cdk.out' });
const env = { account: '123456789012', region: 'eu-west-1' };
const platform = new cdk.Stack(app, 'gen-platform', { env });
const vpc = new ec2.Vpc(platform, 'Vpc', { maxAzs: 3, natGateways: 1 });
const cluster = new ecs.Cluster(platform, 'Cluster', { vpc });
const balancer = new elbv2.ApplicationLoadBalancer(platform, 'Alb', { vpc, internetFacing: true });
const listener = balancer.addListener('Http', {
  port: 80,
  defaultAction: elbv2.ListenerAction.fixedResponse(404),
});
let routes = 0;
for (let index = 0; index < count; index++) {
  const name = `svc-${index}`;
  const stack = new cdk.Stack(app, `gen-${name}`, { env });
  const task = new ecs.FargateTaskDefinition(stack, 'Task', { cpu: 256, memoryLimitMiB: 512 });
  const container = task.addContainer('app', {
    image: ecs.ContainerImage.fromRegistry(`ghcr.io/acme/${name}:1.4.2`),
    environment: { LOG_LEVEL: 'info', APP_ENV: 'default', SERVICE_NAME: name },
    secrets: {
      DATABASE_URL: ecs.Secret.fromSsmParameter(
        ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Db', {
          parameterName: `/gen/default/${name}/db-url`,
        }),
      ),
    },
    logging: ecs.LogDrivers.awsLogs({
      streamPrefix: name,
      logGroup: new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_MONTH }),
    }),
    healthCheck: { command: ['CMD-SHELL', 'wget -q -O- http://localhost:8080/healthz || exit 1'] },
    portMappings: [{ containerPort: 8080 }],
  });
  container.addUlimits({ name: ecs.UlimitName.NOFILE, softLimit: 65536, hardLimit: 65536 });
  const service = new ecs.FargateService(stack, 'Service', { cluster, taskDefinition: task, desiredCount: 2 });
  service.autoScaleTaskCount({ minCapacity: 2, maxCapacity: 10 }).scaleOnCpuUtilization('Cpu', {
    targetUtilizationPercent: 70,
  });
  if (routes < 90 && index % 2 === 0) {
    routes += 1;
    listener.addTargets(`Route${index}`, {
      port: 8080,
      priority: routes,
      conditions: [elbv2.ListenerCondition.pathPatterns([`/${name}`, `/${name}/*`])],
      targets: [service],
      healthCheck: { path: '/healthz' },
    });
  }
}
app.synth();
