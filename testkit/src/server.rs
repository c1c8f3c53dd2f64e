//! The servers a test talks to. `Server` runs the real `tessera` binary (the browser tests
//! drive it as a user's browser would); `Serving` serves an axum router in-process (the
//! integration tests build it from `tessera::startup` with a clock they move), and can
//! stop and serve again on the same port to stage an outage.
use crate::personas::PASSWORD;
use crate::workspace_root;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A new, empty database for one server (see the crate's header).
fn new_database_url(dir: &std::path::Path) -> String {
    crate::fresh_database_blocking(dir)
}

pub struct Server {
    pub url: String,
    /// The server's own database: a SQLite file in `dir`, or a fresh PostgreSQL database
    /// when `TESSERA_TEST_ENGINE=postgres`.
    pub database_url: String,
    child: Child,
    pub dir: tempfile::TempDir,
}

#[derive(Default)]
pub struct Options {
    pub smtp_url: Option<String>,
    pub test_clock: bool,
    /// `serve --no-demo`: an empty installation, as a vendor starts one.
    pub no_demo: bool,
    /// Serve as http://<host>:<port> (e.g. "localhost"): browsers keep cookies per host, so a
    /// second instance on another host name keeps its own session.
    pub public_host: Option<&'static str>,
    /// The integration tests' use of the binary: its APIs and server functions, without
    /// the built console (pages then render but do not hydrate).
    pub api_only: bool,
    /// A `tessera` installed outside the repository: run that binary from a folder outside
    /// the repository, with no `--site-root`, so it must find its own site files.
    pub installed: Option<PathBuf>,
}

impl Server {
    /// Starts `tessera serve` on port 0 with demo data and returns once it listens.
    pub fn start() -> Server {
        Self::start_with(Options::default())
    }

    pub fn start_with(opts: Options) -> Server {
        let root = workspace_root();
        let bin = opts.installed.clone().unwrap_or_else(|| {
            std::env::var("TESSERA_BIN").map(PathBuf::from).unwrap_or(root.join("target/debug/tessera"))
        });
        let site = std::env::var("TESSERA_SITE_ROOT").map(PathBuf::from).unwrap_or(root.join("target/site"));
        assert!(
            opts.api_only || opts.installed.is_some() || site.join("pkg/tessera.wasm").exists(),
            "no built console at {}: run `cargo leptos build` first (scripts/test.sh does)",
            site.display()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let database_url = new_database_url(dir.path());
        let (addr, public_url) = match opts.public_host {
            // The port must be known before start to name it in the public URL.
            Some(host) => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .expect("free port")
                    .local_addr()
                    .expect("addr")
                    .port();
                (format!("127.0.0.1:{port}"), Some(format!("http://{host}:{port}")))
            }
            None => ("127.0.0.1:0".to_string(), None),
        };
        let mut command = Command::new(&bin);
        if opts.installed.is_some() {
            command.current_dir(dir.path()).env_remove("LEPTOS_SITE_ROOT");
        }
        let site_args = if opts.installed.is_some() { vec![] } else { vec!["--site-root".into(), site] };
        let mut child = command
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--database-url", &database_url])
            .args(["serve", "--addr", &addr, "--demo-password", PASSWORD])
            .args(site_args)
            .args(public_url.iter().flat_map(|u| ["--public-url".to_string(), u.clone()]))
            .args(opts.smtp_url.iter().flat_map(|u| ["--smtp-url".to_string(), u.clone()]))
            .args(opts.test_clock.then_some("--test-clock"))
            .args(opts.no_demo.then_some("--no-demo"))
            .env_remove("DATABASE_URL")
            .env_remove("SMTP_URL")
            .env("RUST_LOG", "info,tower_http=warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("Tessera is listening on ") {
                        break url.trim().to_string();
                    }
                }
                _ => {
                    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
                    panic!("server exited before listening:\n{log}");
                }
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { url, database_url, child, dir }
    }

    /// Runs a `tessera` command against this server's database and returns its JSON.
    pub fn cli(&self, args: &[&str]) -> serde_json::Value {
        self.cli_with_input(args, "")
    }

    /// As `cli`, with `input` on the command's standard input (`--password-stdin`).
    pub fn cli_with_input(&self, args: &[&str], input: &str) -> serde_json::Value {
        use std::io::Write;
        let bin = std::env::var("TESSERA_BIN")
            .map(PathBuf::from)
            .unwrap_or(workspace_root().join("target/debug/tessera"));
        let mut child = Command::new(bin)
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(["--database-url", &self.database_url])
            .args(args)
            .env_remove("DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run tessera");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
        let out = child.wait_with_output().expect("run tessera");
        assert!(out.status.success(), "tessera {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON on stdout")
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// Moves the server's clock forward (needs `Options::test_clock`).
    pub fn advance_clock(&self, seconds: i64) {
        use std::io::{Read, Write};
        let addr = self.url.trim_start_matches("http://");
        let body = format!("advance_seconds={seconds}");
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            s,
            "POST /testing/clock HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("write");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        assert!(answer.starts_with("HTTP/1.1 200"), "clock not moved: {answer}");
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A router served on a listener until `stop`: the integration tests' in-process server.
pub struct Serving {
    addr: std::net::SocketAddr,
    router: axum::Router,
    running: std::sync::Mutex<Option<Running>>,
}

struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

fn serve(listener: tokio::net::TcpListener, router: axum::Router) -> Running {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // Peer addresses, as `tessera serve` gives them: the per-IP limits key on them.
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Running { stop, task }
}

impl Serving {
    /// Serves `router` on `listener` (bound by the caller, who needed its port first).
    pub fn start(listener: tokio::net::TcpListener, router: axum::Router) -> Serving {
        let addr = listener.local_addr().expect("addr");
        let running = serve(listener, router.clone());
        Serving { addr, router, running: std::sync::Mutex::new(Some(running)) }
    }

    /// Stops serving (an outage): new connections are refused until `start_again`.
    pub async fn stop(&self) {
        let running = self.running.lock().expect("lock").take();
        if let Some(r) = running {
            let _ = r.stop.send(());
            let _ = r.task.await;
        }
    }

    /// Serves again on the same port, with the same router (and so the same database and
    /// clock).
    pub async fn start_again(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.expect("rebind the same port");
        let running = serve(listener, self.router.clone());
        *self.running.lock().expect("lock") = Some(running);
    }
}
