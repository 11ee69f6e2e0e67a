//! A fake Kubernetes API server for the runtime's tests: no real cluster can run here, so this
//! one serves what berth uses, well enough to test it honestly. It listens on 127.0.0.1 (plain
//! HTTP, or TLS with the test CA in `tls/`), records every request, and implements discovery,
//! get and list with label selectors, server-side apply (create, merge by field manager,
//! conflicts, force, dry run), delete with finalizers, and controllers that move Deployments,
//! ExternalSecrets, Ingresses and namespaces forward — or into the failure a test asks for.
//!
//! - [`resources`]: the types served and the discovery documents.
//! - [`store`]: objects, field ownership and server-side apply.
//! - [`controller`]: what happens on each tick.
//! - [`server`]: the HTTP side.
//!
//! A test starts one [`FakeCluster`], points berth at it (a kubeconfig from
//! [`FakeCluster::kubeconfig`], or as an EKS cluster's endpoint and CA), and asserts on
//! [`FakeCluster::requests`] and the objects.

#![allow(dead_code, reason = "each test binary uses part of the fake")]

pub mod controller;
pub mod eks_token;
pub mod resources;
pub mod server;
pub mod store;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;

pub use controller::{Behaviour, Rollout};
pub use resources::Addon;
use store::{Key, Store};

/// The CA that signed the fake's TLS certificate (PEM).
pub const CA_PEM: &str = include_str!("tls/ca.pem");
const SERVER_PEM: &str = include_str!("tls/server.pem");
const SERVER_KEY: &str = include_str!("tls/server.key");

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `GET`, `PATCH`, `DELETE`, …
    pub method: String,
    /// The path.
    pub path: String,
    /// The query, decoded.
    pub query: BTreeMap<String, String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body, when it was JSON.
    pub body: Option<Value>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The status code answered.
    pub status: u16,
}

impl Recorded {
    /// Whether this was a server-side apply.
    pub fn is_apply(&self) -> bool {
        self.method == "PATCH"
            && self.content_type.as_deref() == Some("application/apply-patch+yaml")
    }

    /// Whether this was a dry run.
    pub fn is_dry_run(&self) -> bool {
        self.query.get("dryRun").is_some_and(|value| value == "All")
    }

    /// Whether this changed (or asked to change) the cluster: an apply that is not a dry run,
    /// or a delete.
    pub fn is_mutating(&self) -> bool {
        (self.is_apply() && !self.is_dry_run()) || self.method == "DELETE"
    }

    /// `kind/namespace/name` of the object an apply sent.
    pub fn applied_object(&self) -> Option<String> {
        let body = self.body.as_ref()?;
        Some(format!(
            "{}/{}/{}",
            body.get("kind")?.as_str()?,
            body.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("-"),
            body.pointer("/metadata/name")?.as_str()?
        ))
    }
}

/// How the fake checks the bearer token.
pub enum Authentication {
    /// Any request is accepted.
    None,
    /// Exactly this token.
    Bearer(String),
    /// A token this accepts.
    Check(Box<dyn Fn(&str) -> bool + Send>),
}

/// One `helm upgrade --install` the test Helm sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelmInstall {
    /// The release.
    pub release: String,
    /// The chart.
    pub chart: String,
    /// `--repo`.
    pub repository: String,
    /// `--version`.
    pub version: String,
    /// `--namespace`.
    pub namespace: String,
    /// Whether `--create-namespace`, `--wait` and a `--timeout` were given.
    pub waits: bool,
    /// `--set key=value`, by key.
    pub values: BTreeMap<String, String>,
}

impl HelmInstall {
    /// Reads `upgrade --install RELEASE CHART [flags]`; `None` for anything else.
    pub fn parse(argv: &[String]) -> Option<Self> {
        let [upgrade, install, release, chart, flags @ ..] = argv else {
            return None;
        };
        if upgrade != "upgrade" || install != "--install" {
            return None;
        }
        let mut parsed = Self {
            release: release.clone(),
            chart: chart.clone(),
            repository: String::new(),
            version: String::new(),
            namespace: String::new(),
            waits: false,
            values: BTreeMap::new(),
        };
        let (mut create_namespace, mut wait, mut timeout) = (false, false, false);
        let mut flags = flags.iter();
        while let Some(flag) = flags.next() {
            match flag.as_str() {
                "--create-namespace" => create_namespace = true,
                "--wait" => wait = true,
                "--repo" => parsed.repository.clone_from(flags.next()?),
                "--version" => parsed.version.clone_from(flags.next()?),
                "--namespace" => parsed.namespace.clone_from(flags.next()?),
                "--timeout" => timeout = !flags.next()?.is_empty(),
                "--set" => {
                    let (key, value) = flags.next()?.split_once('=')?;
                    parsed.values.insert(key.to_owned(), value.to_owned());
                }
                _ => return None,
            }
        }
        parsed.waits = create_namespace && wait && timeout;
        Some(parsed)
    }
}

