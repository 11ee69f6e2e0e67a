//! The AWS emulator the deploy tests run against: moto 5.2.5 started through our shim
//! (`tests/tools/moto/shim.py`, which lets berth's real templates deploy and lists what stays
//! unlike AWS), one server per test binary on a free 127.0.0.1 port, reset before each test.
//! Tests of one binary take turns ([`Emulator::session`]) since they share the server.
//!
//! The server comes from the venv `bash .ci/test` creates (`BERTH_MOTO_VENV`, default
//! `~/.cache/berth-moto`). The tests that use it are `#[ignore = "needs the moto venv …"]`, so
//! `cargo test` lists them as ignored; asked to run without the venv, they fail and say how to
//! get it.

#![allow(dead_code)]

pub mod aws;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A running emulator.
pub struct Emulator {
    /// Its port.
    pub port: u16,
    /// The server's log (every request, and moto's own warnings).
    pub log: PathBuf,
    _child: Mutex<Child>,
    _directory: tempfile::TempDir,
    turn: Mutex<()>,
}

/// One test's use of the emulator: the server is reset, and other tests wait.
pub struct Session<'a> {
    /// The emulator.
    pub emulator: &'a Emulator,
    /// Where the log stood when the session began.
    log_start: u64,
    _turn: MutexGuard<'a, ()>,
}

static EMULATOR: OnceLock<Emulator> = OnceLock::new();

impl Emulator {
    /// The binary's emulator, started on first use.
    pub fn get() -> &'static Self {
        EMULATOR.get_or_init(Self::start)
    }

    fn start() -> Self {
        let venv = std::env::var_os("BERTH_MOTO_VENV")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/berth-moto"))
            })
            .expect("BERTH_MOTO_VENV or HOME is set");
        let python = venv.join("bin/python");
        assert!(
            python.is_file(),
            "{} is missing: run `bash .ci/test`, which creates the moto venv from \
             .ci/requirements-moto.txt (or point BERTH_MOTO_VENV at one)",
            python.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let directory = tempfile::tempdir().expect("a directory for the server log");
        let log = directory.path().join("moto.log");
        let output = std::fs::File::create(&log).expect("server log");
        let child = Command::new(&python)
            .arg(root().join("tests/tools/moto/shim.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ECS_SERVICE_RUNNING", "100")
            .env("BERTH_SHIM_PARENT_PID", std::process::id().to_string())
            // The request recorder writes its file in the working directory.
            .current_dir(directory.path())
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("log handle"))
            .stderr(output)
            .spawn()
            .expect("start the moto server");
        let emulator = Self {
            port,
            log,
            _child: Mutex::new(child),
            _directory: directory,
            turn: Mutex::new(()),
        };
        let started = Instant::now();
        while emulator
            .request("GET", "/moto-api/", "")
            .map(|(status, _)| status)
            != Some(200)
        {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "the moto server did not answer on port {port}; its log:\n{}",
                std::fs::read_to_string(&emulator.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        emulator
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits for the other tests, resets the server and starts a session.
    pub fn session(&self) -> Session<'_> {
        let turn = self
            .turn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (status, body) = self
            .request("POST", "/moto-api/reset", "")
            .expect("reset the emulator");
        assert_eq!(status, 200, "reset: {body}");
        let log_start = std::fs::metadata(&self.log).map_or(0, |metadata| metadata.len());
        Session {
            emulator: self,
            log_start,
            _turn: turn,
        }
    }

    /// A plain HTTP/1.1 request to the server: `(status, body)`.
    pub fn request(&self, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .ok()?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let status = response.split_whitespace().nth(1)?.parse().ok()?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        Some((status, body))
    }
}

impl Session<'_> {
    /// The real `berth` binary in `directory`, pointed at the emulator with test credentials,
    /// one attempt per call and fast polling.
    pub fn berth(&self, directory: &Path) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
        command
            .current_dir(directory)
            .env("NO_COLOR", "1")
            .env("AWS_ENDPOINT_URL", self.emulator.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("BERTH_POLL_MS", "20")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .stdin(Stdio::null());
        command
    }

    /// Starts recording every request.
    pub fn start_recording(&self) {
        let _ = self
            .emulator
            .request("POST", "/moto-api/recorder/reset-recording", "");
        let started = self
            .emulator
            .request("POST", "/moto-api/recorder/start-recording", "");
        assert_eq!(started.map(|(status, _)| status), Some(200));
    }

    /// Stops recording; every request made since, as `Service.Action` names in order.
    pub fn stop_recording(&self) -> Vec<String> {
        let _ = self
            .emulator
            .request("POST", "/moto-api/recorder/stop-recording", "");
        let (_, body) = self
            .emulator
            .request("GET", "/moto-api/recorder/download-recording", "")
            .expect("the recording");
        body.lines()
            .filter(|line| !line.trim().is_empty())
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter_map(|request| action_of(&request))
            .collect()
    }

    /// The server log written during this session, checked: no resource type moto skipped
    /// silently, no server-side traceback.
    pub fn checked_log(&self) -> String {
        let text = std::fs::read(&self.emulator.log).unwrap_or_default();
        let start = usize::try_from(self.log_start).unwrap_or(0).min(text.len());
        let text = String::from_utf8_lossy(&text[start..]).into_owned();
        for line in text.lines() {
            assert!(
                !line.contains("No Moto CloudFormation support"),
                "moto skipped a resource silently: {line}"
            );
        }
        assert!(
            !text.contains("Traceback (most recent call last)"),
            "the emulator failed inside:\n{text}"
        );
        text
    }

    /// A boto-free call to the emulator's AWS API: `(status, body)` of a query-protocol action.
    pub fn query(&self, service: &str, region: &str, parameters: &[(&str, &str)]) -> String {
        let body: Vec<String> = parameters
            .iter()
            .map(|(key, value)| format!("{key}={}", encode(value)))
            .collect();
        aws_call(
            self.emulator,
            "POST",
            "/",
            service,
            region,
            None,
            &body.join("&"),
        )
    }

    /// A JSON-protocol call (`X-Amz-Target`), e.g. ECS and ECR.
    pub fn json_call(
        &self,
        service: &str,
        region: &str,
        target: &str,
        body: &serde_json::Value,
    ) -> serde_json::Value {
        let text = aws_call(
            self.emulator,
            "POST",
            "/",
            service,
            region,
            Some(target),
            &body.to_string(),
        );
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{target}: {text}"))
    }
}

