//! A real SMTP server for tests: aiosmtpd (Debian's `python3-aiosmtpd`) running
//! `tests/support/smtp_sink.py`, which stores every message it receives as an `.eml` file.
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The `.eml` files in `dir` by file name (the order they were written in), skipping
/// temporary files; none when `dir` does not exist.
pub fn eml_files(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return BTreeMap::new() };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            Some((name, std::fs::read_to_string(&p).ok()?))
        })
        .collect()
}

/// The SMTP server on a free local port. It stops when this handle is dropped.
pub struct SmtpSink {
    pub port: u16,
    child: Child,
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl SmtpSink {
    /// A sink storing into a temporary folder of its own.
    pub fn start() -> SmtpSink {
        let temp = tempfile::tempdir().expect("temp dir");
        let mut sink = SmtpSink::start_in(temp.path().to_path_buf());
        sink._temp = Some(temp);
        sink
    }

    /// A sink storing into `dir` (created by the sink).
    pub fn start_in(dir: PathBuf) -> SmtpSink {
        // Debian's python3 carries python3-aiosmtpd; another python3 may come first in PATH.
        let python = std::env::var("TESSERA_TEST_PYTHON").unwrap_or_else(|_| {
            if Path::new("/usr/bin/python3").exists() { "/usr/bin/python3" } else { "python3" }.to_string()
        });
        let script = crate::workspace_root().join("tests/support/smtp_sink.py");
        let mut child = Command::new(&python)
            .arg(&script)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python} {}: {e}", script.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the SMTP sink's port (is python3-aiosmtpd installed?)");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the SMTP sink: {line:?}"));
        SmtpSink { port, child, dir, _temp: None }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages received so far, by file name.
    pub fn received(&self) -> BTreeMap<String, String> {
        eml_files(&self.dir)
    }

    /// The raw messages received so far, oldest first.
    pub fn messages(&self) -> Vec<String> {
        self.received().into_values().collect()
    }

    /// Waits (up to 15 s) until `n` messages have arrived and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(std::time::Instant::now() < deadline, "expected {n} messages, got {}", m.len());
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
