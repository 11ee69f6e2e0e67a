// The cdk8s app berth is compared with: N sets of Deployment, Service and
// HorizontalPodAutoscaler, the Kubernetes part of a generated berth workspace on EKS, synthesised
// to YAML in OUT. Run by peers.sh; never committed output.
const { App, Chart } = require('cdk8s');
const kplus = require('cdk8s-plus-32');

const count = Number(process.env.N || '10');
const app = new App({ outdir: process.env.OUT || 'dist' });
const chart = new Chart(app, 'gen', { namespace: 'gen' });
for (let index = 0; index < count; index++) {
  const name = `svc-${index}`;
  // No fixed replicas: the autoscaler owns the count (cdk8s refuses both).
  const deployment = new kplus.Deployment(chart, name, {
    securityContext: { ensureNonRoot: true },
    containers: [{
      name: 'app',
      image: `ghcr.io/acme/${name}:1.4.2`,
      portNumber: 8080,
      envVariables: {
        LOG_LEVEL: kplus.EnvValue.fromValue('info'),
        SERVICE_NAME: kplus.EnvValue.fromValue(name),
      },
      resources: {
        cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.millis(250) },
        memory: { request: require('cdk8s').Size.mebibytes(512), limit: require('cdk8s').Size.mebibytes(512) },
      },
      readiness: kplus.Probe.fromHttpGet('/healthz', { port: 8080 }),
      securityContext: { ensureNonRoot: true, readOnlyRootFilesystem: true, user: 1000 },
    }],
  });
  deployment.exposeViaService({ name, ports: [{ port: 8080 }] });
  new kplus.HorizontalPodAutoscaler(chart, `${name}-hpa`, {
    target: deployment,
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(70))],
  });
}
app.synth();