/// A REST-protocol GET, e.g. EKS's `/clusters/NAME`.
pub fn rest_get(
    session: &Session<'_>,
    service: &str,
    region: &str,
    path: &str,
) -> serde_json::Value {
    let text = aws_call(session.emulator, "GET", path, service, region, None, "");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("GET {path}: {text}"))
}

/// A request to the emulator signed only enough for moto (it reads the region and service from
/// the credential scope).
fn aws_call(
    emulator: &Emulator,
    method: &str,
    path: &str,
    service: &str,
    region: &str,
    target: Option<&str>,
    body: &str,
) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", emulator.port)).expect("connect");
    let content_type = match (target, method) {
        (Some(_), _) => "application/x-amz-json-1.1",
        (None, "GET") => "application/json",
        (None, _) => "application/x-www-form-urlencoded",
    };
    let target = target
        .map(|target| format!("X-Amz-Target: {target}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: {content_type}\r\n{target}Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0\r\nX-Amz-Date: 20260101T000000Z\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        emulator.port,
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// Percent-encoding for a form value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// `CloudFormation.CreateChangeSet`, `ECS.DescribeServices`, … for a recorded request.
fn action_of(request: &serde_json::Value) -> Option<String> {
    let headers = &request["headers"];
    let body = request["body"].as_str().unwrap_or_default();
    let body = if request["body_encoded"] == true {
        String::from_utf8(base64_decode(body)).unwrap_or_default()
    } else {
        body.to_owned()
    };
    let service = headers["Authorization"]
        .as_str()
        .and_then(|authorization| authorization.split('/').nth(3))
        .unwrap_or("unknown")
        .to_owned();
    if let Some(target) = headers["X-Amz-Target"].as_str() {
        let action = target.rsplit('.').next().unwrap_or(target);
        return Some(format!("{service}.{action}"));
    }
    let action = body
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))?
        .to_owned();
    Some(format!("{service}.{action}"))
}

/// Whether an action changes anything (not `Describe*`, `List*`, `Get*`, `BatchGet*`).
pub fn is_mutating(action: &str) -> bool {
    let name = action.split('.').nth(1).unwrap_or(action);
    !["Describe", "List", "Get", "BatchGet"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// Standard base64, for the recorder's encoded bodies.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |byte: u8| match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut output = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes().filter_map(value) {
        buffer = (buffer << 6) | u32::from(byte);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            output.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    output
}

/// A scratch directory holding the example `name`'s workspace file as `berth.kdl`.
pub fn example(name: &str) -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("a scratch directory");
    std::fs::copy(
        root().join("examples").join(name).join("berth.kdl"),
        directory.path().join("berth.kdl"),
    )
    .expect("copy the example");
    directory
}

/// What a run of the binary printed, and its exit code.
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `command` to the end.
pub fn run(command: &mut Command) -> Run {
    let output = command.output().expect("run berth");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