/// Everything the fake knows; [`FakeCluster::with_state`] gives tests access.
pub struct State {
    /// The objects.
    pub store: Store,
    /// Every request so far.
    pub requests: Vec<Recorded>,
    /// What the controllers do.
    pub behaviour: Behaviour,
    /// Which optional APIs are served.
    pub installed: BTreeSet<Addon>,
    /// The token check.
    pub authentication: Authentication,
    /// What the controllers did that tests may want to order against requests.
    pub log: Vec<String>,
    /// The region load balancer hostnames are in.
    pub region: String,
    /// Every Helm install asked for, in order.
    pub helm: Vec<HelmInstall>,
    ingress_deletions: BTreeMap<Key, u32>,
}

/// How to start the fake.
pub struct Options {
    /// Serve TLS with the test certificate (clients trust [`CA_PEM`]).
    pub tls: bool,
    /// Start with External Secrets, the load balancer controller, metrics-server and the EFS
    /// CSI driver installed (a cluster berth provisioned); otherwise bare.
    pub complete: bool,
    /// The token check.
    pub authentication: Authentication,
    /// How often the controllers step.
    pub tick: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            tls: false,
            complete: true,
            authentication: Authentication::Bearer(TEST_TOKEN.to_owned()),
            tick: Duration::from_millis(20),
        }
    }
}

/// The bearer token the default kubeconfig carries.
pub const TEST_TOKEN: &str = "fake-cluster-token";

/// A running fake API server, stopped when dropped.
pub struct FakeCluster {
    state: Arc<Mutex<State>>,
    address: SocketAddr,
    tls: bool,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeCluster {
    /// Starts a fake with `options`.
    pub fn start(options: Options) -> Self {
        let mut state = State {
            store: Store::default(),
            requests: Vec::new(),
            behaviour: Behaviour::default(),
            installed: BTreeSet::new(),
            authentication: options.authentication,
            log: Vec::new(),
            region: "us-west-2".to_owned(),
            helm: Vec::new(),
            ingress_deletions: BTreeMap::new(),
        };
        controller::base_namespaces(&mut state);
        if options.complete {
            controller::install_everything(&mut state);
        }
        let state = Arc::new(Mutex::new(state));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let address = listener.local_addr().expect("the fake's address");
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let acceptor = options.tls.then(tls_acceptor);
        let shared = Arc::clone(&state);
        let tick = options.tick;
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the fake's runtime");
            runtime.block_on(serve(shared, listener, acceptor, tick, stopped));
        });
        Self {
            state,
            address,
            tls: options.tls,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// A fake with every add-on installed, plain HTTP, the [`TEST_TOKEN`].
    pub fn complete() -> Self {
        Self::start(Options::default())
    }

    /// `http(s)://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.address)
    }

    /// Writes a kubeconfig for the fake into `directory` (context `fake`, user token `token`;
    /// its current context `elsewhere` has a token the fake refuses), and returns its path.
    /// Written as JSON (which every YAML reader reads) so the test Helm can read it too.
    pub fn kubeconfig(&self, directory: &Path, token: &str) -> PathBuf {
        let mut cluster = serde_json::json!({"server": self.url()});
        if self.tls {
            cluster["certificate-authority-data"] =
                Value::from(base64::engine::general_purpose::STANDARD.encode(CA_PEM));
        }
        let text = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": cluster}],
            "contexts": [
                {"name": "fake", "context": {"cluster": "fake", "user": "fake"}},
                {"name": "elsewhere", "context": {"cluster": "fake", "user": "nobody"}},
            ],
            "current-context": "elsewhere",
            "users": [
                {"name": "fake", "user": {"token": token}},
                {"name": "nobody", "user": {"token": "wrong-token"}},
            ],
        });
        let path = directory.join("kubeconfig");
        std::fs::write(&path, text.to_string()).expect("write the kubeconfig");
        path
    }

    /// Every Helm install the test Helm asked for.
    pub fn helm_installs(&self) -> Vec<HelmInstall> {
        self.lock().helm.clone()
    }

    /// Makes Helm fail to install `chart` with `message`.
    pub fn fail_chart(&self, chart: &str, message: &str) {
        self.lock()
            .behaviour
            .failing_charts
            .insert(chart.to_owned(), message.to_owned());
    }

    /// Installs what the EKS add-ons of a cluster berth creates install (metrics-server, the
    /// EFS CSI driver): a bare fake then looks like a new cluster before berth's Helm installs.
    pub fn install_eks_addons(&self) {
        controller::install_eks_addons(&mut self.lock());
    }

    /// Runs `change` on the fake's state.
    pub fn with_state<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        change(&mut self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Forgets the requests so far.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// The controllers' log.
    pub fn log(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    /// An object as the API would return it.
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let state = self.lock();
        let installed = |addon| state.installed.contains(&addon);
        let resource = resources::by_kind(api_version, kind, &installed)?;
        state
            .store
            .objects
            .get(&store::key(&resource, namespace, name))
            .map(store::Stored::render)
    }

    /// `Kind/namespace/name` of every object, sorted.
    pub fn names(&self) -> Vec<String> {
        let state = self.lock();
        let mut names: Vec<String> = state
            .store
            .objects
            .values()
            .map(|stored| {
                format!(
                    "{}/{}/{}",
                    stored.resource.kind,
                    stored
                        .object
                        .pointer("/metadata/namespace")
                        .and_then(Value::as_str)
                        .unwrap_or("-"),
                    stored
                        .object
                        .pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                )
            })
            .collect();
        names.sort();
        names
    }

    /// Makes the pods of the Deployment `name` behave as `rollout`.
    pub fn set_rollout(&self, name: &str, rollout: Rollout) {
        self.lock()
            .behaviour
            .rollouts
            .insert(name.to_owned(), rollout);
    }

    /// Makes the ExternalSecret `name` fail to sync with `message`.
    pub fn fail_secret(&self, name: &str, message: &str) {
        self.lock()
            .behaviour
            .failing_secrets
            .insert(name.to_owned(), message.to_owned());
    }

    /// Makes the load balancer controller fail on the Ingress `name` with a Warning event.
    pub fn fail_ingress(&self, name: &str, reason: &str, message: &str) {
        self.lock()
            .behaviour
            .failing_ingresses
            .insert(name.to_owned(), (reason.to_owned(), message.to_owned()));
    }

    /// Edits an object as `manager` would with an update (`kubectl edit`, `kubectl scale`).
    pub fn edit(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        manager: &str,
        change: impl FnOnce(&mut Value),
    ) {
        let mut state = self.lock();
        let installed = |addon| state.installed.contains(&addon);
        let resource = resources::by_kind(api_version, kind, &installed).expect("a known kind");
        let key = store::key(&resource, namespace, name);
        assert!(
            state.store.update(&key, manager, change),
            "{kind} {name} exists"
        );
    }
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The TLS side, with the test certificate.
fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(SERVER_PEM.as_bytes())
            .collect::<Result<_, _>>()
            .expect("the test certificate");
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY.as_bytes()).expect("the test key");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .expect("the test certificate and key");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// Accepts connections and ticks the controllers until told to stop.
async fn serve(
    state: Arc<Mutex<State>>,
    listener: std::net::TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    tick: Duration,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    let mut ticks = tokio::time::interval(tick);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = ticks.tick() => {
                let mut state = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                controller::tick(&mut state);
            }
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = Arc::clone(&state);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| answer(Arc::clone(&state), request));
                    let builder = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                        None => {
                            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                        }
                    }
                });
            }
        }
    }
}

/// Answers one HTTP request.
async fn answer(
    state: Arc<Mutex<State>>,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let headers: BTreeMap<String, String> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let (code, value) = {
        let mut state = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        server::handle(
            &mut state,
            parts.method.as_str(),
            parts.uri.path(),
            parts.uri.query().unwrap_or_default(),
            &headers,
            &body,
        )
    };
    let response = hyper::Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            serde_json::to_vec(&value).unwrap_or_default(),
        )))
        .expect("a response");
    Ok(response)
}
